/**
 * The app contract: a module whose default export is a Node request listener `(req, res)` — an
 * Express app is one. It is loaded once per worker, at start.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { JobDefinitionError, validateJobs, type JobDefinition } from '../cron/jobs.js';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface LoadedApp {
  /** The default export; undefined for a cron-only app (checked by whoever needs it). */
  listener: RequestListener | undefined;
  /** The `jobs` export, validated. */
  jobs: Map<string, JobDefinition>;
  /** What was loaded, for logs: a file path, a package name, or "built-in demo". */
  source: string;
}

export class AppLoadError extends Error {
  override name = 'AppLoadError';
}

export const DEMO_APP_SOURCE = 'built-in demo app';

function looksLikePath(spec: string): boolean {
  return spec.startsWith('.') || path.isAbsolute(spec) || /\.(c|m)?js$/.test(spec);
}

/** Where the module lives: paths are resolved from `cwd`, bare names as packages installed there. */
export function resolveAppModule(spec: string, cwd: string): string {
  if (looksLikePath(spec)) return pathToFileURL(path.resolve(cwd, spec)).href;
  try {
    return pathToFileURL(createRequire(path.join(cwd, 'package.json')).resolve(spec)).href;
  } catch {
    throw new AppLoadError(`cannot find the app module "${spec}" from ${cwd}: give a path (./app.js) or install the package`);
  }
}

function jobsOf(module: Record<string, unknown>, source: string): Map<string, JobDefinition> {
  try {
    return validateJobs(module.jobs);
  } catch (error) {
    if (error instanceof JobDefinitionError) throw new AppLoadError(`${source}: ${error.message}`);
    throw error;
  }
}

export async function loadApp(spec: string, cwd: string): Promise<LoadedApp> {
  if (!spec) {
    const demo = (await import('../apps/demo.js')) as { default: RequestListener; jobs: unknown };
    return { listener: demo.default, jobs: jobsOf(demo, DEMO_APP_SOURCE), source: DEMO_APP_SOURCE };
  }
  const url = resolveAppModule(spec, cwd);
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (err.code === 'ERR_MODULE_NOT_FOUND' && err.message.includes(url.replace('file://', ''))) {
      throw new AppLoadError(`the app module ${spec} does not exist (${url})`);
    }
    throw error;
  }
  let candidate = loaded.default;
  // A CommonJS module compiled from ESM exports { default: fn } as its module.exports.
  if (typeof candidate === 'object' && candidate !== null && typeof (candidate as { default?: unknown }).default === 'function') {
    candidate = (candidate as { default: unknown }).default;
  }
  const jobs = jobsOf(loaded, spec);
  if (candidate !== undefined && typeof candidate !== 'function') {
    throw new AppLoadError(`the app module ${spec} has a default export that is a ${typeof candidate}, not a request listener (req, res)`);
  }
  return { listener: candidate as RequestListener | undefined, jobs, source: spec };
}

/** The request listener, or a clear error for an app that has none (it may still declare jobs). */
export function requireListener(app: LoadedApp): RequestListener {
  if (app.listener) return app.listener;
  throw new AppLoadError(
    `the app module ${app.source} has no default export: export a request listener, e.g. ` +
      '`export default (req, res) => res.end("hi")` or `module.exports = expressApp` (a cron-only app needs --no-http)',
  );
}
