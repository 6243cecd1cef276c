import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { SnowflakeEmulatorError } from './emulator-error.js';

/** A file in a stage. */
export interface StagedFile {
  /** Path relative to the stage root, with `/` separators. */
  readonly relativePath: string;
  readonly absolutePath: string;
  readonly size: number;
  readonly lastModified: Date;
}

/** Where a resolved stage lives on disk, and how Snowflake names it in LIST and COPY output. */
export interface ResolvedStage {
  readonly root: string;
  /** Prefix of file names in LIST/COPY output: `my_stage/` for named stages, '' for table and user stages. */
  readonly displayPrefix: string;
  /** The path inside the stage the reference points at. */
  readonly path: string;
}

const encode = (part: string): string => encodeURIComponent(part).replaceAll('.', '%2E');

/** Directory of a named stage. */
export function namedStageDir(root: string, database: string, schema: string, name: string): string {
  return path.join(root, 'stages', encode(database), encode(schema), encode(name));
}

/** Directory of a table's stage (`@%table`). */
export function tableStageDir(root: string, database: string, schema: string, table: string): string {
  return path.join(root, 'stages', encode(database), encode(schema), `%25${encode(table)}`);
}

/** Directory of a user's stage (`@~`). */
export function userStageDir(root: string, user: string): string {
  return path.join(root, 'stages', `~${encode(user)}`);
}

/** List the files of a stage under a path prefix, optionally filtered by a PATTERN regex (matched against the whole relative path). */
export async function listStagedFiles(stage: ResolvedStage, pattern?: string): Promise<StagedFile[]> {
  const files: StagedFile[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    if (!existsSync(dir)) return;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      const abs = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(abs, rel);
      else if (entry.isFile()) {
        const info = await stat(abs);
        files.push({ relativePath: rel, absolutePath: abs, size: info.size, lastModified: info.mtime });
      }
    }
  };
  await walk(stage.root, '');
  let regex: RegExp | undefined;
  if (pattern !== undefined) {
    try {
      regex = new RegExp(`^(?:${pattern})$`);
    } catch {
      throw SnowflakeEmulatorError.sql(
        '001003',
        '42000',
        `SQL compilation error:\ninvalid PATTERN regular expression '${pattern}'.`,
      );
    }
  }
  return files
    .filter((f) => f.relativePath.startsWith(stage.path))
    .filter(
      (f) => regex === undefined || regex.test(f.relativePath) || regex.test(`${stage.displayPrefix}${f.relativePath}`),
    )
    .sort((a, b) => a.relativePath.localeCompare(b.relativePath));
}

/** MD5 of a staged file, as LIST shows it. */
export async function fileMd5(file: string): Promise<string> {
  return createHash('md5')
    .update(await readFile(file))
    .digest('hex');
}

/** Delete staged files; returns what was removed. */
export async function removeStagedFiles(files: readonly StagedFile[]): Promise<void> {
  for (const f of files) await rm(f.absolutePath, { force: true });
}

/** Make sure a stage directory exists. */
export async function ensureStageDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}

const COMPRESSED_EXTENSIONS = ['.gz', '.gzip', '.bz2', '.br', '.zst', '.deflate', '.raw_deflate'];

/**
 * The files a PUT will copy and the names they will have in the stage, computed the way snowflake-sdk names
 * them: AUTO_COMPRESS adds `.gz` to a file that is not already compressed (SOURCE_COMPRESSION = AUTO_DETECT
 * detects by extension), and any explicit SOURCE_COMPRESSION keeps the name.
 */
export function plannedUploads(
  source: string,
  autoCompress: boolean,
  sourceCompression: string,
): { source: string; target: string }[] {
  const dir = path.dirname(source);
  const base = path.basename(source);
  let names: string[];
  if (base.includes('*') || base.includes('?')) {
    const re = new RegExp(
      `^${base
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replaceAll('*', '.*')
        .replaceAll('?', '.')}$`,
    );
    names = existsSync(dir) ? readdirSync(dir).filter((f) => re.test(f) && statSync(path.join(dir, f)).isFile()) : [];
  } else {
    names = existsSync(source) ? [base] : [];
  }
  return names.map((name) => {
    const compressed = COMPRESSED_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext));
    const target = sourceCompression === 'auto_detect' && !compressed && autoCompress ? `${name}.gz` : name;
    return { source: path.join(dir, name), target };
  });
}
