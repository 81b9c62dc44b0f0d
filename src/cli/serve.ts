/**
 * `odoo-prefork serve`: logs what the configuration says, saves it if asked, then runs the
 * prefork master or the threaded server until it stops. Returns the process exit code.
 */
import { diagnosticPlace, type Diagnostic } from '../config/diagnostics.js';
import { rmSync, writeFileSync } from 'node:fs';
import { whereOf } from '../config/checks.js';
import type { LoadedConfig } from '../config/load.js';
import { saveConfig } from '../config/save.js';
import { Master } from '../master/master.js';
import { createLogger, LOGGER_NAMES, type Logger } from '../observability/logger.js';
import { currentPlatform, resolveMode } from '../platform.js';
import { runThreaded } from '../threaded/threaded-server.js';
import { AppLoadError, DEMO_APP_SOURCE } from '../workers/app-loader.js';
import { CRITICAL_EXIT_CODE } from '../ipc/messages.js';
import { allDiagnostics } from './config-command.js';
import type { CliIo } from './program.js';
import { ConfigError } from '../config/diagnostics.js';

/** Exit code when the server cannot start (port in use, app module missing…). */
export const START_FAILURE_EXIT_CODE = 1;

function logDiagnostic(logger: Logger, d: Diagnostic): void {
  const text = `${diagnosticPlace(d)}${d.message}${d.hint ? ` (fix: ${d.hint})` : ''}`;
  const fields = { code: d.code, key: d.key, file: d.file, line: d.line };
  if (d.severity === 'warning') logger.warn(fields, text);
  else logger.info(fields, text);
}

/** logfile and pidfile are checked before anything starts, so a bad path is a clear error, not a stack. */
function unwritable(config: LoadedConfig, key: 'logfile' | 'pidfile', error: unknown): ConfigError {
  return new ConfigError('CONFIG_UNWRITABLE_PATH', `cannot write ${config.settings[key]}: ${(error as Error).message}`, {
    ...whereOf(config.origins[key], key),
    hint: `give ${key} a path in a writable directory`,
  });
}

export async function serve(config: LoadedConfig, options: { save: boolean; io: CliIo }): Promise<number> {
  const diagnostics = allDiagnostics(config);
  const settings = config.settings;
  let root: Logger;
  try {
    root = createLogger({ level: settings.log_level, format: settings.log_format, logfile: settings.logfile });
  } catch (error) {
    throw unwritable(config, 'logfile', error);
  }
  if (settings.pidfile) {
    try {
      writeFileSync(settings.pidfile, `${process.pid}\n`);
    } catch (error) {
      throw unwritable(config, 'pidfile', error);
    }
  }
  try {
    return await run(config, root, diagnostics, options);
  } finally {
    if (settings.pidfile) rmSync(settings.pidfile, { force: true });
  }
}

async function run(config: LoadedConfig, root: Logger, diagnostics: Diagnostic[], options: { save: boolean; io: CliIo }): Promise<number> {
  const settings = config.settings;
  const server = root.child({ name: LOGGER_NAMES.server });
  const configLogger = root.child({ name: LOGGER_NAMES.config });

  if (config.file?.exists) configLogger.info(`Using configuration file at ${config.file.path}`);
  for (const d of diagnostics) logDiagnostic(configLogger, d);

  if (options.save) {
    if (!config.file) {
      throw new ConfigError('CONFIG_SAVE_FAILED', 'no config file to save to', { hint: 'give one with -c FILE' });
    }
    saveConfig(config, config.file.path);
    configLogger.info({ file: config.file.path }, `Configuration saved to ${config.file.path}`);
  }

  const decision = resolveMode(settings, currentPlatform());
  if (decision.warning) server.warn({ code: 'PLATFORM_NO_PREFORK' }, decision.warning);

  try {
    if (decision.mode === 'threaded') {
      return await runThreaded({
        settings,
        logger: server,
        appLogger: root.child({ name: LOGGER_NAMES.app }),
        cronLogger: root.child({ name: LOGGER_NAMES.cron }),
        busLogger: root.child({ name: LOGGER_NAMES.bus }),
        reason: decision.warning ? 'prefork is not available on this platform' : 'workers = 0',
      });
    }
    const master = new Master({
      settings,
      logger: server,
      cronLogger: root.child({ name: LOGGER_NAMES.cron }),
      accessLogger: root.child({ name: LOGGER_NAMES.access }),
      appSource: settings.app || DEMO_APP_SOURCE,
    });
    await master.start();
    return await master.stopped;
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (err.syscall === 'listen' || err.syscall === 'getaddrinfo' || err.code === 'EADDRINUSE') {
      const where = `${settings.http_interface || '0.0.0.0'}:${settings.http_port}`;
      const why =
        err.code === 'EADDRINUSE'
          ? 'the address is already in use (another server running?); stop it or choose another http_port'
          : err.code === 'EACCES'
            ? 'permission denied (ports below 1024 need privileges); choose a port above 1024'
            : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN'
              ? `http_interface ${JSON.stringify(settings.http_interface)} is not an address or a name this machine can resolve; fix http_interface`
              : err.code === 'EADDRNOTAVAIL'
                ? 'this machine has no such address; fix http_interface'
                : err.message;
      server.fatal({ code: err.code }, `cannot listen on ${where}: ${why}`);
      return START_FAILURE_EXIT_CODE;
    }
    if (err instanceof AppLoadError) {
      // The same exit code as a prefork worker that cannot load the app (Odoo's critical error).
      server.fatal(`cannot load the app: ${err.message}`);
      return CRITICAL_EXIT_CODE;
    }
    throw error;
  }
}
