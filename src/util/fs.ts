/**
 * Creating a directory and its parents. Node's `mkdirSync(dir, { recursive: true })` never returns
 * for a path under /proc (mkdir keeps answering ENOENT while the parent exists), so parents are
 * created one level at a time here, and an impossible path fails at once.
 */
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

export function ensureDir(dir: string): void {
  try {
    mkdirSync(dir);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (!statSync(dir).isDirectory()) throw Object.assign(new Error(`${dir} exists and is not a directory`), { code: 'ENOTDIR' });
      return;
    }
    if (code !== 'ENOENT') throw error;
  }
  const parent = path.dirname(dir);
  if (parent === dir) throw Object.assign(new Error(`cannot create ${dir}`), { code: 'ENOENT' });
  ensureDir(parent);
  mkdirSync(dir); // the parent exists now: this either works or fails for good
}
