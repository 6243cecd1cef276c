import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorCode, fileFailure } from './durable-file.js';
import { compareRunsNewestFirst } from './run-record.js';
import type { JsonObject } from './position.js';
import type { RunRecord, RunStatus } from './state-store.js';

/** Records still rewritten: a running run's (heartbeats, its end), and an abandoned one's (its process, thought
 *  dead, may still record how it ended). Records with any other status are never rewritten. */
const MAY_CHANGE: ReadonlySet<RunStatus> = new Set<RunStatus>(['running', 'abandoned']);
/** Files read at once while the index catches up (a first scan of 10,000 runs reads them all). */
const READ_CONCURRENCY = 64;
/** A directory whose last change is older than this before a scan began cannot have changed unseen since. */
const MTIME_SAFETY_NS = 1_000_000_000n;

/**
 * The run records of a file state store, kept in memory and brought up to date from `runs/` before every read,
 * so listing 10,000 runs does not read 10,000 files per call.
 *
 * - Every write to the directory (a run saved: temp file and rename; a run pruned) changes the directory's mtime,
 *   so a read whose `stat` finds the mtime it saw last does nothing more — unless that mtime was within a second
 *   of the scan (file-system timestamps are coarse: a later change could carry the same one), then it scans again.
 * - A scan lists the names and reads only the files it has not read yet and those of runs it last saw `running`
 *   or `abandoned`: a run record is rewritten only while the run runs (heartbeats, its end, `abandoned`) or after
 *   it was recorded abandoned (by its process, which was not dead after all); a record with any other status is
 *   never rewritten, by Sluice or anyone else.
 * - Reads that arrive during a scan wait for the next one (which starts after they arrived), so a read never misses
 *   a write another process finished before the read began. Writes of this process update the index at once.
 * - A file that does not parse is read again on every call and fails it (`CORRUPT_STATE`, from `parse`), as
 *   before the index existed.
 */
export class FileRunIndex {
  readonly #dir: string;
  readonly #parse: (file: string, text: string) => RunRecord;
  readonly #records = new Map<string, RunRecord>();
  /** Bumped by each write of this process, so a scan that read a file before the write does not undo it. */
  readonly #generation = new Map<string, number>();
  readonly #corrupt = new Set<string>();
  #sorted: RunRecord[] = [];
  #dirty = false;
  #seenMtimeNs: bigint | undefined;
  #mtimeTrusted = false;
  #scanning: Promise<void> | undefined;
  #queued: Promise<void> | undefined;

  constructor(dir: string, parse: (file: string, text: string) => RunRecord) {
    this.#dir = dir;
    this.#parse = parse;
  }

  /** Every run, newest start first. The array is shared: do not change it. */
  async runs(): Promise<readonly RunRecord[]> {
    await this.#refresh();
    if (this.#dirty) {
      this.#sorted = [...this.#records.values()].sort(compareRunsNewestFirst);
      this.#dirty = false;
    }
    return this.#sorted;
  }

  /** This process wrote `record` to the file `name`. */
  remember(name: string, record: RunRecord): void {
    this.#generation.set(name, (this.#generation.get(name) ?? 0) + 1);
    this.#records.set(name, record);
    this.#corrupt.delete(name);
    this.#dirty = true;
  }

  /** This process removed the file `name`. */
  forget(name: string): void {
    this.#generation.set(name, (this.#generation.get(name) ?? 0) + 1);
    this.#records.delete(name);
    this.#corrupt.delete(name);
    this.#dirty = true;
  }

  /** The name of the file that holds a run known to the index. */
  fileOf(id: string): string | undefined {
    for (const [name, record] of this.#records) if (record.id === id) return name;
    return undefined;
  }

  #refresh(): Promise<void> {
    if (this.#scanning === undefined) {
      this.#scanning = this.#scan().finally(() => {
        this.#scanning = undefined;
      });
      return this.#scanning;
    }
    // A scan under way may have listed the directory before this read began: wait for the next one.
    this.#queued ??= this.#scanning
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined;
        return this.#refresh();
      });
    return this.#queued;
  }

  async #scan(): Promise<void> {
    const startedNs = BigInt(Date.now()) * 1_000_000n;
    let mtimeNs: bigint;
    try {
      mtimeNs = (await stat(this.#dir, { bigint: true })).mtimeNs;
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw fileFailure(error, `read ${this.#dir}`, this.#dir);
      return; // no run saved yet
    }
    if (mtimeNs === this.#seenMtimeNs && this.#mtimeTrusted && this.#corrupt.size === 0) return;
    const generations = new Map(this.#generation);
    const unchangedHere = (name: string) => this.#generation.get(name) === generations.get(name);
    let names: string[];
    try {
      names = (await readdir(this.#dir)).filter((name) => !name.startsWith('.') && name.endsWith('.json'));
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return;
      throw fileFailure(error, `list ${this.#dir}`, this.#dir);
    }
    const present = new Set(names);
    for (const name of [...this.#records.keys()]) {
      if (!present.has(name) && unchangedHere(name)) {
        this.#records.delete(name);
        this.#dirty = true;
      }
    }
    const toRead = names.filter((name) => {
      const known = this.#records.get(name);
      return known === undefined || MAY_CHANGE.has(known.status);
    });
    const failures: unknown[] = [];
    let next = 0;
    const worker = async () => {
      for (let index = next++; index < toRead.length; index = next++) {
        const name = toRead[index] as string;
        const file = path.join(this.#dir, name);
        try {
          const text = await readText(file);
          if (text === undefined) continue; // removed after the listing
          const record = withLazyDetail(this.#parse(file, text), text);
          this.#corrupt.delete(name);
          if (!unchangedHere(name)) continue;
          const known = this.#records.get(name);
          if (known === undefined || known.status !== record.status || known !== record) {
            this.#records.set(name, record);
            this.#dirty = true;
          }
        } catch (error) {
          this.#corrupt.add(name);
          if (this.#records.delete(name)) this.#dirty = true;
          failures.push(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, toRead.length) }, worker));
    this.#seenMtimeNs = mtimeNs;
    this.#mtimeTrusted = mtimeNs < startedNs - MTIME_SAFETY_NS;
    if (failures.length > 0) throw failures[0];
  }
}

/**
 * The record with its `detail` read again from the file's text when first asked for, then kept: the index holds
 * thousands of records, most never looked at, and a string costs the garbage collector nothing to keep while a
 * tree of objects costs it a walk at every major collection.
 */
function withLazyDetail(record: RunRecord, text: string): RunRecord {
  const { detail: _parsed, ...fields } = record;
  let detail: JsonObject | undefined;
  return {
    ...fields,
    get detail(): JsonObject {
      detail ??= (JSON.parse(text) as { detail: JsonObject }).detail;
      return detail;
    },
  };
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw fileFailure(error, `read ${file}`, file);
  }
}
