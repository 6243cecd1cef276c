import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { ChunkFile } from '@sluice/warehouse';

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const COMMA = 0x2c;
const TRUE = 0x74; // t
const FALSE = 0x66; // f
const NEWLINE_BYTE = Buffer.from('\n');
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const QUOTE_BYTE = Buffer.from('"');
const BC = Buffer.from(' BC');
/** Bytes gathered before they go to the file in one write: Postgres sends its rows in 8 kB messages, and a write
 *  each (a call into the thread pool and back) cost more of the process's CPU than the rows themselves. */
const WRITE_BYTES = 256 * 1024;

/**
 * A writable that takes Postgres CSV (as `COPY … TO STDOUT (FORMAT csv)` streams it) and writes it into chunk files
 * of about `chunkBytes` each, cutting only between records. Records may hold newlines inside quotes: a newline ends a
 * record only when the number of quote characters since the record began is even (`""` inside a quoted value counts
 * twice). Quote and newline bytes never occur inside UTF-8 multi-byte sequences, so scanning bytes is safe.
 *
 * With `flagged: true`, every record ends in one extra boolean field (`,t` or `,f`, as Postgres writes a boolean)
 * that is counted (`trueFlags`) and removed: the files hold the records without it.
 *
 * With `watchBc: true`, it notes (`bcSeen`) any ` BC` between a digit and the end of an unquoted field: how Postgres
 * writes a date or timestamp before year 1, which the files must not hold as such (see `PlannedColumn.bcSafeSql`).
 * Text may hold the same bytes: a false alarm only costs a second read.
 *
 * A file never begins with a UTF-8 byte order mark: CSV readers drop one there (DuckDB always, Snowflake by
 * default), so a first field that begins with U+FEFF — Postgres leaves such a value unquoted — is written quoted
 * (`"\uFEFFabc"`: the same value).
 */
export class ChunkSink extends Writable {
  readonly files: ChunkFile[] = [];
  private readonly dir: string;
  private readonly prefix: string;
  private readonly chunkBytes: number;
  private current:
    | {
        stream: WriteStream;
        path: string;
        rows: number;
        bytes: number;
        /** The file's first bytes, held until they show whether it would begin with a byte order mark. */
        head: Buffer | undefined;
        /** Bytes not written yet (fewer than `WRITE_BYTES`). */
        pending: Buffer[];
        pendingBytes: number;
      }
    | undefined;
  private inQuotes = false;
  /**
   * The next quote byte `nextNewline` found in the buffer it scans (`quoteAt`, -1: none), searched from `quoteFrom`:
   * kept, so that a buffer without quotes is searched for one once, not once per record (that search runs to the
   * end of the buffer: quadratic in the records a buffer holds).
   */
  private quoteBuffer: Buffer | undefined;
  private quoteFrom = 0;
  private quoteAt = -1;
  private sequence = 0;
  private readonly hash: Hash | undefined;
  private readonly flagged: boolean;
  /** Flagged mode: the bytes of a record not yet ended (already scanned for quotes). */
  private carry: Buffer = Buffer.alloc(0);
  /** Flagged mode: records whose trailing flag was `t`. */
  trueFlags = 0;
  /** `watchBc`: a value written as Postgres writes years before 1 was seen (see the class comment). */
  bcSeen = false;
  private readonly watchBc: boolean;
  /** `watchBc`: the stream's last bytes so far, where a ` BC,` may have begun. */
  private bcTail: Buffer = Buffer.alloc(0);

  constructor(options: {
    dir: string;
    prefix: string;
    chunkBytes: number;
    digest?: boolean;
    flagged?: boolean;
    watchBc?: boolean;
  }) {
    super({ highWaterMark: 1 << 20 });
    this.watchBc = options.watchBc === true;
    this.dir = options.dir;
    this.prefix = options.prefix;
    this.chunkBytes = options.chunkBytes;
    this.hash = options.digest ? createHash('sha256') : undefined;
    this.flagged = options.flagged === true;
    if (this.flagged && this.hash) throw new Error('ChunkSink: a flagged stream cannot be digested');
  }

  /** SHA-256 (hex) of every byte written, when constructed with `digest: true` (call after the stream ended). */
  digest(): string | undefined {
    return this.hash?.copy().digest('hex');
  }

  /** Rows written so far, across files. */
  get rows(): number {
    return this.files.reduce((sum, file) => sum + file.rows, 0) + (this.current?.rows ?? 0);
  }

  /** Bytes written so far, across files. */
  get bytes(): number {
    return this.files.reduce((sum, file) => sum + file.bytes, 0) + (this.current?.bytes ?? 0);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.watchBc && !this.bcSeen) this.watchForBc(chunk);
    (this.flagged ? this.writeFlagged(chunk) : this.writeBuffer(chunk)).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.carry.length > 0) {
      callback(
        new Error(`ChunkSink: the stream ended inside a record (${this.carry.length} bytes after the last newline)`),
      );
      return;
    }
    this.closeCurrent().then(() => callback(), callback);
  }

  /** Look for a BC value in `buffer` and where the previous buffer ended (one native search per buffer). */
  private watchForBc(buffer: Buffer): void {
    const seam = Buffer.concat([this.bcTail, buffer.subarray(0, BC.length + 1)]);
    this.bcSeen = hasBcValue(seam) || hasBcValue(buffer);
    // The tail spans buffers: one of a byte or two (a socket read may end anywhere) must not drop what came before.
    const joined = this.bcTail.length > 0 ? Buffer.concat([this.bcTail, buffer.subarray(-(BC.length + 1))]) : buffer;
    this.bcTail = Buffer.from(joined.subarray(Math.max(0, joined.length - BC.length - 1)));
  }

  /** Flagged mode: write whole records only, each without its trailing `,t`/`,f`; keep the unfinished one. */
  private async writeFlagged(buffer: Buffer): Promise<void> {
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, buffer]) : buffer;
    let position = this.carry.length;
    let recordStart = 0;
    const parts: Buffer[] = [];
    let rows = 0;
    for (;;) {
      const newline = this.nextNewline(data, position);
      if (newline === -1) break;
      position = newline + 1;
      if (this.inQuotes) continue;
      const flag = data[newline - 1];
      if (newline - 2 < recordStart || data[newline - 2] !== COMMA || (flag !== TRUE && flag !== FALSE)) {
        throw new Error('ChunkSink: a flagged record does not end in a boolean field');
      }
      if (flag === TRUE) this.trueFlags++;
      parts.push(data.subarray(recordStart, newline - 2), NEWLINE_BYTE);
      rows++;
      recordStart = position;
    }
    // Copied: the tail must not keep the whole (possibly large) buffer alive.
    this.carry = Buffer.from(data.subarray(recordStart));
    if (rows === 0) return;
    await this.append(Buffer.concat(parts), rows);
    if ((this.current?.bytes ?? 0) >= this.chunkBytes) await this.closeCurrent();
  }

  /**
   * The next newline at or after `position` (-1: none), with the quote parity brought up to it (to the end of the
   * buffer when there is none): whether that newline ends a record is `!this.inQuotes`.
   */
  private nextNewline(buffer: Buffer, position: number): number {
    const newline = buffer.indexOf(NEWLINE, position);
    const end = newline === -1 ? buffer.length : newline;
    const known =
      this.quoteBuffer === buffer && this.quoteFrom <= position && (this.quoteAt === -1 || this.quoteAt >= position);
    let quote = known ? this.quoteAt : buffer.indexOf(QUOTE, position);
    if (!known) {
      this.quoteBuffer = buffer;
      this.quoteFrom = position;
    }
    while (quote !== -1 && quote < end) {
      this.inQuotes = !this.inQuotes;
      quote = buffer.indexOf(QUOTE, quote + 1);
    }
    this.quoteAt = quote;
    return newline;
  }

  private async writeBuffer(buffer: Buffer): Promise<void> {
    this.hash?.update(buffer);
    let start = 0;
    let position = 0;
    let rows = 0;
    while (position < buffer.length) {
      const newline = this.nextNewline(buffer, position);
      if (newline === -1) break;
      position = newline + 1;
      if (this.inQuotes) continue;
      rows++;
      if ((this.current?.bytes ?? 0) + (position - start) >= this.chunkBytes) {
        await this.append(buffer.subarray(start, position), rows);
        start = position;
        rows = 0;
        await this.closeCurrent();
      }
    }
    if (start < buffer.length || rows > 0) await this.append(buffer.subarray(start), rows);
  }

  private async append(data: Buffer, rows: number): Promise<void> {
    if (data.length === 0 && rows === 0) return;
    if (!this.current) {
      this.sequence++;
      const file = path.join(this.dir, `${this.prefix}-${String(this.sequence).padStart(5, '0')}.csv`);
      this.current = {
        stream: createWriteStream(file),
        path: file,
        rows: 0,
        bytes: 0,
        head: Buffer.alloc(0),
        pending: [],
        pendingBytes: 0,
      };
    }
    const current = this.current;
    current.rows += rows;
    let out = data;
    if (current.head !== undefined) {
      const head = Buffer.concat([current.head, data]);
      const settled = settleHead(head);
      if (settled === undefined) {
        current.head = head;
        return;
      }
      current.head = undefined;
      out = settled;
    }
    current.bytes += out.length;
    current.pending.push(out);
    current.pendingBytes += out.length;
    if (current.pendingBytes >= WRITE_BYTES) await this.flush(current);
  }

  /** Write what `current` gathered, in one write. */
  private async flush(current: NonNullable<ChunkSink['current']>): Promise<void> {
    if (current.pending.length === 0) return;
    const data = current.pending.length === 1 ? (current.pending[0] as Buffer) : Buffer.concat(current.pending);
    current.pending = [];
    current.pendingBytes = 0;
    // events.once removes its listeners whichever way it settles (a bare once('error') per wait leaks them).
    if (!current.stream.write(data)) await once(current.stream, 'drain');
  }

  private async closeCurrent(): Promise<void> {
    const current = this.current;
    if (!current) return;
    if (current.head !== undefined) {
      const out = settleHead(current.head, true) ?? current.head;
      current.head = undefined;
      current.bytes += out.length;
      current.pending.push(out);
    }
    await this.flush(current);
    this.current = undefined;
    await new Promise<void>((resolve, reject) => {
      current.stream.once('error', reject);
      current.stream.end(resolve);
    });
    this.files.push({ path: current.path, rows: current.rows, bytes: current.bytes, format: 'csv' });
  }
}

/** Whether `buffer` holds ` BC` after a digit and before a field's end (`,` or a newline: Postgres never quotes a
 *  date or timestamp in CSV, so a quoted ` BC` is text). */
function hasBcValue(buffer: Buffer): boolean {
  for (let at = buffer.indexOf(BC); at !== -1; at = buffer.indexOf(BC, at + 1)) {
    const before = buffer[at - 1] ?? 0;
    const after = buffer[at + BC.length];
    if (before >= 0x30 && before <= 0x39 && (after === COMMA || after === NEWLINE)) return true;
  }
  return false;
}

/**
 * The first bytes of a chunk file as they are to be written, or `undefined` while too few have come to tell (`end`:
 * no more will come). Bytes that begin with a byte order mark start an unquoted field (Postgres quotes a field only
 * from its first byte): it runs to the first `,` or newline, and is written quoted instead.
 */
function settleHead(head: Buffer, end = false): Buffer | undefined {
  if (head.length < BOM.length) return end || !BOM.subarray(0, head.length).equals(head) ? head : undefined;
  if (!head.subarray(0, BOM.length).equals(BOM)) return head;
  let fieldEnd = BOM.length;
  while (fieldEnd < head.length && head[fieldEnd] !== COMMA && head[fieldEnd] !== NEWLINE) fieldEnd++;
  if (fieldEnd === head.length && !end) return undefined;
  return Buffer.concat([QUOTE_BYTE, head.subarray(0, fieldEnd), QUOTE_BYTE, head.subarray(fieldEnd)]);
}
