/**
 * Cross-field checks on the effective configuration: things that are each valid alone but wrong
 * together, or valid but almost certainly not what the user meant.
 */
import { ConfigError, diagnostic, type Diagnostic, type Where } from './diagnostics.js';
import type { LoadedConfig, Origin } from './load.js';
import type { SettingKey } from './settings.js';
import { formatBytes } from './values.js';

export interface FootprintEstimate {
  /** RSS of a fresh worker, in bytes. */
  rss: number;
  /** Where the figure comes from, for the message. */
  source: string;
  /** RAM available to the server, in bytes (for workers × limit_memory_hard). */
  ram?: number;
}

export function whereOf(origin: Origin, key: SettingKey): Where {
  if (origin.kind === 'file') return { file: origin.file, line: origin.line, key };
  if (origin.kind === 'flag') return { flag: origin.flag, key };
  return { key };
}

const LIMIT_KEYS: readonly SettingKey[] = [
  'limit_memory_soft',
  'limit_memory_hard',
  'limit_request',
  'limit_time_cpu',
  'limit_time_real',
  'limit_time_real_cron',
];

export function checkSettings(config: LoadedConfig, footprint: FootprintEstimate): Diagnostic[] {
  const { settings: s, origins } = config;
  const out: Diagnostic[] = [];

  if (s.http_enable && s.workers > 0 && s.http_port !== 0 && s.http_port === s.gevent_port) {
    throw new ConfigError('CONFIG_CONFLICT', `http_port and gevent_port are both ${s.http_port}`, {
      ...whereOf(origins.gevent_port.kind !== 'default' ? origins.gevent_port : origins.http_port, 'gevent_port'),
      hint: 'give the long-polling worker its own port (Odoo uses 8069 and 8072)',
    });
  }

  const pairs: [SettingKey, SettingKey, number | null, number | null][] = [
    ['limit_memory_soft', 'limit_memory_hard', s.limit_memory_soft, s.limit_memory_hard],
    [
      'limit_memory_soft_gevent',
      'limit_memory_hard_gevent',
      s.limit_memory_soft_gevent ?? s.limit_memory_soft,
      s.limit_memory_hard_gevent ?? s.limit_memory_hard,
    ],
  ];
  for (const [softKey, hardKey, soft, hard] of pairs) {
    if (softKey.endsWith('gevent') && s.limit_memory_soft_gevent === null && s.limit_memory_hard_gevent === null) continue;
    if (soft && hard && soft >= hard) {
      out.push(
        diagnostic(
          'LIMIT_SOFT_ABOVE_HARD',
          `${softKey} (${formatBytes(soft)}) is not below ${hardKey} (${formatBytes(hard)}): the hard limit kills a worker before the soft limit can recycle it gracefully`,
          { ...whereOf(origins[softKey], softKey), hint: `make ${softKey} smaller than ${hardKey} (Odoo's defaults: 2048 MiB and 2560 MiB)` },
        ),
      );
    }
  }

  for (const key of ['limit_memory_soft', 'limit_memory_hard', 'limit_memory_soft_gevent', 'limit_memory_hard_gevent'] as const) {
    const value = s[key];
    if (!value || value >= footprint.rss) continue;
    const effect = key.includes('soft') ? 'every worker would recycle after each request' : 'every worker would be killed as soon as it starts';
    out.push(
      diagnostic(
        'LIMIT_BELOW_WORKER_FOOTPRINT',
        `${key} (${formatBytes(value)}) is below a fresh worker's RSS (about ${formatBytes(footprint.rss)}, ${footprint.source}): ${effect}`,
        { ...whereOf(origins[key], key), hint: `raise ${key} well above ${formatBytes(footprint.rss)}, or set 0 to disable it` },
      ),
    );
  }

  // Every worker at the hard limit at once must fit in RAM, or the kernel's OOM killer decides instead.
  const processes = s.workers > 0 ? s.workers + s.max_cron_threads + (s.http_enable ? 1 : 0) : 0;
  if (footprint.ram && processes > 0 && s.limit_memory_hard > 0 && processes * s.limit_memory_hard > footprint.ram) {
    out.push(
      diagnostic(
        'LIMIT_HARD_ABOVE_RAM',
        `${processes} worker processes (${s.workers} HTTP + ${s.max_cron_threads} cron${s.http_enable ? ' + 1 long-polling' : ''}) × limit_memory_hard (${formatBytes(s.limit_memory_hard)}) = ${formatBytes(processes * s.limit_memory_hard)}, more than the ${formatBytes(footprint.ram)} of RAM`,
        {
          ...whereOf(origins.limit_memory_hard, 'limit_memory_hard'),
          hint: `lower limit_memory_hard to at most ${formatBytes(Math.floor(footprint.ram / processes))}, or use fewer workers (odoo-prefork plan computes both)`,
        },
      ),
    );
  }

  for (const key of LIMIT_KEYS) {
    if (s[key] !== 0) continue;
    const odoo =
      key === 'limit_time_real'
        ? ' (in Odoo 0 does not disable it: every prefork worker is killed at once)'
        : key === 'limit_time_real_cron'
          ? ' (same as Odoo)'
          : '';
    out.push(diagnostic('LIMIT_DISABLED', `${key} = 0: this limit is disabled${odoo}`, whereOf(origins[key], key)));
  }
  return out;
}
