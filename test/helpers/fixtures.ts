import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'odoo-conf');

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}
