/**
 * Builds the effective configuration in layers — defaults < config file < command line — and
 * keeps the origin of every value, so `odoo-prefork config` can say where each one came from.
 * The result is frozen: nothing changes a setting after start-up.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, diagnostic, type Diagnostic } from './diagnostics.js';
import { readIni, type IniEntry, type IniSection } from './ini-reader.js';
import {
  ALIASES,
  defaultSettings,
  isUnsetWord,
  ODOO_CLI_ONLY_KEYS,
  ODOO_KEYS_NOT_USED,
  SETTINGS,
  SETTINGS_BY_KEY,
  type SettingKey,
  type Settings,
  type SettingSpec,
  type SettingValue,
} from './settings.js';
import { ValueError } from './values.js';

export type ConfigFileVia = '-c' | 'ODOO_RC' | '~/.odoorc';

export type Origin =
  | { kind: 'default' }
  | { kind: 'file'; file: string; line: number; via: ConfigFileVia }
  | { kind: 'flag'; flag: string };

export interface ConfigFileRef {
  path: string;
  via: ConfigFileVia;
  /** False when the file does not exist yet (allowed for ~/.odoorc, and with --save). */
  exists: boolean;
}

/** A value given on the command line: text for valued options, true/false for switches. */
export interface FlagValue {
  key: SettingKey;
  flag: string;
  value: string | boolean;
  /** Set when the flag is a deprecated alias (--longpolling-port). */
  aliasNote?: string;
}

export interface LoadOptions {
  configPath?: string | undefined;
  flags?: FlagValue[];
  /** Odoo flags given on the command line that odoo-prefork ignores. */
  ignoredFlags?: string[];
  save?: boolean;
  env?: NodeJS.ProcessEnv;
  homedir?: string;
  readFile?: (file: string) => string;
}

export interface LoadedConfig {
  settings: Readonly<Settings>;
  origins: Readonly<Record<SettingKey, Origin>>;
  file: ConfigFileRef | undefined;
  /** Keys of the [options] section that are not settings of ours; kept as is by --save. */
  otherKeys: readonly IniEntry[];
  /** Sections other than [options]; kept as is by --save (Odoo's --save keeps them too). */
  otherSections: readonly IniSection[];
  diagnostics: readonly Diagnostic[];
}

export function resolveConfigFile(options: LoadOptions, env: NodeJS.ProcessEnv, homedir: string): Omit<ConfigFileRef, 'exists'> | undefined {
  if (options.configPath) return { path: options.configPath, via: '-c' };
  if (env.ODOO_RC) return { path: env.ODOO_RC, via: 'ODOO_RC' };
  if (homedir) return { path: path.join(homedir, '.odoorc'), via: '~/.odoorc' };
  return undefined;
}

function readConfigText(ref: Omit<ConfigFileRef, 'exists'>, options: LoadOptions): string | undefined {
  const read = options.readFile ?? ((file: string) => readFileSync(file, 'utf8'));
  try {
    return read(ref.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && (ref.via === '~/.odoorc' || options.save)) return undefined;
    const how = ref.via === '-c' ? 'given with -c' : ref.via === 'ODOO_RC' ? 'named by $ODOO_RC' : 'found at ~/.odoorc';
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new ConfigError('CONFIG_FILE_UNREADABLE', `cannot read the config file ${how}: ${reason}`, {
      file: ref.path,
      hint: code === 'ENOENT' ? 'check the path, or add -s/--save to create the file from the current settings' : 'check the path and its permissions',
    });
  }
}

function parseValue(spec: SettingSpec, text: string, where: { file?: string; line?: number; flag?: string }): SettingValue {
  try {
    return spec.parse(text);
  } catch (error) {
    if (error instanceof ValueError) {
      throw new ConfigError('CONFIG_INVALID_VALUE', error.message, { ...where, key: spec.key, hint: error.hint });
    }
    throw error;
  }
}

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const homedir = options.homedir ?? env.HOME ?? '';
  const settings = defaultSettings() as unknown as Record<SettingKey, SettingValue>;
  const origins = Object.fromEntries(SETTINGS.map((spec) => [spec.key, { kind: 'default' }])) as Record<SettingKey, Origin>;
  const diagnostics: Diagnostic[] = [];
  const otherKeys: IniEntry[] = [];
  let otherSections: IniSection[] = [];

  const ref = resolveConfigFile(options, env, homedir);
  let file: ConfigFileRef | undefined;
  if (ref) {
    const content = readConfigText(ref, options);
    file = { ...ref, exists: content !== undefined };
    if (content !== undefined) {
      const doc = readIni(content, ref.path);
      const section = doc.sections.get('options');
      otherSections = [...doc.sections.values()].filter((s) => s.name !== 'options');
      if (doc.blank) {
        diagnostics.push(
          diagnostic('CONFIG_EMPTY_FILE', 'the config file holds no options; defaults apply', {
            file: ref.path,
            hint: 'add an [options] section, or run with -s/--save to write the current settings into it',
          }),
        );
      } else if (!section) {
        const names = [...doc.sections.keys()];
        const caseHint = names.find((n) => n.toLowerCase() === 'options');
        throw new ConfigError(
          'CONFIG_NO_OPTIONS_SECTION',
          `no [options] section (found ${names.map((n) => `[${n}]`).join(', ')}); Odoo would silently ignore this whole file`,
          {
            file: ref.path,
            line: doc.sections.get(names[0] as string)?.line,
            hint: caseHint
              ? `section names are case-sensitive: rename [${caseHint}] to [options]`
              : 'put the settings under an [options] header',
          },
        );
      } else {
        applyFile(section, { ...ref }, settings, origins, diagnostics, otherKeys);
      }
    }
  }

  for (const flag of options.flags ?? []) {
    const spec = SETTINGS_BY_KEY.get(flag.key);
    if (!spec) continue;
    if (flag.aliasNote) {
      diagnostics.push(
        diagnostic('CONFIG_DEPRECATED_ALIAS', flag.aliasNote, { flag: flag.flag, key: spec.key, hint: `use ${spec.flag}` }),
      );
    }
    settings[spec.key] = typeof flag.value === 'boolean' ? flag.value : parseValue(spec, flag.value, { flag: flag.flag });
    origins[spec.key] = { kind: 'flag', flag: flag.flag };
  }

  if (options.ignoredFlags?.length) {
    diagnostics.push(
      diagnostic(
        'CONFIG_ODOO_KEYS_IGNORED',
        `Odoo flags accepted but not used by odoo-prefork (no database, addons or mail here): ${options.ignoredFlags.join(', ')}`,
      ),
    );
  }

  return {
    settings: Object.freeze(settings as unknown as Settings),
    origins: Object.freeze(origins),
    file,
    otherKeys,
    otherSections,
    diagnostics,
  };
}

function applyFile(
  section: IniSection,
  ref: Omit<ConfigFileRef, 'exists'>,
  settings: Record<SettingKey, SettingValue>,
  origins: Record<SettingKey, Origin>,
  diagnostics: Diagnostic[],
  otherKeys: IniEntry[],
): void {
  const ignoredOdooKeys: string[] = [];
  for (const entry of section.entries.values()) {
    const where = { file: ref.path, line: entry.line };
    const alias = ALIASES.get(entry.key);
    const spec = SETTINGS_BY_KEY.get(entry.key) ?? alias?.spec;

    if (!spec) {
      otherKeys.push(entry);
      if (ODOO_KEYS_NOT_USED.has(entry.key) || ODOO_CLI_ONLY_KEYS.has(entry.key)) {
        ignoredOdooKeys.push(entry.key);
      } else {
        const suggestion = suggestKey(entry.key);
        diagnostics.push(
          diagnostic('CONFIG_UNKNOWN_KEY', `unknown option "${entry.key}"; it is kept as is and not used`, {
            ...where,
            key: entry.key,
            hint: suggestion ? `did you mean "${suggestion}"?` : 'remove it, or check the spelling against docs/settings.md',
          }),
        );
      }
      continue;
    }

    if (alias) {
      const shadowed = section.entries.has(spec.key);
      diagnostics.push(
        diagnostic('CONFIG_DEPRECATED_ALIAS', `${alias.note}${shadowed ? `; ignored because ${spec.key} is also set` : ''}`, {
          ...where,
          key: entry.key,
          hint: `rename it to ${spec.key}`,
        }),
      );
      if (shadowed) continue;
    }

    if (isUnsetWord(entry.value, typeof spec.default === 'boolean')) {
      settings[spec.key] = spec.default;
      origins[spec.key] = { kind: 'file', file: ref.path, line: entry.line, via: ref.via };
      if (entry.value !== '' || spec.default !== '') {
        diagnostics.push(
          diagnostic(
            'CONFIG_UNSET_WORD',
            `"${entry.value || '(empty)'}" means "not set": the default ${spec.default === null ? 'None' : JSON.stringify(spec.default)} applies`,
            { ...where, key: spec.key },
          ),
        );
      }
      continue;
    }
    settings[spec.key] = parseValue(spec, entry.value, where);
    origins[spec.key] = { kind: 'file', file: ref.path, line: entry.line, via: ref.via };
  }
  if (ignoredOdooKeys.length > 0) {
    diagnostics.push(
      diagnostic(
        'CONFIG_ODOO_KEYS_IGNORED',
        `Odoo options read but not used by odoo-prefork (no database, addons or mail here): ${ignoredOdooKeys.join(', ')}`,
        { file: ref.path },
      ),
    );
  }
}

/** The closest known key within a small edit distance, for "did you mean". */
export function suggestKey(key: string): string | undefined {
  const candidates = [...SETTINGS_BY_KEY.keys(), ...ALIASES.keys(), ...ODOO_KEYS_NOT_USED];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
    }
    previous = current;
  }
  return previous[b.length] as number;
}
