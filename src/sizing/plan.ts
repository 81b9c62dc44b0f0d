/**
 * Sizing rules for an Odoo-style prefork deployment (Odoo's deploy docs and the seed notes), as
 * pure functions. Every figure is recorded as a step — label, formula with the numbers
 * substituted, value — so the CLI can print the result, explain it, or hand it to a script.
 *
 *   max workers      = CPUs × 2 + 1
 *   workers needed   = users / 6              (1 worker ≈ 6 concurrent users; rounded down, as the seed does)
 *   CPUs needed      = ceil((workers − 1) / 2)
 *   RAM per worker   = light_ratio × light_MB + heavy_ratio × heavy_MB   (80/20, 150 MB / 1 GB)
 *   RAM              = workers × RAM per worker
 */

export type Rounding = 'floor' | 'ceil';

export interface PlanInput {
  cpus: number;
  /** Concurrent users to serve; without it the plan uses every worker the CPUs allow. */
  users?: number;
  heavyRatio: number;
  lightMb: number;
  /** Heavy worker estimate in MB; default: 1 GB converted with `mbPerGb`. */
  heavyMb?: number;
  /** How many MB make a GB for the "1 GB" heavy estimate: the seed uses both 1000 and 1024. */
  mbPerGb: 1000 | 1024;
  cron: number;
  ramBytes?: number;
  usersPerWorker: number;
  rounding: Rounding;
}

export const SEED_DEFAULTS = {
  heavyRatio: 0.2,
  lightMb: 150,
  heavyGb: 1,
  mbPerGb: 1024 as const,
  cron: 1,
  usersPerWorker: 6,
  rounding: 'floor' as Rounding,
};

export type StepGroup = 'workers' | 'memory' | 'limits';

export interface Step {
  id: string;
  group: StepGroup;
  label: string;
  /** The formula with the numbers substituted, e.g. "4 × 2 + 1". */
  formula: string;
  value: number;
  unit: string;
  note?: string;
}

export interface MemoryTotal {
  workers: number;
  mb: number;
}

export interface Plan {
  input: PlanInput;
  maxWorkers: number;
  neededWorkers: number | undefined;
  httpWorkers: number;
  cronWorkers: number;
  totalWorkers: number;
  cpusNeeded: number | undefined;
  cpusNeededWithCron: number | undefined;
  memory: {
    mbPerGb: number;
    lightMb: number;
    heavyMb: number;
    averageMb: number;
    atCap: MemoryTotal;
    uncapped: MemoryTotal | undefined;
    chosen: MemoryTotal;
  };
  limits: {
    softBytes: number;
    hardBytes: number;
    /** True when every worker can reach the hard limit at once without exceeding the RAM. */
    fitsRam: boolean;
    reasoning: string[];
  };
  warnings: string[];
  steps: Step[];
}

const MiB = 1024 * 1024;

/** Rounds away floating-point noise (0.2 × 1024 = 204.80000000000001). */
export function tidy(value: number, digits = 6): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function fmt(value: number): string {
  return String(tidy(value, 4));
}

export function mbText(mb: number): string {
  return `${fmt(tidy(mb, 1))} MB ≈ ${(mb / 1000).toFixed(1)} GB ≈ ${(mb / 1024).toFixed(2)} GiB`;
}

export function validatePlanInput(input: PlanInput): string[] {
  const problems: string[] = [];
  if (!(input.cpus > 0)) problems.push('--cpus must be a number above 0');
  if (input.users !== undefined && !(Number.isInteger(input.users) && input.users > 0)) problems.push('--users must be a whole number above 0');
  if (!(input.heavyRatio >= 0 && input.heavyRatio <= 1)) problems.push('--heavy-ratio must be between 0 and 1 (0.2 means 20 % heavy requests)');
  if (!(input.lightMb > 0)) problems.push('--light-mb must be above 0');
  if (input.heavyMb !== undefined && !(input.heavyMb > 0)) problems.push('--heavy-mb must be above 0');
  if (!(Number.isInteger(input.cron) && input.cron >= 0)) problems.push('--cron must be a whole number, 0 or more');
  if (input.ramBytes !== undefined && !(input.ramBytes > 0)) problems.push('--ram must be above 0');
  return problems;
}

export function plan(input: PlanInput): Plan {
  const steps: Step[] = [];
  const warnings: string[] = [];
  const step = (s: Step) => {
    steps.push({ ...s, value: tidy(s.value) });
    return tidy(s.value);
  };

  const maxWorkers = step({
    id: 'maxWorkers',
      group: 'workers',
    label: `max workers for ${fmt(input.cpus)} CPUs`,
    formula: `floor(${fmt(input.cpus)} × 2 + 1)`,
    value: Math.floor(input.cpus * 2 + 1),
    unit: 'workers',
    note: 'cron workers included: they need CPU too',
  });

  let neededWorkers: number | undefined;
  if (input.users !== undefined) {
    const exact = input.users / input.usersPerWorker;
    neededWorkers = step({
      id: 'neededWorkers',
      group: 'workers',
      label: `workers needed for ${input.users} concurrent users`,
      formula: `${input.rounding}(${input.users} / ${input.usersPerWorker}) = ${input.rounding}(${fmt(tidy(exact, 2))})`,
      value: Math.max(1, input.rounding === 'floor' ? Math.floor(exact) : Math.ceil(exact)),
      unit: 'HTTP workers',
      note: `1 worker ≈ ${input.usersPerWorker} concurrent users; rounded ${input.rounding === 'floor' ? 'down, as the seed does' : 'up'}`,
    });
  }

  const httpRoom = Math.max(1, maxWorkers - input.cron);
  const httpWorkers = step({
    id: 'httpWorkers',
      group: 'workers',
    label: 'HTTP workers chosen (the workers option)',
    formula: neededWorkers === undefined ? `max(1, ${maxWorkers} − ${input.cron} cron)` : `min(${neededWorkers} needed, ${maxWorkers} − ${input.cron} cron)`,
    value: neededWorkers === undefined ? httpRoom : Math.min(neededWorkers, httpRoom),
    unit: 'workers',
  });
  const cronWorkers = step({
    id: 'cronWorkers',
      group: 'workers',
    label: 'cron workers (max_cron_threads)',
    formula: `${input.cron}`,
    value: input.cron,
    unit: 'workers',
    note: 'counted separately from HTTP workers',
  });
  const totalWorkers = step({
    id: 'totalWorkers',
      group: 'workers',
    label: 'worker processes in total',
    formula: `${httpWorkers} HTTP + ${cronWorkers} cron`,
    value: httpWorkers + cronWorkers,
    unit: 'processes',
  });

  let cpusNeeded: number | undefined;
  let cpusNeededWithCron: number | undefined;
  if (neededWorkers !== undefined) {
    cpusNeeded = step({
      id: 'cpusNeeded',
      group: 'workers',
      label: `CPUs needed for ${neededWorkers} HTTP workers`,
      formula: `ceil((${neededWorkers} − 1) / 2)`,
      value: Math.max(1, Math.ceil((neededWorkers - 1) / 2)),
      unit: 'CPUs',
      note: 'the inverse of CPUs × 2 + 1, as the seed computes it (HTTP workers only)',
    });
    cpusNeededWithCron = step({
      id: 'cpusNeededWithCron',
      group: 'workers',
      label: `CPUs needed for ${neededWorkers} HTTP + ${input.cron} cron workers`,
      formula: `ceil((${neededWorkers} + ${input.cron} − 1) / 2)`,
      value: Math.max(1, Math.ceil((neededWorkers + input.cron - 1) / 2)),
      unit: 'CPUs',
    });
    if (neededWorkers > httpRoom) {
      warnings.push(
        `${input.users} users need ${neededWorkers} HTTP workers, but ${fmt(input.cpus)} CPUs allow ${maxWorkers} workers in all ` +
          `(${httpRoom} HTTP + ${input.cron} cron): plan for ${cpusNeededWithCron} CPUs, or expect requests to wait in the queue`,
      );
    }
  }

  const heavyMb = input.heavyMb ?? SEED_DEFAULTS.heavyGb * input.mbPerGb;
  const lightRatio = tidy(1 - input.heavyRatio);
  step({ id: 'lightMb', group: 'memory', label: 'RAM of a light worker', formula: `${fmt(input.lightMb)}`, value: input.lightMb, unit: 'MB' });
  step({
    id: 'heavyMb',
      group: 'memory',
    label: 'RAM of a heavy worker',
    formula: input.heavyMb === undefined ? `1 GB × ${input.mbPerGb}` : `${fmt(heavyMb)}`,
    value: heavyMb,
    unit: 'MB',
    note: input.heavyMb === undefined ? `1 GB = ${input.mbPerGb} MB (--gb ${input.mbPerGb})` : 'given with --heavy-mb',
  });
  const averageMb = step({
    id: 'averageMb',
      group: 'memory',
    label: 'RAM of an average worker',
    formula: `${fmt(lightRatio)} × ${fmt(input.lightMb)} + ${fmt(input.heavyRatio)} × ${fmt(heavyMb)} = ${fmt(lightRatio * input.lightMb)} + ${fmt(input.heavyRatio * heavyMb)}`,
    value: lightRatio * input.lightMb + input.heavyRatio * heavyMb,
    unit: 'MB',
    note: `${fmt(lightRatio * 100)} % light / ${fmt(input.heavyRatio * 100)} % heavy requests`,
  });
  const total = (id: string, label: string, workers: number): MemoryTotal => ({
    workers,
    mb: step({ id, group: 'memory', label, formula: `${workers} × ${fmt(averageMb)}`, value: workers * averageMb, unit: 'MB' }),
  });
  const atCap = total('ramAtCap', `RAM at the CPU cap (${maxWorkers} workers)`, maxWorkers);
  const uncapped =
    neededWorkers === undefined
      ? undefined
      : total('ramUncapped', `RAM for the workers the users need (${neededWorkers} HTTP + ${input.cron} cron)`, neededWorkers + input.cron);
  const chosen = total('ramChosen', `RAM for the workers chosen (${httpWorkers} HTTP + ${cronWorkers} cron)`, totalWorkers);

  if (input.ramBytes !== undefined) {
    const ramMb = input.ramBytes / MiB;
    if (chosen.mb > ramMb) {
      warnings.push(`the ${totalWorkers} workers chosen need about ${mbText(chosen.mb)}, more than the ${fmt(tidy(ramMb, 1))} MB of RAM`);
    } else if (uncapped && uncapped.mb > ramMb) {
      warnings.push(`the ${uncapped.workers} workers the users need would take about ${mbText(uncapped.mb)}, more than the ${fmt(tidy(ramMb, 1))} MB of RAM`);
    }
  }

  // The long-polling worker is one more process that may grow to the hard limit.
  const limits = memoryLimits(input.lightMb, heavyMb, totalWorkers + 1, input.ramBytes, warnings);
  step({ id: 'limitSoft', group: 'limits', label: 'limit_memory_soft', formula: limits.softFormula, value: limits.softBytes, unit: 'bytes' });
  step({ id: 'limitHard', group: 'limits', label: 'limit_memory_hard', formula: limits.hardFormula, value: limits.hardBytes, unit: 'bytes' });

  return {
    input,
    maxWorkers,
    neededWorkers,
    httpWorkers,
    cronWorkers,
    totalWorkers,
    cpusNeeded,
    cpusNeededWithCron,
    memory: { mbPerGb: input.mbPerGb, lightMb: input.lightMb, heavyMb, averageMb, atCap, uncapped, chosen },
    limits: { softBytes: limits.softBytes, hardBytes: limits.hardBytes, fitsRam: limits.fitsRam, reasoning: limits.reasoning },
    warnings,
    steps,
  };
}

/**
 * Memory limits from the worker estimates (MB taken as MiB, as Odoo's limits are bytes):
 * - soft = 4 × light: a worker that grew to four light workers' worth is recycled after its request;
 * - hard = soft + heavy: a worker already at the soft limit can still run one heavy request;
 * - and never processes × hard > RAM (HTTP + cron + the long-polling worker): the hard limit is
 *   lowered to RAM / processes if needed.
 * With the seed's 150 MB / 1 GB (1000 MB) this gives Odoo's deploy example: 600 MiB and 1600 MiB.
 */
function memoryLimits(lightMb: number, heavyMb: number, workers: number, ramBytes: number | undefined, warnings: string[]) {
  let softMiB = Math.round(4 * lightMb);
  const idealHardMiB = Math.round(softMiB + heavyMb);
  let hardMiB = idealHardMiB;
  let softFormula = `4 × ${fmt(lightMb)} MiB`;
  let hardFormula = `(${softMiB} + ${fmt(heavyMb)}) MiB`;
  const reasoning = [
    `limit_memory_soft = 4 × light = ${softMiB} MiB: a worker that grew to four light workers' worth is recycled after its request`,
    `limit_memory_hard = soft + heavy = ${hardMiB} MiB: a worker already at the soft limit can still run one heavy request`,
  ];
  let fitsRam = true;
  if (ramBytes !== undefined) {
    const ramMiB = ramBytes / MiB;
    const ceiling = Math.floor(ramMiB / workers);
    if (workers * hardMiB > ramMiB) {
      fitsRam = false;
      hardMiB = ceiling;
      hardFormula = `floor(${fmt(tidy(ramMiB, 1))} MiB RAM / ${workers} workers) MiB`;
      if (softMiB >= hardMiB) {
        softMiB = Math.floor(hardMiB / 2);
        softFormula = `floor(${hardMiB} / 2) MiB`;
      }
      reasoning.push(
        `lowered so that ${workers} processes (HTTP + cron + long-polling) × ${hardMiB} MiB ≤ ${fmt(tidy(ramMiB, 1))} MiB RAM` +
          (hardMiB < heavyMb ? `; below the heavy estimate (${fmt(heavyMb)} MB): heavy requests will be killed` : ''),
      );
      warnings.push(
        `${workers} processes (HTTP + cron + long-polling) at ${idealHardMiB} MiB each would exceed the RAM: limit_memory_hard lowered to ${hardMiB} MiB` +
          (hardMiB < heavyMb ? ' (below a heavy worker: add RAM or use fewer workers)' : ''),
      );
    } else {
      reasoning.push(
        `${workers} processes (HTTP + cron + long-polling) × ${hardMiB} MiB = ${fmt(tidy((workers * hardMiB) / 1024, 2))} GiB ≤ ${fmt(tidy(ramMiB / 1024, 2))} GiB of RAM`,
      );
    }
  }
  return { softBytes: softMiB * MiB, hardBytes: hardMiB * MiB, softFormula, hardFormula, fitsRam, reasoning };
}

/** The [options] block `plan --write-config` writes; the server loads it as is. */
export function renderConfigBlock(p: Plan, generatedBy: string): string {
  const lines = [
    `; Written by ${generatedBy}`,
    `; ${p.input.cpus} CPUs${p.input.users !== undefined ? `, ${p.input.users} concurrent users` : ''}: ${p.httpWorkers} HTTP workers + ${p.cronWorkers} cron (max ${p.maxWorkers} = CPUs × 2 + 1).`,
    `; Memory estimates: light ${fmt(p.memory.lightMb)} MB, heavy ${fmt(p.memory.heavyMb)} MB, ${fmt(p.input.heavyRatio * 100)} % heavy: about ${fmt(tidy(p.memory.averageMb, 1))} MB per worker.`,
    ...p.limits.reasoning.map((r) => `; ${r}.`),
    '; Limits are checked against RSS in odoo-prefork (Odoo checks virtual memory); 0 disables a limit.',
    '; limit_request, limit_time_cpu and limit_time_real are the values of Odoo\'s deploy example',
    '; (Odoo\'s defaults: 65536, 60, 120).',
    '[options]',
    `workers = ${p.httpWorkers}`,
    `max_cron_threads = ${p.cronWorkers}`,
    `limit_memory_soft = ${p.limits.softBytes}`,
    `limit_memory_hard = ${p.limits.hardBytes}`,
    'limit_request = 8192',
    'limit_time_cpu = 600',
    'limit_time_real = 1200',
  ];
  return `${lines.join('\n')}\n`;
}
