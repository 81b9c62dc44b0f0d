/**
 * Reads a config file the way Odoo's RawConfigParser does, keeping the line of every key.
 *
 * Why not the `ini` package: it cannot report line numbers, merges duplicate keys silently and
 * strips inline `;`/`#` comments — the opposite of Odoo, where `8070 # c` stays part of the value
 * and a duplicate key is an error. Users must get the same verdict here as from Odoo.
 *
 * Rules (Python configparser, strict mode, as Odoo uses it):
 * - `[section]` headers; keys before the first header are an error (MissingSectionHeaderError).
 * - `key = value` or `key: value`, split at the first `=` or `:`; key and value trimmed; keys
 *   case-insensitive (lower-cased).
 * - full-line comments start with `;` or `#` (after optional indentation); no inline comments.
 * - an indented line right after a key continues its value on a new line.
 * - a duplicate key in a section, or a duplicate section, is an error.
 */
import { ConfigError } from './diagnostics.js';

export interface IniEntry {
  key: string;
  value: string;
  line: number;
}

export interface IniSection {
  name: string;
  line: number;
  entries: Map<string, IniEntry>;
}

export interface IniDocument {
  sections: Map<string, IniSection>;
  /** True when the file holds nothing but blank lines and comments. */
  blank: boolean;
}

const SECTION_PATTERN = /^\[([^\]]+)\]/;
const TEMPLATE_PATTERN = /\{\{.*\}\}|\{%.*%\}/;

export function readIni(content: string, file: string): IniDocument {
  const sections = new Map<string, IniSection>();
  let current: IniSection | undefined;
  let lastEntry: IniEntry | undefined;
  let lastIndent = 0;
  let blank = true;
  // Python's configparser splits lines at \n, \r\n and a lone \r alike.
  const lines = content.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);

  lines.forEach((raw, index) => {
    const line = index + 1;
    const stripped = raw.trim();
    if (stripped === '') {
      lastEntry = undefined;
      return;
    }
    if (stripped.startsWith(';') || stripped.startsWith('#')) return;
    blank = false;
    const indent = raw.length - raw.trimStart().length;

    if (lastEntry && indent > lastIndent) {
      lastEntry.value = `${lastEntry.value}\n${stripped}`;
      return;
    }

    const header = SECTION_PATTERN.exec(stripped);
    if (header) {
      const name = header[1] as string;
      const existing = sections.get(name);
      if (existing) {
        throw new ConfigError('CONFIG_DUPLICATE_SECTION', `section [${name}] appears twice (first at line ${existing.line})`, {
          file,
          line,
          hint: `merge the two [${name}] sections into one`,
        });
      }
      current = { name, line, entries: new Map() };
      sections.set(name, current);
      lastEntry = undefined;
      return;
    }

    if (TEMPLATE_PATTERN.test(stripped)) {
      throw new ConfigError('CONFIG_TEMPLATE', `unrendered template text: ${truncate(stripped)}`, {
        file,
        line,
        hint: 'this file is a template (Go/Jinja {{ ... }}); render it first (e.g. dockerize, gomplate, envsubst) and load the rendered file',
      });
    }

    const delimiter = stripped.search(/[=:]/);
    if (delimiter <= 0) {
      throw new ConfigError('CONFIG_SYNTAX', `expected "key = value", found ${truncate(stripped)}`, {
        file,
        line,
        hint: 'write one option per line as key = value; comments go on their own line, starting with ; or #',
      });
    }
    const key = stripped.slice(0, delimiter).trim().toLowerCase();
    const value = stripped.slice(delimiter + 1).trim();

    if (!current) {
      const fragment = /^\$\{?[A-Za-z_]/.test(value)
        ? '; its values are $VARIABLES, so it looks like a conf.d fragment that a tool (e.g. Doodba) merges and renders: load the merged file'
        : '';
      throw new ConfigError('CONFIG_NO_SECTION_HEADER', `"${key}" appears before any [section] header`, {
        file,
        line,
        key,
        hint: `add an [options] line at the top of the file (Odoo reads only the [options] section)${fragment}`,
      });
    }
    const duplicate = current.entries.get(key);
    if (duplicate) {
      throw new ConfigError('CONFIG_DUPLICATE_KEY', `"${key}" is set twice in [${current.name}] (first at line ${duplicate.line})`, {
        file,
        line,
        key,
        hint: 'keep one of the two lines',
      });
    }
    lastEntry = { key, value, line };
    lastIndent = indent;
    current.entries.set(key, lastEntry);
  });

  return { sections, blank };
}

function truncate(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}
