/**
 * `-s/--save`: writes the effective configuration to the config file, as Odoo does — every option
 * sorted by key in [options], `key = value`, `None` for unset, mode 0600 — and keeps the keys and
 * sections it does not own, so saving never loses what the user wrote (comments excepted, as in
 * Odoo).
 */
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './diagnostics.js';
import type { LoadedConfig } from './load.js';
import { formatValue, SETTINGS } from './settings.js';

function line(key: string, value: string): string {
  // Python's configparser writes "key = value" and continues multi-line values with a tab.
  return `${key} = ${value.replace(/\n/g, '\n\t')}`;
}

export function renderConfig(config: LoadedConfig): string {
  const options = new Map<string, string>();
  for (const entry of config.otherKeys) options.set(entry.key, entry.value);
  for (const spec of SETTINGS) options.set(spec.key, formatValue(spec, config.settings[spec.key]));
  const keys = [...options.keys()].sort();
  const blocks = [['[options]', ...keys.map((key) => line(key, options.get(key) as string))].join('\n')];
  for (const section of config.otherSections) {
    blocks.push([`[${section.name}]`, ...[...section.entries.values()].map((e) => line(e.key, e.value))].join('\n'));
  }
  return `${blocks.join('\n\n')}\n\n`;
}

export function saveConfig(config: LoadedConfig, file: string): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, renderConfig(config), { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, file);
  } catch (error) {
    throw new ConfigError('CONFIG_SAVE_FAILED', `cannot write the config file: ${(error as Error).message}`, {
      file,
      hint: 'check that the directory exists and is writable',
    });
  }
}
