import type { ExtractPlan } from '@sluice/pg-extract';
import type { ChunkFile, WarehouseError } from '@sluice/warehouse';
import { widestNumber } from './widest-number.js';

/** What a refused load was loading: the table's name in `sluice.yml`, its plan and the chunk files read. */
export interface RefusedLoad {
  readonly name: string;
  readonly plan: ExtractPlan;
  readonly files: readonly ChunkFile[];
}

/**
 * The message of a load the warehouse refused because a value does not fit its column (`UNREPRESENTABLE_VALUE`),
 * with the way out in `sluice.yml` terms: the per-column choice (`columns: { c: { as: … } }`) — for a decimal,
 * with the widest value of the batch (digits before and after the point) and the `decimal(p,s)` that holds them.
 * Any other error keeps its message.
 */
export async function refusalMessage(error: WarehouseError, load: RefusedLoad): Promise<string> {
  if (error.code !== 'UNREPRESENTABLE_VALUE' || error.column === undefined) return error.message;
  const index = load.plan.columns.findIndex((c) => c.name === error.column);
  const column = load.plan.columns[index];
  if (column === undefined) return error.message;
  const where = `tables.${load.name}.columns`;
  const choice = (as: string) => `${where}: { ${column.name}: { as: ${as} } }`;
  if (column.type.kind !== 'decimal') {
    return `${error.message} To load the column as its Postgres text instead, set ${choice('text')} in sluice.yml.`;
  }
  const widest = await widestNumber(load.files, index).catch(() => undefined);
  const lines = [error.message];
  const choices = [`${choice('text')} keeps every digit, as text`];
  if (widest) {
    const shown = widest.widest.length > 60 ? `${widest.widest.slice(0, 60)}…` : widest.widest;
    lines.push(
      `The widest values of ${load.plan.table.schema}.${load.plan.table.name}.${column.name} in this batch have ` +
        `${widest.integerDigits} digits before the point and ${widest.fractionDigits} after (the widest: ${shown}).`,
    );
    const precision = Math.max(1, widest.integerDigits + widest.fractionDigits);
    if (precision <= 38) {
      choices.unshift(
        `${choice(`decimal(${precision},${widest.fractionDigits})`)} holds every value of this batch exactly`,
      );
    } else {
      lines.push(`No decimal holds them all: warehouses keep at most 38 digits.`);
    }
  }
  choices.push(`${choice('double')} keeps about 15 significant digits (and NaN, ±Infinity)`);
  lines.push(`Choose how sluice loads the column, in sluice.yml: ${choices.join('; or ')}.`);
  return lines.join(' ');
}
