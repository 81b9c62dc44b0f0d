import { describe, expect, it } from 'vitest';
import { diagnoseNonNumber, formatBytes, parseBoolean, parseInteger, parseSeconds, parseSize, ValueError } from '../../src/config/values.js';

describe('parseSize (Odoo _parse_size)', () => {
  it.each([
    ['1024', 1024],
    ['2ki ', 2048],
    [' 4MiB', 4194304],
    ['1536MiB', 1610612736],
    ['3GiB', 3221225472],
    ['2147483648', 2147483648],
    ['1024B', 1024],
    ['5 Gi', 5 * 1024 ** 3],
  ])('accepts %j as %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each([
    ['10kB', 'kB'],
    ['20fiB', 'fiB'],
    ['1MB', 'MB'],
    ['2KiB', 'KiB'],
    ['1536M', 'M'],
    ['3 gib', 'gib'],
  ])('rejects %j, naming the unit %j', (text, unit) => {
    expect(() => parseSize(text)).toThrow(`invalid IEC 80000-13 binary prefix ${JSON.stringify(unit)}`);
  });

  it.each(['1.2465', 'B', '', 'abc', '-5', '1 GiB # one gig'])('rejects %j as an invalid size', (text) => {
    expect(() => parseSize(text)).toThrow(ValueError);
  });

  it('says what is accepted', () => {
    try {
      parseSize('10kB');
      expect.unreachable();
    } catch (error) {
      expect((error as ValueError).hint).toMatch(/byte count.*ki, Mi, Gi/);
      expect((error as ValueError).hint).toMatch(/kB or MB are not accepted/);
    }
  });

  it('rejects sizes that do not fit a double exactly (1 YiB is valid in Odoo but absurd here)', () => {
    expect(() => parseSize('1 YiB')).toThrow(/too large/);
  });
});

describe('numbers', () => {
  it('parses integers and explains common traps', () => {
    expect(parseInteger(' 42 ')).toBe(42);
    expect(parseInteger('-1')).toBe(-1);
    expect(() => parseInteger('8070 # c')).toThrow(ValueError);
    try {
      parseInteger('8070 # c');
    } catch (error) {
      expect((error as ValueError).hint).toMatch(/inline comments are not supported/);
    }
  });

  it('recognises unexpanded variables and template text', () => {
    expect(diagnoseNonNumber('$ODOO_WORKERS')).toMatch(/unexpanded environment variable/);
    expect(diagnoseNonNumber('${WORKERS}')).toMatch(/unexpanded environment variable/);
    expect(diagnoseNonNumber('{{ default .Env.WORKERS "4" }}')).toMatch(/unrendered template/);
    expect(diagnoseNonNumber('12x')).toBeUndefined();
  });

  it('accepts fractional seconds', () => {
    expect(parseSeconds('0.5')).toBe(0.5);
    expect(parseSeconds('120')).toBe(120);
    expect(() => parseSeconds('2m')).toThrow(/invalid number of seconds/);
  });

  it('parses booleans the way configparser does', () => {
    expect(parseBoolean('True')).toBe(true);
    expect(parseBoolean('false')).toBe(false);
    expect(parseBoolean('yes')).toBe(true);
    expect(() => parseBoolean('maybe')).toThrow(/invalid boolean "maybe"/);
    try {
      parseBoolean('maybe');
    } catch (error) {
      expect((error as ValueError).hint).toBe('write True or False');
    }
  });

  it('formats bytes in binary units', () => {
    expect(formatBytes(629145600)).toBe('600 MiB');
    expect(formatBytes(2684354560)).toBe('2560 MiB');
    expect(formatBytes(2147483648)).toBe('2 GiB');
    expect(formatBytes(1677721600)).toBe('1600 MiB');
    expect(formatBytes(1048578)).toBe('1.00 MiB');
    expect(formatBytes(54366208)).toBe('51.8 MiB');
    expect(formatBytes(512)).toBe('512 B');
  });
});
