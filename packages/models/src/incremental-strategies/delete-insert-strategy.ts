import { stagedRows, type IncrementalStrategy } from './incremental-strategy.js';

/**
 * `delete+insert`: delete the table's rows whose key (every `unique_key` column together) was staged, then insert
 * the staged rows — in one transaction, so readers never see the keys gone. Keys are matched as tuples, as dbt
 * does (`(k1, k2) IN (SELECT DISTINCT k1, k2 …)`): a row is deleted only when its combination of key values was
 * staged. `incremental_predicates` narrow the delete.
 */
export const deleteInsertStrategy: IncrementalStrategy = {
  name: 'delete+insert',
  needsUniqueKey: true,
  plan(input) {
    const { dialect } = input;
    const { list, select } = stagedRows(input);
    const target = dialect.qualify(input.target);
    const keys = input.keyColumns.map((k) => dialect.quoteIdentifier(k)).join(', ');
    const tuple = input.keyColumns.length === 1 ? keys : `(${keys})`;
    const where = [
      `${tuple} IN (SELECT DISTINCT ${keys} FROM ${dialect.qualify(input.staging)} AS ${dialect.quoteIdentifier('DBT_INTERNAL_SOURCE')})`,
      ...input.predicates.map((p) => `(${p})`),
    ];
    return {
      statements: [
        `DELETE FROM ${target} AS ${dialect.quoteIdentifier('DBT_INTERNAL_DEST')}\nWHERE ${where.join('\n  AND ')}`,
        `INSERT INTO ${target} (${list}) ${select}`,
      ],
      atomic: true,
      message: (rows) => `replaced ${rows ?? '?'} rows by ${input.uniqueKey.join(', ')}`,
    };
  },
};
