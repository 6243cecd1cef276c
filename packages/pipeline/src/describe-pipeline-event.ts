import type { PipelineEvent } from './run-pipeline.js';
import type { RunLogLine } from './run-record.js';

/**
 * One line of the run's log for a pipeline event, or undefined for events too fine to keep (progress, a table
 * starting). What the run record's `log` holds; the apps print their own lines.
 */
export function describePipelineEvent(event: PipelineEvent): Pick<RunLogLine, 'level' | 'msg'> | undefined {
  switch (event.type) {
    case 'run-start':
      return { level: 'info', msg: `run started (trigger ${event.trigger})` };
    case 'step-start':
      return {
        level: 'info',
        msg: `step ${event.step} started${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`,
      };
    case 'step-end':
      return {
        level: event.outcome === 'success' ? 'info' : 'warn',
        msg: `step ${event.step} ${event.outcome === 'success' ? 'done' : event.outcome} in ${formatSeconds(event.seconds)}`,
      };
    case 'step-retry':
      return {
        level: 'warn',
        msg: `step ${event.step} failed on attempt ${event.attempt}: ${event.error}; retrying in ${formatSeconds(event.delayMs / 1000)}`,
      };
    case 'ingest': {
      const inner = event.event;
      if (inner.type !== 'table-done') return undefined;
      const t = inner.result;
      const read = (t as { read?: unknown }).read;
      const counts = `${typeof read === 'number' ? read : t.rows} read, ${t.inserted} inserted, ${t.updated} updated, ${t.deleted} deleted, ${t.bytes} bytes`;
      if (t.status === 'failed' || t.status === 'cancelled')
        return {
          level: t.status === 'failed' ? 'error' : 'warn',
          msg: `table ${t.table} ${t.status} after ${formatSeconds(t.seconds)}${t.error ? `: ${t.error.code}: ${t.error.message}` : ''}`,
        };
      return { level: 'info', msg: `table ${t.table} ${t.status} in ${formatSeconds(t.seconds)}: ${counts}` };
    }
    case 'build': {
      const inner = event.event;
      if (inner.type !== 'node-finish') return undefined;
      const r = inner.result;
      const noun = r.kind === 'test' ? 'test' : r.kind;
      const failures = r.kind === 'test' && r.failures ? ` (${r.failures} failing rows)` : '';
      const bad = r.status === 'error' || r.status === 'fail';
      const detail = r.status === 'success' || r.status === 'pass' ? '' : r.message ? `: ${r.message}` : '';
      return {
        level: bad
          ? 'error'
          : r.status === 'warn' || r.status === 'skipped' || r.status === 'cancelled'
            ? 'warn'
            : 'info',
        msg: `${noun} ${r.name} ${r.status} in ${formatSeconds(r.elapsedMs / 1000)}${failures}${detail}`,
      };
    }
    case 'runs-abandoned':
      return {
        level: 'warn',
        msg: `recorded abandoned: ${event.runs.map((run) => run.id).join(', ')} (their processes are gone)`,
      };
    case 'heartbeat-failed':
      return { level: 'warn', msg: `the run record could not be saved (heartbeat): ${event.error}` };
    case 'lineage-failed':
      return {
        level: 'warn',
        msg: `OpenLineage ${event.eventType} event not delivered to ${event.destination}: ${event.error}`,
      };
    case 'run-end':
      return undefined; // the run's last line is written with its outcome
  }
}

function formatSeconds(seconds: number): string {
  return seconds < 10 ? `${seconds.toFixed(2)} s` : `${seconds.toFixed(1)} s`;
}
