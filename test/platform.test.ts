import { describe, expect, it } from 'vitest';
import { currentPlatform, resolveMode } from '../src/platform.js';

describe('resolveMode', () => {
  it('runs prefork on Linux when workers > 0', () => {
    expect(resolveMode({ workers: 4 }, 'linux')).toEqual({ mode: 'prefork' });
  });
  it('runs threaded when workers = 0, anywhere', () => {
    expect(resolveMode({ workers: 0 }, 'win32')).toEqual({ mode: 'threaded' });
  });
  it.each(['win32', 'darwin', 'freebsd'] as const)('falls back to threaded on %s, with a warning', (platform) => {
    const decision = resolveMode({ workers: 4 }, platform);
    expect(decision.mode).toBe('threaded');
    expect(decision.warning).toMatch(new RegExp(`needs Linux \\(this is ${platform}\\)`));
  });
  it('lets tests pretend to be another platform', () => {
    expect(currentPlatform({ ODOO_PREFORK_PLATFORM: 'win32' })).toBe('win32');
    expect(currentPlatform({})).toBe(process.platform);
  });
});
