/**
 * Turning the text of one setting into a typed value. Pure functions: every caller (config file,
 * command line, --save round trip) goes through these, so a value means the same thing wherever
 * it was written.
 */

/** A value that could not be converted; `hint` is the fix, written for the user. */
export class ValueError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'ValueError';
  }
}

/**
 * IEC 80000-13 binary prefixes, exactly as Odoo's `_parse_size` accepts them (post-18 master):
 * case-sensitive, `ki` in lower case, the others with a capital letter.
 */
const BINARY_PREFIXES: Record<string, number> = {
  '': 0,
  ki: 1,
  Mi: 2,
  Gi: 3,
  Ti: 4,
  Pi: 5,
  Ei: 6,
  Zi: 7,
  Yi: 8,
};

const SIZE_ACCEPTED =
  'a byte count (e.g. 2147483648) or a whole number with a binary prefix ki, Mi, Gi, Ti ' +
  '(e.g. 2ki, 1536MiB, 3GiB); decimal units such as kB or MB are not accepted';

/**
 * Same grammar as Odoo (`^\s*(\d+)\s*(\w{2})?B?\s*$`, prefix checked against the list above), read
 * so that the message names the unit the user actually wrote: "1536M" is refused for "M".
 */
const SIZE_PATTERN = /^\s*(\d+)\s*([A-Za-z_]*)\s*$/;

export function parseSize(text: string): number {
  const match = SIZE_PATTERN.exec(text);
  if (!match) {
    throw new ValueError(`invalid size ${JSON.stringify(text)}`, `write ${SIZE_ACCEPTED}`);
  }
  const digits = match[1] as string;
  const unit = match[2] as string;
  const prefix = unit.endsWith('B') ? unit.slice(0, -1) : unit;
  const power = BINARY_PREFIXES[prefix];
  if (power === undefined) {
    throw new ValueError(
      `invalid IEC 80000-13 binary prefix ${JSON.stringify(unit)} in ${JSON.stringify(text.trim())}`,
      `write ${SIZE_ACCEPTED}`,
    );
  }
  const bytes = BigInt(digits) * 1024n ** BigInt(power);
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ValueError(`size ${JSON.stringify(text.trim())} is too large (${bytes} bytes)`, 'use a size below 8 PiB');
  }
  return Number(bytes);
}

const INTEGER_PATTERN = /^[+-]?\d+$/;
const DECIMAL_PATTERN = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/**
 * Explains why a number failed to parse when the reason is a common trap: an inline comment
 * (RawConfigParser keeps it as part of the value), or template text that was never rendered.
 */
export function diagnoseNonNumber(text: string): string | undefined {
  if (/\{\{.*\}\}|\{%.*%\}/.test(text)) {
    return 'this is unrendered template text ({{ ... }}): render the template (e.g. with dockerize or envsubst) and load the result';
  }
  if (/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/.test(text)) {
    return 'this is an unexpanded environment variable reference: config files are not shell scripts; substitute the value (e.g. with envsubst) before loading the file';
  }
  if (/\s[#;]/.test(text) || /^\S+[#;]/.test(text)) {
    return 'inline comments are not supported (as in Odoo): move the comment to its own line starting with ; or #';
  }
  return undefined;
}

export function parseInteger(text: string): number {
  const trimmed = text.trim();
  if (!INTEGER_PATTERN.test(trimmed)) {
    throw new ValueError(
      `invalid integer ${JSON.stringify(text)}`,
      diagnoseNonNumber(trimmed) ?? 'write a whole number such as 4',
    );
  }
  const value = Number(trimmed);
  if (!Number.isSafeInteger(value)) {
    throw new ValueError(`integer ${trimmed} is too large`, 'use a smaller number');
  }
  return value;
}

/** Seconds: Odoo takes whole seconds; fractions are accepted too, so small limits can be tested. */
export function parseSeconds(text: string): number {
  const trimmed = text.trim();
  if (!DECIMAL_PATTERN.test(trimmed)) {
    throw new ValueError(
      `invalid number of seconds ${JSON.stringify(text)}`,
      diagnoseNonNumber(trimmed) ?? 'write a number of seconds such as 120 or 0.5',
    );
  }
  return Number(trimmed);
}

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);

/** Odoo writes True/False; the other spellings Python's configparser knows are accepted too. */
export function parseBoolean(text: string): boolean {
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new ValueError(`invalid boolean ${JSON.stringify(text)}`, 'write True or False');
}

/**
 * Formats a byte count the way people read it (binary units), for messages and docs. A whole
 * number in a smaller unit is preferred to a fraction in a larger one: 2560 MiB, as Odoo writes
 * its default, rather than 2.50 GiB.
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  for (let unit = units.length - 1; unit > 0; unit--) {
    const value = bytes / 1024 ** unit;
    if (Number.isInteger(value) && value >= 1 && value < 10000) return `${value} ${units[unit]}`;
  }
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || Number.isInteger(value) ? 0 : value < 10 ? 2 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}
