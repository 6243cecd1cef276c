import { ExtractError, type SourceTable } from '@sluice/pg-extract';
import { tableLabel, type Relation, type Warehouse } from '@sluice/warehouse';
import type { Position } from '@sluice/watermark';
import type { TableConfig } from './project-config.js';

/** How an adopted table starts: from the newest cursor its rows hold, or (when it cannot be adopted) from scratch. */
export type AdoptionStart =
  | { readonly kind: 'adopt'; readonly position: Position; readonly note: string }
  | { readonly kind: 'reload'; readonly note: string };

const INTEGER_KINDS = new Set(['smallint', 'integer', 'bigint']);

/**
 * The start of an adoption (`adopt: true`, a raw table another tool loaded and Sluice has no position for): the
 * cursor of its newest row, read from the warehouse. The pipeline then reads the source's rows past that cursor
 * (merged), and compares the table with the source per key range — count and sum of the keys in each range, the
 * fingerprints of delete reconciliation — loading the rows of the source the table lacks and deleting those the
 * source no longer has. Rows the other tool loaded and that changed later with a cursor behind its newest one (its
 * own late commits) keep the values it loaded: adoption checks keys, not values.
 *
 * Throws `INVALID_TABLE_CONFIG` when the table's key cannot be compared per range (not one integer column).
 */
export async function adoptionStart(
  warehouse: Warehouse,
  relation: Relation,
  source: SourceTable,
  spec: TableConfig,
): Promise<AdoptionStart> {
  const label = tableLabel(relation);
  if (spec.strategy === 'full') {
    return {
      kind: 'reload',
      note: `adopt: ${label} is a full table, reloaded whole whenever it changes: replacing it`,
    };
  }
  const key = source.primaryKey.length === 1 ? source.columns.find((c) => c.name === source.primaryKey[0]) : undefined;
  if (!key?.logical || !INTEGER_KINDS.has(key.logical.kind)) {
    throw new ExtractError(
      'INVALID_TABLE_CONFIG',
      `${label}: adopt: true compares the table with the source per range of its primary key, which needs a single integer key; this table's key is (${source.primaryKey.join(', ') || 'none'}). Remove adopt to load the table from the start.`,
      { table: label },
    );
  }
  const cursor = spec.cursor ?? [];
  if (cursor.length === 0) {
    return { kind: 'reload', note: `adopt: ${label} has no cursor to continue from: replacing it` };
  }
  const q = (name: string) => warehouse.dialect.quoteIdentifier(name);
  const expressions = cursor.map((element) =>
    typeof element === 'string' ? q(element) : `COALESCE(${element.coalesce.map(q).join(', ')})`,
  );
  const [row] = await warehouse.query(
    `SELECT ${expressions.map((e, i) => `${e} AS ${q(`c${i}`)}`).join(', ')} FROM ${warehouse.dialect.qualify(relation)}\n` +
      `ORDER BY ${expressions.map((e) => `${e} DESC NULLS LAST`).join(', ')}\nLIMIT 1`,
    { tag: `sluice adopt ${label}` },
  );
  const values = expressions.map((_, i) => row?.[`c${i}`]);
  if (values.some((value) => value === null || value === undefined || typeof value === 'object')) {
    return {
      kind: 'reload',
      note: `adopt: the newest row of ${label} has no cursor value Sluice can continue from: replacing it`,
    };
  }
  const texts = values.map((value) => String(value));
  return {
    kind: 'adopt',
    // Postgres reads these texts back as the cursor's types (timestamps with microseconds, dates, integers).
    position: { cursor: texts, snapshotXmin: '0' },
    note: `adopted ${label} (loaded by another tool): rows past its newest cursor (${texts.join(', ')}) read, and its keys compared with the source per range`,
  };
}
