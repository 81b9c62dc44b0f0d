import { execa } from 'execa';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT } from '../helpers/server.js';

function cli(args: string[]) {
  return execa('node', [CLI, ...args], { cwd: ROOT, reject: false, env: { ODOO_RC: '', HOME: '/nonexistent' } });
}

describe('odoo-prefork plan', () => {
  it("prints the seed's 4-CPU, 50-user example with every number labelled", async () => {
    const result = await cli(['plan', '--cpus', '4', '--users', '50', '--ram', '16GiB']);
    expect(result.exitCode).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(/Plan for 4 CPUs \(given with --cpus\), 50 concurrent users/);
    expect(out).toMatch(/the heavy estimate uses 1 GB = 1024 MB/);
    expect(out).toMatch(/max workers for 4 CPUs\s+9 workers/);
    expect(out).toMatch(/workers needed for 50 concurrent users\s+8 HTTP workers/);
    expect(out).toMatch(/HTTP workers chosen \(the workers option\)\s+8 workers/);
    expect(out).toMatch(/cron workers \(max_cron_threads\)\s+1 worker$/m);
    expect(out).toMatch(/CPUs needed for 8 HTTP workers\s+4 CPUs/);
    expect(out).toMatch(/RAM of an average worker\s+324.8 MB/);
    expect(out).toMatch(/RAM at the CPU cap \(9 workers\)\s+2923.2 MB ≈ 2.9 GB ≈ 2.85 GiB/);
    expect(out).not.toMatch(/Warnings/);
  });

  it('--explain shows each formula with the numbers substituted', async () => {
    const result = await cli(['plan', '--cpus', '4', '--users', '100', '--cron', '0', '--explain', '--ram', '16GiB']);
    expect(result.stdout).toMatch(/workers needed for 100 concurrent users = floor\(100 \/ 6\) = floor\(16.67\) = 16 HTTP workers/);
    expect(result.stdout).toMatch(/CPUs needed for 16 HTTP workers = ceil\(\(16 − 1\) \/ 2\) = 8 CPUs/);
    expect(result.stdout).toMatch(/RAM for the workers the users need \(16 HTTP \+ 0 cron\) = 16 × 324.8 = 5196.8 MB ≈ 5.2 GB/);
    expect(result.stdout).toMatch(/! 100 users need 16 HTTP workers, but 4 CPUs allow 9 workers in all/);
  });

  it('--json gives scripts every figure', async () => {
    const result = await cli(['plan', '--cpus', '4', '--heavy-ratio', '0.5', '--gb', '1000', '--json', '--ram', '16GiB']);
    const parsed = JSON.parse(result.stdout);
    expect(parsed.memory.atCap).toEqual({ workers: 9, mb: 5175 });
    expect(parsed.machine.cpus).toEqual({ value: 4, source: 'given with --cpus' });
  });

  it("--write-config writes the seed's [options] block (with 16 GiB of RAM)", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'odoo-prefork-'));
    const file = path.join(dir, 'odoo.conf');
    const result = await cli(['plan', '--cpus', '4', '--users', '50', '--gb', '1000', '--ram', '16GiB', '--write-config', file]);
    expect(result.exitCode).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^; limit_memory_hard = soft \+ heavy = 1600 MiB/m);
    expect(text.slice(text.indexOf('[options]'))).toBe(
      '[options]\nworkers = 8\nmax_cron_threads = 1\nlimit_memory_soft = 629145600\nlimit_memory_hard = 1677721600\nlimit_request = 8192\nlimit_time_cpu = 600\nlimit_time_real = 1200\n',
    );
    // An existing file is not replaced without --force.
    const again = await cli(['plan', '--cpus', '4', '--write-config', file]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/already exists[\s\S]*--force/);
  });

  it('--write-config for this machine is loaded by `config` without a single warning', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'odoo-prefork-')), 'odoo.conf');
    expect((await cli(['plan', '--users', '50', '--write-config', file])).exitCode).toBe(0);
    const check = await cli(['config', '-c', file]);
    expect(check.exitCode).toBe(0);
    expect(check.stderr).not.toMatch(/warning/);
  });

  it('detects the machine when --cpus and --ram are not given', async () => {
    const result = await cli(['plan', '--json']);
    const parsed = JSON.parse(result.stdout);
    expect(parsed.machine.cpus.value).toBeGreaterThan(0);
    expect(parsed.machine.cpus.source).toMatch(/cpuinfo|OS/);
    expect(parsed.machine.ram.value).toBeGreaterThan(0);
  });

  it('refuses bad flags with exit code 2', async () => {
    const result = await cli(['plan', '--heavy-ratio', '20']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--heavy-ratio must be between 0 and 1/);
    const ram = await cli(['plan', '--ram', '8GB']);
    expect(ram.exitCode).toBe(2);
    expect(ram.stderr).toMatch(/--ram: invalid IEC 80000-13 binary prefix "GB"/);
  });
});
