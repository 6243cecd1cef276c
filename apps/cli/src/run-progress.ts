import type { HeldBack, IngestEvent, PipelineEvent, TableResult } from '@sluice/pipeline';
import type { NodeResult, RunEvent } from '@sluice/models';
import { messageWithoutCompiledPath } from './build-report.js';
import { formatBytes, formatCount, formatSeconds, visibleLength } from './format.js';
import type { Output } from './output.js';

/** Receives a run's events and shows them: live on a terminal, as plain lines elsewhere. */
export interface RunProgress {
  pipeline(event: PipelineEvent): void;
  build(event: RunEvent): void;
  /** Stop redrawing and leave the finished lines on screen. */
  close(): void;
}

/** Progress that shows nothing (`--json`). */
export const SILENT_PROGRESS: RunProgress = {
  pipeline: () => undefined,
  build: () => undefined,
  close: () => undefined,
};

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

interface ActiveTable {
  readonly name: string;
  readonly strategy: string;
  readonly started: number;
  rows: number;
  bytes: number;
  phase: 'reading' | 'loading';
}

interface ActiveNode {
  readonly name: string;
  readonly kind: string;
  readonly started: number;
}

/**
 * A progress display for the running verbs (`run`, `build`, `test`, `seed`, `snapshot`, `ingest`). Each table, model and test gets one
 * line when it finishes (with rows, bytes, time and throughput, or its status). On a terminal (`out.live`) the
 * tables and models in flight are shown below those lines, redrawn ten times a second, with rows read so far
 * and rows per second; elsewhere (pipes, CI) only the finished lines are printed.
 */
export function createRunProgress(
  out: Output,
  options: {
    readonly tables: readonly string[];
    readonly nodes?: readonly string[];
    /** The heading of the build step (`Models` for run, `Models and tests` for build). */
    readonly buildHeading?: string;
  },
): RunProgress {
  const tableWidth = Math.max(8, ...options.tables.map((name) => name.length));
  const nodeWidth = Math.min(56, Math.max(20, ...(options.nodes ?? []).map((name) => name.length)));
  const activeTables = new Map<string, ActiveTable>();
  const activeNodes = new Map<string, ActiveNode>();
  let drawn = 0;
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const erase = () => {
    if (drawn > 0) out.write(`\u001b[${drawn}A\u001b[0J`);
    drawn = 0;
  };
  const draw = () => {
    if (!out.live || closed) return;
    const lines: string[] = [];
    const spin = SPINNER[frame++ % SPINNER.length] ?? '*';
    const now = performance.now();
    for (const table of activeTables.values()) {
      const seconds = (now - table.started) / 1000;
      const rate = seconds > 0.2 && table.rows > 0 ? `  ${formatCount(Math.round(table.rows / seconds))} rows/s` : '';
      lines.push(
        `  ${out.dim(spin)} ${table.name.padEnd(tableWidth)}  ${table.strategy.padEnd(6)}  ${formatCount(table.rows).padStart(11)} rows  ${formatBytes(table.bytes).padStart(8)}${rate}  ${out.dim(table.phase === 'loading' ? 'loading into the warehouse…' : formatSeconds(seconds))}`,
      );
    }
    for (const node of activeNodes.values()) {
      lines.push(
        `  ${out.dim(spin)} ${node.kind.padEnd(8)} ${fit(node.name, nodeWidth)}  ${out.dim(formatSeconds((now - node.started) / 1000))}`,
      );
    }
    const width = Math.max(20, out.columns - 1);
    const clipped = lines.slice(0, 12).map((line) => clip(line, width));
    if (lines.length > 12) clipped.push(out.dim(`  … and ${lines.length - 12} more running`));
    erase();
    if (clipped.length > 0) out.write(`${clipped.join('\n')}\n`);
    drawn = clipped.length;
  };
  const print = (line: string) => {
    erase();
    out.line(line);
    draw();
  };
  const ensureTimer = () => {
    if (!out.live || timer || closed) return;
    timer = setInterval(draw, 100);
    timer.unref();
  };

  const ingest = (event: IngestEvent) => {
    switch (event.type) {
      case 'table-start':
        activeTables.set(event.table, {
          name: event.table,
          strategy: event.strategy,
          started: performance.now(),
          rows: 0,
          bytes: 0,
          phase: 'reading',
        });
        ensureTimer();
        draw();
        return;
      case 'table-progress': {
        const table = activeTables.get(event.table);
        if (table) {
          table.rows = event.rows;
          table.bytes = event.bytes;
        }
        return;
      }
      case 'table-loading': {
        const table = activeTables.get(event.table);
        if (table) table.phase = 'loading';
        return;
      }
      case 'table-loaded':
        return;
      case 'positions-read':
        if (event.source === 'missing') {
          print(out.dim('  no Sluice state in the warehouse (a new warehouse): every table is loaded from the start'));
        }
        return;
      case 'table-done':
        activeTables.delete(event.result.table);
        for (const line of tableLines(event.result, tableWidth, out)) print(line);
        return;
    }
  };

  const build = (event: RunEvent) => {
    switch (event.type) {
      case 'run-start':
        ensureTimer();
        return;
      case 'node-start':
        activeNodes.set(event.id, { name: event.name, kind: event.kind, started: performance.now() });
        draw();
        return;
      case 'node-finish':
        activeNodes.delete(event.result.id);
        for (const line of nodeLines(event.result, nodeWidth, out)) print(line);
        return;
      case 'run-finish':
        // dbt_project.yml's on-run-start / on-run-end statements that failed (a failed on-run-start also skipped
        // every node, each saying why).
        for (const hook of event.result.hooks ?? []) {
          if (hook.status === 'error') print(out.red(`  ✗ ${hook.event.padEnd(12)} ${hook.message}`));
        }
        return;
    }
  };

  return {
    build,
    pipeline(event) {
      switch (event.type) {
        case 'step-start':
          print(
            out.bold(event.step === 'ingest' ? 'Ingest' : (options.buildHeading ?? 'Models and tests')) +
              (event.attempt > 1 ? out.dim(` (attempt ${event.attempt})`) : ''),
          );
          return;
        case 'step-retry':
          print(
            out.yellow(
              `  ${event.step} failed (attempt ${event.attempt}): ${event.error}; retrying in ${formatSeconds(event.delayMs / 1000)}`,
            ),
          );
          return;
        case 'ingest':
          ingest(event.event);
          return;
        case 'build':
          build(event.event);
          return;
        default:
          return;
      }
    },
    close() {
      if (timer) clearInterval(timer);
      erase();
      closed = true;
    },
  };
}

/** A name padded to `width`, or cut with … when longer. */
function fit(name: string, width: number): string {
  return name.length > width ? `${name.slice(0, width - 1)}…` : name.padEnd(width);
}

function clip(line: string, width: number): string {
  // Escape sequences take no columns; a line cut short loses its colours.
  if (visibleLength(line) <= width) return line;
  return `${line.replace(/\u001b\[[0-9;]*m/g, '').slice(0, width - 1)}…`;
}

/** The line (and error line) of a finished table. */
export function tableLines(result: TableResult, width: number, out: Output): string[] {
  const icon =
    result.status === 'success'
      ? out.green('✓')
      : result.status === 'unchanged'
        ? out.dim('·')
        : result.status === 'failed'
          ? out.red('✗')
          : out.yellow('-');
  const seconds = result.seconds;
  // Throughput says something only for tables of some size.
  const rate = result.rows >= 1000 && seconds > 0 ? `  ${formatCount(Math.round(result.rows / seconds))} rows/s` : '';
  const line = `  ${icon} ${result.table.padEnd(width)}  ${result.strategy.padEnd(6)}  ${describeTableStatus(result).padEnd(16)} ${formatCount(result.rows).padStart(9)} rows  ${formatBytes(result.bytes).padStart(8)}  ${formatSeconds(seconds).padStart(7)}${rate}`;
  const lines = [line];
  const changes = result.schemaChanges;
  if (changes.addedColumns.length) lines.push(out.dim(`      added columns ${changes.addedColumns.join(', ')}`));
  if (changes.widenedColumns.length) lines.push(out.dim(`      widened columns ${changes.widenedColumns.join(', ')}`));
  if (changes.droppedColumns.length)
    lines.push(
      out.dim(`      columns gone from the source, kept and NULL from now on: ${changes.droppedColumns.join(', ')}`),
    );
  if (result.heldBack) lines.push(out.yellow(`      ${describeHeldBack(result.heldBack)}`));
  for (const note of result.notes ?? []) lines.push(out.yellow(`      ${note}`));
  if (result.error) lines.push(out.red(`      [${result.error.code}] ${result.error.message}`));
  return lines;
}

/**
 * `+600 ~3 -1` (rows new, rows whose values changed, rows deleted), `no change` (rows read, none different from
 * what the warehouse held), `unchanged` (nothing to read), `failed`…
 */
export function describeTableStatus(result: TableResult): string {
  if (result.status !== 'success') return result.status;
  const parts: string[] = [];
  if (result.inserted) parts.push(`+${formatCount(result.inserted)}`);
  if (result.updated) parts.push(`~${formatCount(result.updated)}`);
  if (result.deleted) parts.push(`-${formatCount(result.deleted)}`);
  return parts.length > 0 ? parts.join(' ') : 'no change';
}

/** The line naming the open transaction that made a run read rows again. */
export function describeHeldBack(held: HeldBack): string {
  const who =
    held.pid === undefined
      ? `transaction ${held.xid} (its session is hidden from this role: pg_read_all_stats shows it)`
      : `transaction ${held.xid} of pid ${held.pid}${held.database ? ` on database ${held.database}` : ''}${held.since ? `, open since ${held.since}` : ''}`;
  return `${formatCount(held.rows)} rows read again, already loaded: ${who} holds back the source's xmin horizon, so every run re-reads what was written since it began; end it (sluice doctor lists open transactions)`;
}

/** The line (and message line) of a finished model, snapshot or test. */
export function nodeLines(result: NodeResult, width: number, out: Output): string[] {
  const time = formatSeconds(result.elapsedMs / 1000).padStart(7);
  const icon =
    result.status === 'success' || result.status === 'pass'
      ? out.green('✓')
      : result.status === 'warn'
        ? out.yellow('!')
        : result.status === 'error' || result.status === 'fail'
          ? out.red('✗')
          : out.dim('-');
  let detail: string;
  if (result.reused !== undefined) {
    // Not built (not run) this time: say so, and why, with the status that stands.
    const last = result.kind === 'test' ? ` (last: ${result.status})` : '';
    return [
      `  ${out.dim('=')} ${result.kind.padEnd(8)} ${fit(result.name, width)}  ${`reused${last}`.padEnd(22)} ${time}`,
      out.dim(`      reused: ${result.reused}`),
    ];
  }
  if (result.kind === 'test') {
    detail =
      result.status === 'pass'
        ? 'pass'
        : result.failures !== undefined && (result.status === 'fail' || result.status === 'warn')
          ? `${result.status} (${formatCount(result.failures)} failing row${result.failures === 1 ? '' : 's'})`
          : result.status;
  } else {
    detail =
      result.status === 'success'
        ? `${result.materialized ?? ''}${result.rowsAffected !== undefined ? ` ${formatCount(result.rowsAffected)} rows` : ''}`
        : result.status;
  }
  const kind = result.id.startsWith('unit_test.') ? 'unit' : result.kind;
  const lines = [`  ${icon} ${kind.padEnd(8)} ${fit(result.name, width)}  ${detail.padEnd(22)} ${time}`];
  if (result.status === 'error' || result.status === 'skipped' || result.status === 'cancelled') {
    // The compiled SQL's path is in the closing report (once), not here too.
    lines.push(out.dim(`      ${messageWithoutCompiledPath(result)}`));
  }
  return lines;
}
