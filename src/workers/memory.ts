/**
 * A process's memory as both metrics: RSS (what odoo-prefork's limits use) and VMS (what Odoo's
 * limits use). VMS is shown for comparison only: V8 reserves a large address space up front, so a
 * fresh Node worker already has about a gigabyte of virtual memory and little of it is real.
 */
import { readFileSync } from 'node:fs';

export function memoryFigures(): { rss: number; vms: number | undefined } {
  let vms: number | undefined;
  try {
    const kb = /^VmSize:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    vms = kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    vms = undefined;
  }
  return { rss: process.memoryUsage.rss(), vms };
}
