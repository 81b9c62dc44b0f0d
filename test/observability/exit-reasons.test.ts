import { describe, expect, it } from 'vitest';
import { describeExit } from '../../src/observability/exit-reasons.js';

const record = { id: 1, kind: 'http' as const, pid: 4242, startedAt: 0, endedAt: 10, requests: 3, rss: 1, peakRss: 2, request: undefined };

describe('describeExit', () => {
  it('keeps the reason recorded before the exit (first reason wins)', () => {
    const exit = describeExit({ record, recorded: { reason: 'max-requests', detail: 'served 100' }, code: 0, signal: null });
    expect(exit).toMatchObject({ reason: 'max-requests', detail: 'served 100', code: 0 });
  });
  it('hints at the OOM killer for an unexplained SIGKILL', () => {
    const exit = describeExit({ record, recorded: undefined, code: null, signal: 'SIGKILL' });
    expect(exit.reason).toBe('signal');
    expect(exit.message).toMatch(/WorkerHTTP \(4242\) died: .*out of memory/);
  });
  it('calls any other unexplained exit a crash, with its code', () => {
    expect(describeExit({ record, recorded: undefined, code: 1, signal: null })).toMatchObject({ reason: 'crash', detail: 'exited with code 1' });
    expect(describeExit({ record, recorded: undefined, code: 0, signal: null }).detail).toMatch(/without being asked/);
  });
});
