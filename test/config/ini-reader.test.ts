import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/diagnostics.js';
import { readIni } from '../../src/config/ini-reader.js';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return `${error.diagnostic.code}@${error.diagnostic.line}`;
    throw error;
  }
  return undefined;
}

describe('readIni (RawConfigParser rules)', () => {
  it('reads keys case-insensitively with = or :, skipping full-line comments', () => {
    const doc = readIni('; header comment\n# another\n[options]\nWorkers = 4\nhttp_port: 8070\n  ; indented comment\n', 'f');
    const options = doc.sections.get('options')!;
    expect(options.entries.get('workers')).toEqual({ key: 'workers', value: '4', line: 4 });
    expect(options.entries.get('http_port')?.value).toBe('8070');
  });

  it('keeps inline comments as part of the value, as Odoo does', () => {
    const doc = readIni('[options]\nhttp_port = 8070 # comment\n', 'f');
    expect(doc.sections.get('options')!.entries.get('http_port')?.value).toBe('8070 # comment');
  });

  it('splits at the first delimiter and keeps empty values', () => {
    const doc = readIni('[options]\ndb_app_name = odoo-{pid}=x\ndbfilter = \n', 'f');
    const options = doc.sections.get('options')!;
    expect(options.entries.get('db_app_name')?.value).toBe('odoo-{pid}=x');
    expect(options.entries.get('dbfilter')?.value).toBe('');
  });

  it('continues a value on indented lines', () => {
    const doc = readIni('[options]\naddons_path = a,\n    b\nworkers = 2\n', 'f');
    expect(doc.sections.get('options')!.entries.get('addons_path')?.value).toBe('a,\nb');
  });

  it('rejects duplicate keys, naming both lines', () => {
    expect(codeOf(() => readIni('[options]\nworkers = 2\nWORKERS = 3\n', 'f'))).toBe('CONFIG_DUPLICATE_KEY@3');
    try {
      readIni('[options]\nworkers = 2\nWORKERS = 3\n', 'f');
    } catch (error) {
      expect((error as Error).message).toMatch(/first at line 2/);
    }
  });

  it('rejects duplicate sections', () => {
    expect(codeOf(() => readIni('[options]\n[options]\n', 'f'))).toBe('CONFIG_DUPLICATE_SECTION@2');
  });

  it('rejects keys before the first section, even after comments', () => {
    expect(codeOf(() => readIni('; comment\nworkers = 2\n[options]\n', 'f'))).toBe('CONFIG_NO_SECTION_HEADER@2');
  });

  it('rejects lines that are not key = value', () => {
    expect(codeOf(() => readIni('[options]\nworkers 2\n', 'f'))).toBe('CONFIG_SYNTAX@2');
  });

  it('rejects unrendered template lines', () => {
    expect(codeOf(() => readIni('[options]\n{{ default .Env.X "" }}\n', 'f'))).toBe('CONFIG_TEMPLATE@2');
  });

  it('says when a file is only comments', () => {
    expect(readIni('; nothing\n\n# here\n', 'f').blank).toBe(true);
    expect(readIni('[options]\n', 'f').blank).toBe(false);
  });

  it('tolerates CRLF line endings and a BOM', () => {
    const doc = readIni('\uFEFF[options]\r\nworkers = 3\r\n', 'f');
    expect(doc.sections.get('options')!.entries.get('workers')?.value).toBe('3');
  });
});
