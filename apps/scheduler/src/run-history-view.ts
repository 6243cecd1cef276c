import {
  failureStreaks,
  readRunRecord,
  type FailureStreak,
  type LoadedProject,
  type RunDetail,
  type TableOutcome,
} from '@sluice/pipeline';
import type { RunCursor, RunRecord, StateStore, Watermark } from '@sluice/watermark';

/** Details already parsed, by record object: the history, the pages and the metrics share the same objects. */
const parsed = new WeakMap<RunRecord, RunDetail>();
/**
 * And by run, for finished runs whose records arrive as new objects (the Postgres store reads them afresh): a
 * finished run's record never changes (an abandoned one may still be rewritten by its process, so it is not kept).
 */
const finishedDetails = new Map<string, RunDetail>();
const MAX_FINISHED_DETAILS = 2000;

/** A stored run's detail in the current shape (`readRunRecord`), parsed once per record (zod is not free). */
export function runDetail(run: RunRecord): RunDetail {
  let detail = parsed.get(run);
  if (detail) return detail;
  const immutable = run.status !== 'running' && run.status !== 'abandoned';
  const key = `${run.id}\u0000${run.status}\u0000${run.endedAt?.getTime() ?? ''}`;
  detail = immutable ? finishedDetails.get(key) : undefined;
  if (!detail) {
    detail = readRunRecord(run).detail;
    if (immutable) {
      if (finishedDetails.size >= MAX_FINISHED_DETAILS) {
        // Forget the oldest half: a page shows the newest runs.
        for (const old of [...finishedDetails.keys()].slice(0, MAX_FINISHED_DETAILS / 2)) finishedDetails.delete(old);
      }
      finishedDetails.set(key, detail);
    }
  }
  parsed.set(run, detail);
  return detail;
}

/** Runs the page and the metrics look at. */
const RECENT_RUNS = 20;
/** How many runs back the page and the metrics look for tables failing run after run (as `sluice doctor`). */
const STREAK_HISTORY = 100;
/** How far back the first look for each table's last write goes (the page says "not in the last N runs" beyond). */
export const WRITE_LOOKBACK_RUNS = 1000;
const PAGE = 200;

/** How one configured table stands, from the latest run that was meant to load it. */
export interface TableState {
  /** The name in `sluice.yml`. */
  readonly table: string;
  /** `schema.table` in the source: the key of its watermark. */
  readonly sourceKey: string;
  /** The latest finished run that was asked to load this table (any daemon, the CLI too). */
  readonly lastRun:
    | {
        readonly runId: string;
        readonly runStatus: string;
        readonly at: Date;
        /** Its outcome there; undefined when the run never reached the table (it stopped first). */
        readonly outcome: TableOutcome | undefined;
        /** Why the run stopped before reaching it (its error), when it did. */
        readonly notReachedBecause: string | undefined;
      }
    | undefined;
  /** When a run last wrote rows to it (inserted, updated or deleted), within `WRITE_LOOKBACK_RUNS` runs. */
  readonly lastWritten: { readonly at: Date; readonly runId: string } | undefined;
  /** When its watermark last moved (the source was read up to a new position, rows or not). */
  readonly watermarkMovedAt: Date | undefined;
}

/** What the status page, the API and the metrics read, from one look at the state store. */
export interface HistorySnapshot {
  /** When it was read. */
  readonly readAt: Date;
  /** The latest runs, newest first. */
  readonly recent: readonly RunRecord[];
  /** The latest run that finished (not running, not a skipped slot). */
  readonly lastFinished: RunRecord | undefined;
  readonly lastSuccess: RunRecord | undefined;
  /** Runs recorded `running` (this daemon's and others'). */
  readonly running: readonly RunRecord[];
  readonly watermarks: readonly Watermark[];
  readonly tables: readonly TableState[];
  /** Whether the search for each table's last write reached back `WRITE_LOOKBACK_RUNS` runs without finding all. */
  readonly writeLookbackExhausted: boolean;
  /** Tables failing in their latest load, one run or more in a row (`failureStreaks`, minRuns 1, over 100 runs). */
  readonly streaks: readonly FailureStreak[];
}

/** Rows a table outcome wrote. */
export function rowsWritten(outcome: Pick<TableOutcome, 'inserted' | 'updated' | 'deleted'>): number {
  return (outcome.inserted ?? 0) + (outcome.updated ?? 0) + (outcome.deleted ?? 0);
}

/** Rows a table outcome read from the source (the ingestion's `read` count, `rows` in older records). */
export function rowsRead(outcome: Pick<TableOutcome, 'read' | 'rows'>): number {
  return outcome.read ?? outcome.rows;
}

/**
 * The daemon's view of the shared run history, read once and shared by every request for `ttlMs` (one read at a
 * time; requests arriving meanwhile wait for it), so the status page, the API and `/metrics` cost one look at the
 * state store per second under any load. The daemon invalidates it when one of its runs starts or ends, so its
 * own runs show at once; other processes' runs show within `ttlMs`.
 *
 * Each table's last write is found once by walking back through the history (up to `WRITE_LOOKBACK_RUNS` runs),
 * then kept up to date from the newest runs.
 */
export class RunHistoryView {
  readonly #state: StateStore;
  readonly #project: LoadedProject;
  readonly #ttlMs: number;
  readonly #now: () => Date;
  #cached: { snapshot: HistorySnapshot; at: number } | undefined;
  #reading: Promise<HistorySnapshot> | undefined;
  #generation = 0;
  readonly #lastWritten = new Map<string, { at: Date; runId: string }>();
  #lookedBack = false;
  #lookbackExhausted = false;

  constructor(state: StateStore, project: LoadedProject, options: { ttlMs?: number; now?: () => Date } = {}) {
    this.#state = state;
    this.#project = project;
    this.#ttlMs = options.ttlMs ?? 1000;
    this.#now = options.now ?? (() => new Date());
  }

  /** Forget the cached snapshot (a run of this daemon started or ended). */
  invalidate(): void {
    this.#cached = undefined;
    this.#generation++;
  }

  /** The latest snapshot, read again when older than `ttlMs`. Rejects when the state store cannot be read. */
  async snapshot(): Promise<HistorySnapshot> {
    const cached = this.#cached;
    if (cached && Date.now() - cached.at < this.#ttlMs) return cached.snapshot;
    if (!this.#reading) {
      const generation = this.#generation;
      this.#reading = this.#read().finally(() => {
        this.#reading = undefined;
      });
      void this.#reading.then(
        (snapshot) => {
          if (generation === this.#generation) this.#cached = { snapshot, at: Date.now() };
        },
        () => undefined,
      );
    }
    return this.#reading;
  }

  async #read(): Promise<HistorySnapshot> {
    const { config } = this.#project;
    const [stored, watermarks, lastSuccessStored] = await Promise.all([
      this.#state.listRuns({ limit: STREAK_HISTORY }),
      this.#state.readAll(),
      this.#state.listRuns({ limit: 1, status: 'success' }),
    ]);
    const recent = stored.slice(0, RECENT_RUNS);
    let lastFinished = stored.find(isFinished);
    if (!lastFinished && stored.length === STREAK_HISTORY) {
      // A hundred runs in a row still running or skipped: look further back, a page at a time.
      let before = stored.at(-1);
      for (let page = 0; page < 5 && !lastFinished && before; page++) {
        const older = await this.#state.listRuns({ limit: PAGE, before });
        lastFinished = older.find(isFinished);
        before = older.length === PAGE ? older.at(-1) : undefined;
      }
    }
    if (!this.#lookedBack) await this.#lookBack(stored.at(-1));
    for (const run of [...stored].reverse()) this.#noteWrites(run);
    const streaks = failureStreaks(
      stored.map((run) => ({ id: run.id, status: run.status, startedAt: run.startedAt, detail: runDetail(run) })),
      { minRuns: 1 },
    ).filter((streak) => streak.table in config.tables);

    const names = Object.keys(config.tables);
    const tables: TableState[] = names.map((table) => {
      const spec = config.tables[table];
      const sourceKey = `${spec?.schema ?? config.source.schema}.${table}`;
      return {
        table,
        sourceKey,
        lastRun: lastRunFor(table, stored),
        lastWritten: this.#lastWritten.get(table),
        watermarkMovedAt: watermarks.find((w) => w.table === sourceKey)?.committedAt,
      };
    });
    return {
      readAt: this.#now(),
      recent,
      lastFinished,
      lastSuccess: lastSuccessStored[0],
      running: recent.filter((run) => run.status === 'running'),
      watermarks,
      tables,
      writeLookbackExhausted: this.#lookbackExhausted && names.some((name) => !this.#lastWritten.has(name)),
      streaks,
    };
  }

  /** Once: walk back through the history until every table's last write is found (or the lookback ends). */
  async #lookBack(from: RunCursor | undefined): Promise<void> {
    const names = Object.keys(this.#project.config.tables);
    let before = from;
    let seen = STREAK_HISTORY;
    while (before && seen < WRITE_LOOKBACK_RUNS && names.some((name) => !this.#lastWritten.has(name))) {
      const page = await this.#state.listRuns({ limit: PAGE, before });
      for (const [index, run] of page.entries()) {
        this.#noteWrites(run, true);
        // Parsing a thousand records is CPU work: let timers (a slot coming due) and requests in between.
        if (index % 25 === 24) await new Promise((resolve) => setImmediate(resolve));
      }
      seen += page.length;
      before = page.length === PAGE ? page.at(-1) : undefined;
    }
    this.#lookedBack = true;
    this.#lookbackExhausted = before !== undefined;
  }

  /** Remember the tables a finished run wrote rows to, when it is newer than what is known. */
  #noteWrites(run: RunRecord, onlyIfUnknown = false): void {
    if (!isFinished(run)) return;
    const at = run.endedAt ?? run.startedAt;
    for (const outcome of runDetail(run).tables) {
      if (rowsWritten(outcome) === 0 || (outcome.status !== 'success' && outcome.status !== 'unchanged')) continue;
      const known = this.#lastWritten.get(outcome.table);
      if (known && (onlyIfUnknown || known.at.getTime() >= at.getTime())) continue;
      this.#lastWritten.set(outcome.table, { at, runId: run.id });
    }
  }
}

/** A run that ended (not one still running, not a skipped slot). */
export function isFinished(run: Pick<RunRecord, 'status'>): boolean {
  return run.status !== 'running' && run.status !== 'skipped';
}

/** Whether a run was asked to load this table: its scope says (older records: it has an outcome for it). */
function meantToLoad(run: RunRecord, table: string): boolean {
  const { scope, tables } = runDetail(run);
  if (!scope) return tables.some((t) => t.table === table);
  return scope.steps.includes('ingest') && (!scope.tables || scope.tables.includes(table));
}

function lastRunFor(table: string, recent: readonly RunRecord[]): TableState['lastRun'] {
  for (const run of recent) {
    if (!isFinished(run) || !meantToLoad(run, table)) continue;
    const detail = runDetail(run);
    const outcome = detail.tables.find((t) => t.table === table);
    return {
      runId: run.id,
      runStatus: run.status,
      at: run.endedAt ?? run.startedAt,
      outcome,
      notReachedBecause: outcome ? undefined : (detail.error?.message ?? `the run ${run.status} before it`),
    };
  }
  return undefined;
}
