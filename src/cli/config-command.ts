/**
 * `odoo-prefork config [--json]`: the effective configuration, with where every value came from.
 */
import { checkSettings, type FootprintEstimate } from '../config/checks.js';
import { detectRam } from '../sizing/machine.js';
import { formatDiagnostic, type Diagnostic } from '../config/diagnostics.js';
import type { LoadedConfig, Origin } from '../config/load.js';
import { effectiveQueueSize, formatValue, SETTINGS } from '../config/settings.js';
import { formatBytes } from '../config/values.js';

export function describeOrigin(origin: Origin): string {
  switch (origin.kind) {
    case 'default':
      return 'default';
    case 'flag':
      return `flag ${origin.flag}`;
    case 'file':
      return `file ${origin.file}:${origin.line}${origin.via === '-c' ? '' : ` (via ${origin.via})`}`;
  }
}

export function freshWorkerFootprint(): FootprintEstimate {
  return { rss: process.memoryUsage.rss(), source: 'estimated from the RSS of this odoo-prefork process', ram: detectRam().value };
}

export function allDiagnostics(config: LoadedConfig): Diagnostic[] {
  return [...config.diagnostics, ...checkSettings(config, freshWorkerFootprint())];
}

export function renderConfigText(config: LoadedConfig): string {
  const rows = SETTINGS.map((spec) => {
    const value = config.settings[spec.key];
    let shown = formatValue(spec, value);
    if (spec.unit === 'bytes' && typeof value === 'number' && value > 0) shown += ` (${formatBytes(value)})`;
    if (spec.key === 'http_queue_size' && value === 'auto') shown += ` (${effectiveQueueSize(config.settings)})`;
    if (shown === '') shown = "''";
    return [spec.key, shown, describeOrigin(config.origins[spec.key])];
  });
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  const file = config.file
    ? `${config.file.path} (${config.file.via}${config.file.exists ? '' : ', does not exist'})`
    : 'none';
  const lines = [`config file: ${file}`, ''];
  for (const [key, value, source] of rows) {
    lines.push(`${(key as string).padEnd(widths[0] as number)}  ${(value as string).padEnd(widths[1] as number)}  ${source}`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderConfigJson(config: LoadedConfig, diagnostics: Diagnostic[]): string {
  const settings = Object.fromEntries(
    SETTINGS.map((spec) => [
      spec.key,
      { value: config.settings[spec.key], source: describeOrigin(config.origins[spec.key]), origin: config.origins[spec.key], odoo: spec.odoo },
    ]),
  );
  return `${JSON.stringify({ file: config.file ?? null, settings, diagnostics }, null, 2)}\n`;
}

export function renderDiagnostics(diagnostics: Diagnostic[]): string {
  return diagnostics.map((d) => `${d.severity}: ${formatDiagnostic(d)}\n`).join('');
}
