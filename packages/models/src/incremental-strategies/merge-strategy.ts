import { stagedRows, type IncrementalStrategy } from './incremental-strategy.js';

/** `merge`: one MERGE on `unique_key` — matched rows updated, new rows inserted (the default with a key). */
export const mergeStrategy: IncrementalStrategy = {
  name: 'merge',
  needsUniqueKey: true,
  plan(input) {
    const { select } = stagedRows(input);
    return {
      statements: [
        input.dialect.mergeInto(input.target, select, input.keyColumns, input.columns, {
          predicates: input.predicates,
        }),
      ],
      message: (rows) => `merged ${rows ?? '?'} rows on ${input.uniqueKey.join(', ')}`,
    };
  },
};
