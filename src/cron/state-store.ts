/**
 * Where the cron schedule survives restarts: `<data_dir>/odoo-prefork/cron-state.json`, written
 * atomically (temporary file + rename) after every change. A file that is not ours, or corrupt,
 * stops the server with a message naming it — resetting it silently would re-run or skip jobs.
 *
 * A lock file (`cron.lock`, holding the master's pid) keeps two masters from scheduling the same
 * jobs from one data_dir.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/diagnostics.js';
import { ensureDir } from '../util/fs.js';
import type { JobState } from './schedule.js';

export const STATE_FORMAT = 'odoo-prefork/cron-state';
export const STATE_VERSION = 1;

interface StateFile {
  format: typeof STATE_FORMAT;
  version: number;
  savedAt: string;
  jobs: Record<string, JobState>;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function validJobState(value: unknown): value is JobState {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Partial<JobState>;
  if (!isFiniteNumber(s.nextCall) || !isFiniteNumber(s.failures) || !isFiniteNumber(s.runs)) return false;
  if (s.running !== undefined && (typeof s.running !== 'object' || !isFiniteNumber(s.running?.dueAt) || typeof s.running?.runId !== 'string')) {
    return false;
  }
  return true;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

export class CronStateStore {
  readonly dir: string;
  readonly file: string;
  private readonly lockFile: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'odoo-prefork');
    this.file = path.join(this.dir, 'cron-state.json');
    this.lockFile = path.join(this.dir, 'cron.lock');
  }

  private invalid(reason: string): ConfigError {
    return new ConfigError('CRON_STATE_INVALID', `the cron state file is not usable: ${reason}`, {
      file: this.file,
      hint: 'fix it, or move it away to start the schedule afresh (every job then runs once at start-up); it is never reset silently',
    });
  }

  load(): Map<string, JobState> {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw this.invalid((error as Error).message);
    }
    let parsed: Partial<StateFile>;
    try {
      parsed = JSON.parse(text) as Partial<StateFile>;
    } catch (error) {
      throw this.invalid(`not valid JSON (${(error as Error).message})`);
    }
    if (typeof parsed !== 'object' || parsed === null || parsed.format !== STATE_FORMAT) {
      throw this.invalid(`not an odoo-prefork cron state file (no "format": "${STATE_FORMAT}")`);
    }
    if (parsed.version !== STATE_VERSION) throw this.invalid(`version ${String(parsed.version)} is not supported (expected ${STATE_VERSION})`);
    if (typeof parsed.jobs !== 'object' || parsed.jobs === null) throw this.invalid('"jobs" is missing');
    const states = new Map<string, JobState>();
    for (const [name, state] of Object.entries(parsed.jobs)) {
      if (!validJobState(state)) throw this.invalid(`the entry for job ${JSON.stringify(name)} is malformed`);
      states.set(name, state);
    }
    return states;
  }

  save(jobs: Record<string, JobState>): void {
    ensureDir(this.dir);
    const content: StateFile = { format: STATE_FORMAT, version: STATE_VERSION, savedAt: new Date().toISOString(), jobs };
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`);
    renameSync(temporary, this.file);
  }

  /** Takes the data_dir's cron lock for this process, or explains who holds it. */
  lock(): void {
    try {
      ensureDir(this.dir);
    } catch (error) {
      throw new ConfigError('CRON_DATA_DIR_UNUSABLE', `cannot create the cron state directory: ${(error as Error).message}`, {
        file: this.dir,
        hint: 'set data_dir (-D) to a writable directory, or max_cron_threads = 0 to run without cron',
      });
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.lockFile, 'wx', 0o644);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = Number(readFileSync(this.lockFile, 'utf8').trim());
      if (holder && holder !== process.pid && processAlive(holder)) {
        throw new ConfigError('CRON_DATA_DIR_LOCKED', `another odoo-prefork master (pid ${holder}) runs cron jobs from this data_dir`, {
          file: this.lockFile,
          hint: 'stop it, give this server its own data_dir, or start it with max_cron_threads = 0',
        });
      }
      rmSync(this.lockFile, { force: true }); // left by a master that is gone
    }
  }

  unlock(): void {
    try {
      if (Number(readFileSync(this.lockFile, 'utf8').trim()) === process.pid) rmSync(this.lockFile, { force: true });
    } catch {
      // not ours, or gone
    }
  }
}
