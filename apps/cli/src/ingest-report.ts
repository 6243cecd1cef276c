import type { IngestResult, TableResult } from '@sluice/pipeline';
import { formatBytes, formatCount, formatSeconds, formatTable } from './format.js';

/** Lines describing an ingest run: per table strategy, window, rows, bytes, seconds, and any error. */
export function ingestReport(result: IngestResult): string[] {
  const rows = result.tables.map((table) => [
    table.table,
    table.strategy,
    describeStatus(table),
    formatCount(table.rows),
    formatBytes(table.bytes),
    formatSeconds(table.seconds),
    describeWindow(table),
  ]);
  const lines = formatTable(['table', 'strategy', 'status', 'rows', 'bytes', 'time', 'window'], rows, [
    false,
    false,
    false,
    true,
    true,
    true,
    false,
  ]);
  for (const table of result.tables) {
    const changes = table.schemaChanges;
    if (changes.addedColumns.length) lines.push(`  ${table.table}: added columns ${changes.addedColumns.join(', ')}`);
    if (changes.widenedColumns.length)
      lines.push(`  ${table.table}: widened columns ${changes.widenedColumns.join(', ')}`);
    if (changes.droppedColumns.length) {
      lines.push(
        `  ${table.table}: columns gone from the source, kept and NULL from now on: ${changes.droppedColumns.join(', ')}`,
      );
    }
    if (table.sweepReason) lines.push(`  ${table.table}: swept for late commits: ${table.sweepReason}`);
    for (const note of table.notes ?? []) lines.push(`  ${table.table}: ${note}`);
    if (table.error) lines.push(`  ${table.table} failed [${table.error.code}]: ${table.error.message}`);
  }
  const total = result.tables.reduce((sum, t) => sum + t.rows, 0);
  const statements = result.tables.reduce((sum, t) => sum + t.warehouseStatements, 0);
  const uploaded = result.tables.reduce((sum, t) => sum + t.uploadedBytes, 0);
  const cost = `${formatCount(statements)} warehouse statement${statements === 1 ? '' : 's'}${uploaded ? `, ${formatBytes(uploaded)} uploaded` : ''}`;
  lines.push(`${formatCount(total)} rows in ${formatSeconds(result.seconds)}; ${cost} — ${result.status}`);
  return lines;
}

function describeStatus(table: TableResult): string {
  if (table.status !== 'success') return table.status;
  const parts = [];
  if (table.inserted) parts.push(`+${formatCount(table.inserted)}`);
  if (table.updated) parts.push(`~${formatCount(table.updated)}`);
  if (table.deleted) parts.push(`-${formatCount(table.deleted)}`);
  return parts.length ? parts.join(' ') : 'loaded';
}

function describeWindow(table: TableResult): string {
  if (!table.window) return table.strategy === 'full' ? 'whole table' : '';
  const from = table.window.from ? `(${table.window.from.join(', ')})` : 'start';
  const to = table.window.to ? `(${table.window.to.join(', ')})` : 'empty';
  // Rows read at or before the previous position: late commits, backdated writes, or rows read again.
  return `${from} → ${to}${table.lateRows ? `, ${formatCount(table.lateRows)} behind the cursor` : ''}`;
}
