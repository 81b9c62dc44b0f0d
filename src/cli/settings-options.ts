/**
 * Command-line flags derived from the settings table. No flag has a default on the command line:
 * "not given" must stay visible, or a default would silently beat the config file.
 */
import { Option, type Command } from 'commander';
import type { FlagValue } from '../config/load.js';
import { ODOO_FLAGS_NOT_USED, SETTINGS, type SettingGroup, type SettingSpec } from '../config/settings.js';

const GROUP_TITLES: Record<SettingGroup, string> = {
  multiprocessing: 'Multiprocessing options (Odoo):',
  http: 'HTTP options (Odoo):',
  logging: 'Logging and process options:',
  application: 'odoo-prefork options:',
};

interface Binding {
  option: Option;
  spec: SettingSpec;
  /** The value a valueless switch stands for. */
  switchValue?: boolean;
  alias?: string;
}

export interface ConfigFlags {
  config?: string;
  save?: boolean;
}

export interface GivenFlags {
  flags: FlagValue[];
  /** Odoo flags that were given and are ignored here (database, addons, mail…). */
  ignored: string[];
}

/** Adds -c/-s and one flag per setting to `command`; returns a reader for the flags given. */
export function addSettingOptions(command: Command): (cmd: Command) => GivenFlags {
  command.addOption(new Option('-c, --config <file>', 'config file to read (default: $ODOO_RC, else ~/.odoorc)').helpGroup('Common options:'));
  const bindings: Binding[] = [];
  for (const spec of SETTINGS) {
    const group = GROUP_TITLES[spec.group];
    let option: Option;
    let switchValue: boolean | undefined;
    if (spec.negatedFlag) {
      option = new Option(spec.negatedFlag, spec.help);
      switchValue = false;
    } else if (typeof spec.default === 'boolean') {
      option = new Option(spec.flag, spec.help);
      switchValue = true;
    } else {
      option = new Option(`${spec.short ? `${spec.short}, ` : ''}${spec.flag} ${spec.valueName}`, spec.help);
    }
    option.helpGroup(group);
    command.addOption(option);
    bindings.push({ option, spec, ...(switchValue !== undefined ? { switchValue } : {}) });
    for (const alias of spec.aliases ?? []) {
      const aliasOption = new Option(`${alias.flag} ${spec.valueName}`, `deprecated alias of ${spec.flag}`).helpGroup(group);
      command.addOption(aliasOption);
      bindings.push({ option: aliasOption, spec, alias: alias.note });
    }
  }
  const ignoredOptions: Option[] = [];
  for (const [flags, takesValue] of ODOO_FLAGS_NOT_USED) {
    const option = new Option(takesValue ? `${flags} <value>` : flags).hideHelp();
    command.addOption(option);
    ignoredOptions.push(option);
  }
  return (cmd: Command) => {
    const flags: FlagValue[] = [];
    const ignored = ignoredOptions
      .filter((option) => cmd.getOptionValueSource(option.attributeName()) === 'cli')
      .map((option) => option.long ?? option.flags);
    for (const binding of bindings) {
      const name = binding.option.attributeName();
      if (cmd.getOptionValueSource(name) !== 'cli') continue;
      const raw = cmd.getOptionValue(name) as string | boolean;
      flags.push({
        key: binding.spec.key,
        flag: binding.option.long ?? binding.spec.flag,
        value: binding.switchValue ?? raw,
        ...(binding.alias ? { aliasNote: binding.alias } : {}),
      });
    }
    return { flags, ignored };
  };
}
