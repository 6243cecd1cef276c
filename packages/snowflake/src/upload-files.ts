import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, link, mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { WarehouseError, type ChunkFile } from '@sluice/warehouse';
import type { UploadFile } from './load-plan.js';

/** How chunk files become upload files. */
export interface UploadOptions {
  /** The folder to write the upload files into (created; removed by `remove`). */
  readonly dir: string;
  /**
   * The compressed size aimed at per upload file. Snowflake loads files of 100–250 MB compressed best (one file
   * per COPY thread); smaller tables make one file. Default 150 MiB.
   */
  readonly targetBytes: number;
  /** gzip level, 1–9 (default 6). */
  readonly compressionLevel: number;
  /** Upload files compressed at once (zlib works on libuv's thread pool, off the main thread). Default 2. */
  readonly parallelism: number;
  /** `schema.table`, for messages. */
  readonly table: string;
  readonly signal?: AbortSignal | undefined;
}

/** The files of one load, ready for one PUT. */
export interface PreparedUploads {
  readonly dir: string;
  readonly files: readonly UploadFile[];
  /** Compressed bytes, as they will be uploaded. */
  readonly bytes: number;
  /** Uncompressed bytes of the chunk files that went in. */
  readonly sourceBytes: number;
}

/**
 * A CSV chunk compresses about 4:1, so a group of this many uncompressed bytes makes one upload file of about
 * `targetBytes` compressed. Measured on NovaDrive-shaped chunks: 3.5–5:1 at gzip level 6.
 */
export const EXPECTED_COMPRESSION_RATIO = 4;

/**
 * Turn chunk files into gzip upload files in `options.dir`: plain CSV chunks are concatenated (records end with a
 * newline, so the files join cleanly) and compressed into files of about `targetBytes`, in request order, so a
 * later chunk lands in a later file (`data-000001.csv.gz`, `data-000002.csv.gz`, …); gzip chunks are linked (or
 * copied) as they are. Delete-key files become `deletes-000001.csv.gz`, …. Empty chunks are left out.
 *
 * A missing chunk, or one whose last record is cut off (no final newline), fails with `INVALID_LOAD_REQUEST`.
 */
export async function prepareUploads(
  files: readonly ChunkFile[],
  deletes: readonly ChunkFile[],
  options: UploadOptions,
): Promise<PreparedUploads> {
  await mkdir(options.dir, { recursive: true });
  const groups = [
    ...groupChunks(await sized(files, options.table), 'data', options),
    ...groupChunks(await sized(deletes, options.table), 'deletes', options),
  ];
  let sourceBytes = 0;
  const made: { file: UploadFile; bytes: number }[] = new Array(groups.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < groups.length; index = next++) {
      if (options.signal?.aborted)
        throw new WarehouseError(
          'CANCELLED',
          `The load into ${options.table} was cancelled; nothing of it was committed.`,
          { table: options.table },
        );
      const group = groups[index] as Group;
      const target = path.join(options.dir, group.name);
      const [first] = group.chunks;
      if (group.chunks.length === 1 && first?.format === 'csv.gz') {
        await link(first.path, target).catch(() => copyFile(first.path, target));
      } else {
        await pipeline(
          Readable.from(concatenate(group.chunks, options.table)),
          createGzip({ level: options.compressionLevel }),
          createWriteStream(target),
        );
      }
      sourceBytes += group.chunks.reduce((sum, c) => sum + c.size, 0);
      made[index] = {
        file: { name: group.name, kind: group.kind, rows: group.chunks.reduce((sum, c) => sum + c.rows, 0) },
        bytes: (await stat(target)).size,
      };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.parallelism, groups.length)) }, worker));
  return {
    dir: options.dir,
    files: made.map((m) => m.file),
    bytes: made.reduce((sum, m) => sum + m.bytes, 0),
    sourceBytes,
  };
}

/** Remove a load's upload folder. */
export function removeUploads(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

interface SizedChunk extends ChunkFile {
  /** Size on disk, measured. */
  readonly size: number;
}

interface Group {
  readonly name: string;
  readonly kind: 'data' | 'deletes';
  readonly chunks: readonly SizedChunk[];
}

async function sized(files: readonly ChunkFile[], table: string): Promise<SizedChunk[]> {
  return Promise.all(
    files.map(async (file) => {
      if (!path.isAbsolute(file.path)) {
        throw new WarehouseError(
          'INVALID_LOAD_REQUEST',
          `Load into ${table}: chunk file ${file.path} is not an absolute path.`,
          { table },
        );
      }
      const info = await stat(file.path).catch(() => undefined);
      if (!info?.isFile()) {
        throw new WarehouseError(
          'INVALID_LOAD_REQUEST',
          `Load into ${table}: chunk file ${file.path} does not exist or is not a file.`,
          { table },
        );
      }
      return { ...file, size: info.size };
    }),
  );
}

/** Consecutive plain chunks up to the target (estimated compressed) size share an upload file; gzip chunks go alone. */
function groupChunks(chunks: readonly SizedChunk[], kind: 'data' | 'deletes', options: UploadOptions): Group[] {
  const groups: Group[] = [];
  const name = () => `${kind}-${String(groups.length + 1).padStart(6, '0')}.csv.gz`;
  let current: SizedChunk[] = [];
  let currentBytes = 0;
  const flush = () => {
    if (current.length > 0) groups.push({ name: name(), kind, chunks: current });
    current = [];
    currentBytes = 0;
  };
  for (const chunk of chunks) {
    if (chunk.size === 0) continue;
    if (chunk.format === 'csv.gz') {
      flush();
      groups.push({ name: name(), kind, chunks: [chunk] });
      continue;
    }
    if (current.length > 0 && currentBytes + chunk.size > options.targetBytes * EXPECTED_COMPRESSION_RATIO) flush();
    current.push(chunk);
    currentBytes += chunk.size;
  }
  flush();
  return groups;
}

/** The bytes of the chunks one after the other; a chunk whose last record has no final newline is refused. */
async function* concatenate(chunks: readonly SizedChunk[], table: string): AsyncGenerator<Buffer> {
  for (const chunk of chunks) {
    let last = -1;
    for await (const piece of createReadStream(chunk.path)) {
      const buffer = piece as Buffer;
      if (buffer.length > 0) last = buffer[buffer.length - 1] as number;
      yield buffer;
    }
    if (last !== -1 && last !== 0x0a) {
      throw new WarehouseError(
        'INVALID_LOAD_REQUEST',
        `Load into ${table}: chunk file ${chunk.path} ends in the middle of a record (no final newline); it was cut short. Extract the table again.`,
        { table },
      );
    }
  }
}
