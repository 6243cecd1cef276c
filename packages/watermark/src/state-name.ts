import { createHash } from 'node:crypto';
import { StateError } from './state-error.js';

/** Check a table, lock, run or schedule name: a non-empty string of at most 1000 characters, no NUL. */
export function assertStateName(kind: string, name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 1000 || name.includes('\u0000')) {
    throw new StateError(
      'INVALID_ARGUMENT',
      `Invalid ${kind} name ${typeof name === 'string' ? JSON.stringify(name.slice(0, 80)) : String(name)}: expected a non-empty string of at most 1000 characters without NUL`,
    );
  }
  return name;
}

const PLAIN = /^[a-z0-9_][a-z0-9_.-]{0,99}$/;

/**
 * A file name (without extension) for a name: the name itself when it is plain lower-case (`public.vendas`),
 * otherwise a readable slug and a hash of the exact name (`Mixed~1a2b3c4d5e6f`), so names that differ only in
 * case or punctuation never share a file, even on case-insensitive file systems. Plain names never contain `~`.
 */
export function stateFileName(name: string): string {
  if (PLAIN.test(name) && !name.endsWith('.tmp')) return name;
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '_')
    .replace(/^[.]+/, '_')
    .slice(0, 60);
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 12);
  return `${slug}~${hash}`;
}
