/**
 * The command line: `odoo-prefork [serve]` (default), `odoo-prefork config`. Flags keep Odoo's
 * spellings. Usage and configuration errors exit with code 2 and one clear message, never a stack.
 */
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, formatDiagnostic } from '../config/diagnostics.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { allDiagnostics, renderConfigJson, renderConfigText, renderDiagnostics } from './config-command.js';
import { addSettingOptions, type GivenFlags } from './settings-options.js';
import { renderSettingsDoc } from './settings-doc.js';
import { serve } from './serve.js';
import { addPlanCommand } from './plan-command.js';

export const VERSION = '0.1.0';
export const USAGE_EXIT_CODE = 2;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export class ExitRequest {
  constructor(readonly code: number) {}
}

function load(command: Command, readFlags: (cmd: Command) => GivenFlags): LoadedConfig {
  const options = command.opts<{ config?: string; save?: boolean }>();
  const given = readFlags(command);
  return loadConfig({ configPath: options.config, flags: given.flags, ignoredFlags: given.ignored, save: options.save === true });
}

export function buildProgram(io: CliIo = defaultIo): Command {
  const program = new Command('odoo-prefork')
    .description("A prefork process supervisor for Node HTTP apps, with the process model of Odoo's built-in server.")
    .version(VERSION, '--version')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showSuggestionAfterError(true)
    .exitOverride();

  const serveCommand = program
    .command('serve', { isDefault: true })
    .description('run the server: prefork (workers > 0, Linux) or threaded (workers = 0)');
  const readServeFlags = addSettingOptions(serveCommand);
  serveCommand.addOption(
    new Option('-s, --save', 'write the effective configuration to the config file (mode 0600) and keep running').helpGroup('Common options:'),
  );
  serveCommand.action(async (_options, command: Command) => {
    const config = load(command, readServeFlags);
    const code = await serve(config, { save: command.opts<{ save?: boolean }>().save === true, io });
    throw new ExitRequest(code);
  });

  const configCommand = program
    .command('config')
    .description('print the effective configuration, with the source of every value, and exit');
  const readConfigFlags = addSettingOptions(configCommand);
  configCommand
    .option('--json', 'print JSON instead of a table')
    .addOption(new Option('--settings-doc', 'print the settings reference (docs/settings.md) and exit').hideHelp())
    .action((options: { json?: boolean; settingsDoc?: boolean }, command: Command) => {
      if (options.settingsDoc) {
        io.stdout(renderSettingsDoc());
        return;
      }
      const config = load(command, readConfigFlags);
      const diagnostics = allDiagnostics(config);
      if (options.json) {
        io.stdout(renderConfigJson(config, diagnostics));
      } else {
        io.stdout(renderConfigText(config));
        io.stderr(renderDiagnostics(diagnostics));
      }
    });

  addPlanCommand(program, io);

  return program;
}

/** Runs the CLI and returns the process exit code. */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof ExitRequest) return error.code;
    if (error instanceof ConfigError) {
      io.stderr(`odoo-prefork: error: ${formatDiagnostic(error.diagnostic)}\n`);
      return USAGE_EXIT_CODE;
    }
    if (error instanceof CommanderError) {
      // Commander already printed its message (unknown option, missing value, --help…).
      return error.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    }
    throw error;
  }
}
