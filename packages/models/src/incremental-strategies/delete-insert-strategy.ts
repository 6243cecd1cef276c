import { stagedRows, type IncrementalStrategy } from './incremental-strategy.js';

/** `delete+insert`: delete the table's rows whose keys were staged, then insert the staged rows. */
export const deleteInsertStrategy: IncrementalStrategy = {
  name: 'delete+insert',
  needsUniqueKey: true,
  plan(input) {
    const { dialect } = input;
    const { list, select } = stagedRows(input);
    const target = dialect.qualify(input.target);
    const match = input.keyColumns
      .map(
        (k) =>
          `${dialect.quoteIdentifier(k)} in (select ${dialect.quoteIdentifier(k)} from ${dialect.qualify(input.staging)})`,
      )
      .join(' and ');
    return {
      statements: [`DELETE FROM ${target} WHERE ${match}`, `INSERT INTO ${target} (${list}) ${select}`],
      message: (rows) => `replaced ${rows ?? '?'} rows by ${input.uniqueKey.join(', ')}`,
    };
  },
};
