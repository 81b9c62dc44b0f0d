/**
 * Every figure of the seed notes (../shared/seed), reproduced with the calculator, and the
 * conventions each one needs.
 */
import { describe, expect, it } from 'vitest';
import { plan, SEED_DEFAULTS, validatePlanInput, type PlanInput } from '../../src/sizing/plan.js';

const MiB = 1024 * 1024;

function seed(overrides: Partial<PlanInput>): PlanInput {
  return {
    cpus: 4,
    heavyRatio: SEED_DEFAULTS.heavyRatio,
    lightMb: SEED_DEFAULTS.lightMb,
    mbPerGb: SEED_DEFAULTS.mbPerGb,
    cron: SEED_DEFAULTS.cron,
    usersPerWorker: SEED_DEFAULTS.usersPerWorker,
    rounding: SEED_DEFAULTS.rounding,
    ...overrides,
  };
}

/** GB as the seed prints them: MB / 1000, one decimal. */
const gb = (mb: number) => Number((mb / 1000).toFixed(1));

describe('the seed notes, figure by figure', () => {
  it('4 cores → 9 workers (CPU × 2 + 1)', () => {
    expect(plan(seed({})).maxWorkers).toBe(9);
  });

  it('9 workers at 80/20 with 1 GB = 1000 MB → 2880 MB', () => {
    const p = plan(seed({ mbPerGb: 1000 }));
    expect(p.memory.averageMb).toBe(320);
    expect(p.memory.atCap).toEqual({ workers: 9, mb: 2880 });
  });

  it('9 workers at 80/20 with 1 GB = 1024 MB → 2923.2 MB ≈ 2.9 GB', () => {
    const p = plan(seed({}));
    expect(p.memory.averageMb).toBe(324.8);
    expect(p.memory.atCap.mb).toBe(2923.2);
    expect(gb(p.memory.atCap.mb)).toBe(2.9);
  });

  it('9 workers at 50/50 with 1 GB = 1000 MB → 575 MB per worker, 5175 MB', () => {
    const p = plan(seed({ heavyRatio: 0.5, mbPerGb: 1000 }));
    expect(p.memory.averageMb).toBe(575);
    expect(p.memory.atCap.mb).toBe(5175);
  });

  it('50 users: 8 workers + 1 for cron, CPU 4, RAM 2.9 GB (the seed counts the cron worker here)', () => {
    const p = plan(seed({ users: 50 }));
    expect(p.neededWorkers).toBe(8);
    expect(p.maxWorkers).toBe(9);
    expect(p.httpWorkers).toBe(8);
    expect(p.cronWorkers).toBe(1);
    expect(p.totalWorkers).toBe(9);
    expect(p.cpusNeeded).toBe(4);
    expect(p.memory.uncapped).toEqual({ workers: 9, mb: 2923.2 });
    expect(gb(p.memory.uncapped!.mb)).toBe(2.9);
    expect(p.warnings).toEqual([]);
  });

  it.each([
    [100, 16, 8, 5.2],
    [150, 25, 12, 8.1],
    [200, 33, 16, 10.7],
  ])('%d users: %d workers, CPU %d, RAM %d GB uncapped and 2.9 GB at the 9-worker cap (the seed does not count cron here: --cron 0)', (users, workers, cpus, ram) => {
    const p = plan(seed({ users, cron: 0 }));
    expect(p.neededWorkers).toBe(workers);
    expect(p.cpusNeeded).toBe(cpus);
    expect(p.maxWorkers).toBe(9);
    expect(gb(p.memory.atCap.mb)).toBe(2.9);
    expect(p.memory.uncapped!.workers).toBe(workers);
    expect(gb(p.memory.uncapped!.mb)).toBe(ram);
    expect(p.warnings[0]).toMatch(new RegExp(`${users} users need ${workers} HTTP workers, but 4 CPUs allow 9 workers in all`));
  });

  it("the seed's [options] block: workers 8, max_cron_threads 1, 600 MiB / 1600 MiB (1 GB = 1000 MB)", () => {
    const p = plan(seed({ users: 50, mbPerGb: 1000, ramBytes: 16 * 1024 * MiB }));
    expect(p.httpWorkers).toBe(8);
    expect(p.cronWorkers).toBe(1);
    expect(p.limits.softBytes).toBe(629145600);
    expect(p.limits.hardBytes).toBe(1677721600);
    expect(p.limits.fitsRam).toBe(true);
  });
});

describe('plan rules', () => {
  it('counts cron workers against the CPU cap', () => {
    const p = plan(seed({ users: 100, cron: 2 }));
    expect(p.httpWorkers).toBe(7);
    expect(p.totalWorkers).toBe(9);
    expect(p.cpusNeededWithCron).toBe(9);
  });

  it('rounds up on request', () => {
    expect(plan(seed({ users: 50, rounding: 'ceil' })).neededWorkers).toBe(9);
  });

  it('uses every worker the CPUs allow when no user count is given', () => {
    const p = plan(seed({ cpus: 2, cron: 1 }));
    expect(p).toMatchObject({ maxWorkers: 5, httpWorkers: 4, totalWorkers: 5, neededWorkers: undefined });
  });

  it('takes a fractional container quota into account', () => {
    expect(plan(seed({ cpus: 1.5 })).maxWorkers).toBe(4);
  });

  it('lowers the hard limit so workers × hard never exceeds the RAM, and says so', () => {
    const p = plan(seed({ users: 50, ramBytes: 4 * 1024 * MiB }));
    expect(p.limits.fitsRam).toBe(false);
    expect((p.totalWorkers + 1) * p.limits.hardBytes).toBeLessThanOrEqual(4 * 1024 * MiB);
    expect(p.limits.softBytes).toBeLessThan(p.limits.hardBytes);
    expect(p.warnings.join('\n')).toMatch(/limit_memory_hard lowered to 409 MiB \(below a heavy worker/);
  });

  it('warns when the workers need more RAM than the machine has', () => {
    const p = plan(seed({ users: 50, ramBytes: 2 * 1024 * MiB }));
    expect(p.warnings[0]).toMatch(/the 9 workers chosen need about 2923.2 MB .* more than the 2048 MB of RAM/);
  });

  it('records each figure as a labelled step with its formula', () => {
    const p = plan(seed({ users: 50 }));
    expect(p.steps.find((s) => s.id === 'maxWorkers')).toMatchObject({ formula: 'floor(4 × 2 + 1)', value: 9 });
    expect(p.steps.find((s) => s.id === 'averageMb')).toMatchObject({ formula: '0.8 × 150 + 0.2 × 1024 = 120 + 204.8', value: 324.8 });
    expect(p.steps.find((s) => s.id === 'cpusNeeded')).toMatchObject({ formula: 'ceil((8 − 1) / 2)', value: 4 });
  });

  it('refuses nonsense input with messages naming the flag', () => {
    expect(validatePlanInput(seed({ heavyRatio: 1.5, users: 0, cpus: 0 }))).toEqual([
      '--cpus must be a number above 0',
      '--users must be a whole number above 0',
      '--heavy-ratio must be between 0 and 1 (0.2 means 20 % heavy requests)',
    ]);
  });
});
