/**
 * `odoo-prefork plan`: the sizing calculator. Pure formulas live in src/sizing/plan.ts; this file
 * reads the flags, detects the machine, prints the plan (or explains it, or gives JSON) and writes
 * the [options] block.
 */
import { Option, type Command } from 'commander';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/diagnostics.js';
import { formatBytes, parseInteger, parseSize, ValueError } from '../config/values.js';
import { detectCpus, detectRam } from '../sizing/machine.js';
import { mbText, plan, renderConfigBlock, SEED_DEFAULTS, tidy, validatePlanInput, type Plan, type PlanInput, type Step } from '../sizing/plan.js';
import type { CliIo } from './program.js';

interface PlanFlags {
  cpus?: string;
  users?: string;
  heavyRatio?: string;
  lightMb?: string;
  heavyMb?: string;
  gb?: string;
  cron?: string;
  ram?: string;
  usersPerWorker?: string;
  rounding?: string;
  json?: boolean;
  explain?: boolean;
  writeConfig?: string;
  force?: boolean;
}

function flagError(flag: string, message: string, hint: string): ConfigError {
  return new ConfigError('CONFIG_INVALID_VALUE', message, { flag, hint });
}

function number(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw flagError(flag, `invalid number ${JSON.stringify(text)}`, 'write a number such as 4 or 0.2');
  return value;
}

export function addPlanCommand(program: Command, io: CliIo): void {
  program
    .command('plan')
    .description('size a deployment: workers for the CPUs and users, RAM for the workers, and the memory limits')
    .option('--cpus <n>', 'CPU cores to plan for (default: physical cores of this machine, within its container quota)')
    .option('--users <n>', 'concurrent users to serve (1 worker ≈ 6 users)')
    .option('--heavy-ratio <r>', `share of heavy requests, 0–1 (default ${SEED_DEFAULTS.heavyRatio})`)
    .option('--light-mb <n>', `RAM of a worker serving light requests, MB (default ${SEED_DEFAULTS.lightMb})`)
    .option('--heavy-mb <n>', 'RAM of a worker serving heavy requests, MB (default: 1 GB, see --gb)')
    .addOption(new Option('--gb <mb>', 'MB in a GB for the "1 GB" heavy estimate (the seed uses both)').choices(['1000', '1024']).default(undefined))
    .option('--cron <n>', `cron workers, counted separately (default ${SEED_DEFAULTS.cron}, the seed's; Odoo's default is 2)`)
    .option('--ram <size>', 'RAM to plan for, e.g. 8GiB (default: this machine, within its container limit)')
    .option('--users-per-worker <n>', `concurrent users one worker serves (default ${SEED_DEFAULTS.usersPerWorker})`)
    .addOption(new Option('--rounding <how>', 'how workers for the users are rounded (default floor, as the seed)').choices(['floor', 'ceil']))
    .option('--explain', 'print each formula with the numbers substituted, step by step')
    .option('--json', 'print the plan as JSON')
    .option('--write-config <file>', 'write an [options] block with workers, cron and limits that the server loads as is')
    .option('--force', 'let --write-config replace an existing file')
    .action((flags: PlanFlags) => {
      const { input, machine } = readInput(flags);
      const problems = validatePlanInput(input);
      if (problems.length > 0) throw new ConfigError('CONFIG_INVALID_VALUE', problems.join('; '), { hint: 'see odoo-prefork plan --help' });
      const result = plan(input);
      if (flags.json) io.stdout(`${JSON.stringify({ machine, ...result }, null, 2)}\n`);
      else io.stdout(renderPlan(result, machine, flags.explain === true));
      if (flags.writeConfig) {
        writeConfigFile(flags.writeConfig, renderConfigBlock(result, `odoo-prefork plan ${process.argv.slice(3).join(' ')}`.trim()), flags.force === true);
        if (!flags.json) io.stdout(`\nWrote ${flags.writeConfig}: check it with  odoo-prefork config -c ${flags.writeConfig}\n`);
      }
    });
}

interface MachineFacts {
  cpus: { value: number; source: string };
  ram: { value: number; source: string } | undefined;
}

function readInput(flags: PlanFlags): { input: PlanInput; machine: MachineFacts } {
  const cpus = flags.cpus !== undefined ? { value: number('--cpus', flags.cpus, 0), source: 'given with --cpus' } : detectCpus();
  let ram: MachineFacts['ram'];
  if (flags.ram !== undefined) {
    try {
      ram = { value: parseSize(flags.ram), source: 'given with --ram' };
    } catch (error) {
      if (error instanceof ValueError) throw flagError('--ram', error.message, error.hint);
      throw error;
    }
  } else {
    ram = detectRam();
  }
  let users: number | undefined;
  if (flags.users !== undefined) {
    try {
      users = parseInteger(flags.users);
    } catch (error) {
      if (error instanceof ValueError) throw flagError('--users', error.message, error.hint);
      throw error;
    }
  }
  const input: PlanInput = {
    cpus: cpus.value,
    heavyRatio: number('--heavy-ratio', flags.heavyRatio, SEED_DEFAULTS.heavyRatio),
    lightMb: number('--light-mb', flags.lightMb, SEED_DEFAULTS.lightMb),
    mbPerGb: flags.gb === '1000' ? 1000 : SEED_DEFAULTS.mbPerGb,
    cron: number('--cron', flags.cron, SEED_DEFAULTS.cron),
    usersPerWorker: number('--users-per-worker', flags.usersPerWorker, SEED_DEFAULTS.usersPerWorker),
    rounding: flags.rounding === 'ceil' ? 'ceil' : SEED_DEFAULTS.rounding,
    ...(users !== undefined ? { users } : {}),
    ...(flags.heavyMb !== undefined ? { heavyMb: number('--heavy-mb', flags.heavyMb, 0) } : {}),
    ...(ram ? { ramBytes: ram.value } : {}),
  };
  return { input, machine: { cpus, ram } };
}

function valueText(step: Step): string {
  if (step.unit === 'MB' && step.id.startsWith('ram')) return mbText(step.value);
  if (step.unit === 'bytes') return `${step.value} bytes (${formatBytes(step.value)})`;
  const unit = step.value === 1 && step.unit.endsWith('s') ? step.unit.slice(0, -1) : step.unit;
  return `${step.value} ${unit}`;
}

const GROUP_TITLES = {
  workers: 'Workers',
  memory: 'Memory',
  limits: 'Memory limits (for --write-config)',
} as const;

export function renderPlan(p: Plan, machine: MachineFacts, explain: boolean): string {
  const out: string[] = [];
  const users = p.input.users !== undefined ? `, ${p.input.users} concurrent users` : '';
  out.push(`Plan for ${tidy(p.input.cpus, 4)} CPUs (${machine.cpus.source})${users}`);
  if (machine.ram) out.push(`RAM: ${formatBytes(machine.ram.value)} (${machine.ram.source})`);
  out.push(
    `Conventions: the heavy estimate uses 1 GB = ${p.memory.mbPerGb} MB; totals are given in MB, in GB (1000 MB) and in GiB (1024 MiB).`,
  );
  const width = Math.max(...p.steps.map((s) => s.label.length));
  for (const group of ['workers', 'memory', 'limits'] as const) {
    out.push('', GROUP_TITLES[group]);
    for (const step of p.steps.filter((s) => s.group === group)) {
      if (explain) {
        const formula = step.formula === String(step.value) ? '' : ` = ${step.formula}`;
        out.push(`  ${step.label}${formula} = ${valueText(step)}`);
        if (step.note) out.push(`      (${step.note})`);
      } else {
        out.push(`  ${step.label.padEnd(width)}  ${valueText(step)}`);
      }
    }
  }
  if (explain) {
    out.push('', 'Why these limits');
    for (const line of p.limits.reasoning) out.push(`  ${line}`);
  }
  if (p.warnings.length > 0) {
    out.push('', 'Warnings');
    for (const warning of p.warnings) out.push(`  ! ${warning}`);
  }
  return `${out.join('\n')}\n`;
}

function writeConfigFile(file: string, text: string, force: boolean): void {
  if (existsSync(file) && !force) {
    throw new ConfigError('CONFIG_SAVE_FAILED', `${file} already exists`, {
      file,
      hint: 'choose another file, or add --force to replace it',
    });
  }
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, text, { mode: 0o644 });
    renameSync(temporary, file);
  } catch (error) {
    throw new ConfigError('CONFIG_SAVE_FAILED', `cannot write ${file}: ${(error as Error).message}`, { file, hint: 'check that the directory exists and is writable' });
  }
}
