import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Where `substituteVariables` reads values from, and where it reports what it could not resolve. */
export interface VariableSources {
  readonly env: NodeJS.ProcessEnv;
  /** Folder that a relative `${file:PATH}` is resolved against (the project folder). */
  readonly baseDir: string;
  /** Called once per unresolved reference, with the key path of the value and a message naming no value. */
  readonly onProblem: (keyPath: readonly string[], message: string) => void;
}

const REFERENCE = /\$\{(env|file):([^}]*)\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replace the references in every string of a parsed YAML value:
 * - `${env:NAME}` and `${env:NAME:-default}`: the environment variable; when it is unset or empty and `NAME_FILE`
 *   is set, the content of that file (the Docker secrets convention, as in the official Postgres image);
 * - `${file:PATH}` and `${file:PATH:-default}`: the content of the file (relative to `baseDir`), e.g.
 *   `${file:/run/secrets/source_url}`; the default applies only when the file does not exist.
 *
 * A file's trailing line breaks are dropped. Values never appear in a problem's message: only variable names, file
 * paths and error codes do.
 *
 * @example substituteVariables({ url: '${file:/run/secrets/url}' }, { env: process.env, baseDir, onProblem })
 */
export function substituteVariables(value: unknown, sources: VariableSources): unknown {
  return walk(value, [], sources);
}

function walk(value: unknown, keyPath: string[], sources: VariableSources): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (match, kind: string, body: string) => {
      const resolved = kind === 'env' ? fromEnv(body, keyPath, sources) : fromFile(body, keyPath, sources);
      return resolved ?? match;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => walk(item, [...keyPath, String(i)], sources));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, walk(item, [...keyPath, key], sources)]),
    );
  }
  return value;
}

function splitDefault(body: string): { name: string; fallback: string | undefined } {
  const at = body.indexOf(':-');
  return at < 0 ? { name: body, fallback: undefined } : { name: body.slice(0, at), fallback: body.slice(at + 2) };
}

function fromEnv(body: string, keyPath: string[], sources: VariableSources): string | undefined {
  const { name, fallback } = splitDefault(body);
  // Not a variable name: left as written, as before ${file:…} existed.
  if (!ENV_NAME.test(name)) return undefined;
  const found = sources.env[name];
  if (found !== undefined && found !== '') return found;
  const file = sources.env[`${name}_FILE`];
  if (file !== undefined && file !== '') {
    const read = readSecretFile(path.resolve(sources.baseDir, file));
    if (read.ok && read.value !== '') return read.value;
    sources.onProblem(
      keyPath,
      read.ok
        ? `environment variable ${name} is not set and ${name}_FILE names ${file}, which is empty`
        : `environment variable ${name} is not set and ${name}_FILE names ${file}, which cannot be read (${read.code}): ${remedy(read.code)}`,
    );
    return '';
  }
  if (fallback !== undefined) return fallback;
  sources.onProblem(
    keyPath,
    `environment variable ${name} is not set: export it, or give a default with \${env:${name}:-value}`,
  );
  return '';
}

function fromFile(body: string, keyPath: string[], sources: VariableSources): string {
  const { name: file, fallback } = splitDefault(body);
  if (file === '') {
    sources.onProblem(keyPath, '${file:} names no file: write ${file:/run/secrets/NAME}');
    return '';
  }
  const read = readSecretFile(path.resolve(sources.baseDir, file));
  if (read.ok && read.value !== '') return read.value;
  if (fallback !== undefined && (read.ok || read.code === 'ENOENT')) return fallback;
  sources.onProblem(
    keyPath,
    read.ok
      ? `file ${file} is empty: write the value into it, or give a default with \${file:${file}:-value}`
      : `file ${file} cannot be read (${read.code}): ${remedy(read.code)}`,
  );
  return '';
}

type ReadResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly code: string };

function readSecretFile(file: string): ReadResult {
  try {
    return { ok: true, value: readFileSync(file, 'utf8').replace(/[\r\n]+$/, '') };
  } catch (error) {
    return { ok: false, code: (error as NodeJS.ErrnoException).code ?? 'EIO' };
  }
}

function remedy(code: string): string {
  switch (code) {
    case 'ENOENT':
      return 'create it, or mount the secret there';
    case 'EACCES':
    case 'EPERM':
      return 'make it readable by the user sluice runs as';
    case 'EISDIR':
      return 'name a file, not a folder';
    default:
      return 'check the path and its permissions';
  }
}
