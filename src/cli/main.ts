#!/usr/bin/env node
import { runCli } from './program.js';

try {
  const code = await runCli(process.argv);
  // Workers and sockets are gone by now; exit explicitly so no stray handle keeps the process up.
  process.exit(code);
} catch (error) {
  process.stderr.write(`odoo-prefork: internal error: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(70);
}
