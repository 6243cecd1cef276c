import { openStateStore, openWarehouse, resetPositions } from '@sluice/pipeline';
import { checkTableNames, chooseTarget, loadProject } from '../preflight.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatTable } from '../format.js';
import type { Output } from '../output.js';

/** `sluice state show`: every table's watermark. */
export async function stateShowCommand(
  options: { project: string; profilesDir?: string; json: boolean },
  out: Output,
): Promise<number> {
  const project = await loadProject(options.project, { needsSource: false, profilesDir: options.profilesDir });
  const state = openStateStore(project);
  try {
    const all = await state.readAll();
    if (options.json) {
      out.line(JSON.stringify(all, null, 2));
      return EXIT.ok;
    }
    const configured = Object.keys(project.config.tables).map(
      (name) => `${project.config.tables[name]?.schema ?? project.config.source.schema}.${name}`,
    );
    const rows = configured.map((table) => {
      const mark = all.find((w) => w.table === table);
      return [
        table,
        mark ? describePosition(mark.position) : 'not loaded yet',
        mark ? mark.committedAt.toISOString() : '',
        mark?.runId ?? '',
      ];
    });
    for (const line of formatTable(['table', 'position', 'committed', 'run'], rows)) out.line(line);
    return EXIT.ok;
  } finally {
    await state.close();
  }
}

/**
 * `sluice state reset --table T`: forget one table's position — in the warehouse, where it lives, and in the state
 * store's copy — so the next run reloads it (others untouched).
 */
export async function stateResetCommand(
  options: { project: string; profilesDir?: string; table: readonly string[]; target?: string | undefined },
  out: Output,
): Promise<number> {
  const project = await loadProject(options.project, { needsSource: false, profilesDir: options.profilesDir });
  if (options.table.length === 0) throw new CliError('state reset needs --table NAME (repeat it for several tables)');
  checkTableNames(project, options.table);
  const target = chooseTarget(project, options.target);
  const warehouse = await openWarehouse(project, target.config);
  const state = openStateStore(project);
  try {
    for (const reset of await resetPositions({ project, warehouse, state, tables: options.table })) {
      out.line(
        reset.had
          ? `${reset.key}: reset; the next ingest reloads it from the start`
          : `${reset.key}: had no position; nothing to reset`,
      );
    }
    return EXIT.ok;
  } finally {
    await warehouse.close().catch(() => undefined);
    await state.close();
  }
}

function describePosition(position: Record<string, unknown>): string {
  const firstLoad = position.firstLoad as { ranges?: unknown[]; done?: unknown[] } | undefined;
  if (firstLoad && typeof firstLoad === 'object') {
    return `first load under way: ${firstLoad.done?.length ?? 0} of ${firstLoad.ranges?.length ?? 0} ranges in`;
  }
  if (typeof position.digest === 'string') return `full reload, content ${position.digest.slice(0, 12)}…`;
  const cursor = Array.isArray(position.cursor) ? `(${position.cursor.join(', ')})` : 'empty table';
  const swept = typeof position.sweptAt === 'string' ? `, last full pass ${position.sweptAt}` : '';
  const open =
    Array.isArray(position.openXids) && position.openXids.length > 0
      ? `, ${position.openXids.length} writer(s) open`
      : '';
  return `${cursor}, xmin ${String(position.snapshotXmin)}${swept}${open}`;
}
