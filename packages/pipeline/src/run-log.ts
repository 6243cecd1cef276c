import type { RunLogLine } from './run-record.js';

/** Lines a run record keeps of its log: the first `HEAD_LINES` and the last ones, up to this many in all. */
export const MAX_LOG_LINES = 400;
const HEAD_LINES = 100;
/** Characters per line kept (a longer message is cut, with `…`). */
const MAX_LINE_CHARS = 500;

/**
 * A run's log as its record keeps it, bounded: the first 100 lines (how it started) and the last 300 (how it
 * ended), and how many were left out between. Lines are for people; the record's tables, models and tests hold
 * the data.
 *
 * @example
 * const log = new RunLog();
 * log.add('info', 'run started');
 * buildRunRecord({ …, detail: { ...log.snapshot() } });
 */
export class RunLog {
  readonly #head: RunLogLine[] = [];
  #tail: RunLogLine[] = [];
  #dropped = 0;

  add(level: RunLogLine['level'], msg: string, at: Date = new Date()): void {
    const line: RunLogLine = {
      at: at.toISOString(),
      level,
      msg: msg.length > MAX_LINE_CHARS ? `${msg.slice(0, MAX_LINE_CHARS - 1)}…` : msg,
    };
    if (this.#head.length < HEAD_LINES) {
      this.#head.push(line);
      return;
    }
    this.#tail.push(line);
    if (this.#tail.length > MAX_LOG_LINES - HEAD_LINES) {
      // Drop from the middle in batches, so a long run does not copy the tail on every line.
      const excess = this.#tail.length - (MAX_LOG_LINES - HEAD_LINES);
      if (excess >= 50 || this.#tail.length > 2 * MAX_LOG_LINES) {
        this.#tail = this.#tail.slice(excess);
        this.#dropped += excess;
      }
    }
  }

  /** The log fields of a run record's detail. */
  snapshot(): { log: RunLogLine[]; logDropped?: number } {
    const keepTail = MAX_LOG_LINES - HEAD_LINES;
    const extra = Math.max(0, this.#tail.length - keepTail);
    const dropped = this.#dropped + extra;
    return {
      log: [...this.#head, ...this.#tail.slice(extra)],
      ...(dropped > 0 ? { logDropped: dropped } : {}),
    };
  }
}
