import { stagedRows, type IncrementalStrategy } from './incremental-strategy.js';

/** `append`: insert every staged row (the default without a key). */
export const appendStrategy: IncrementalStrategy = {
  name: 'append',
  needsUniqueKey: false,
  plan(input) {
    const { list, select } = stagedRows(input);
    return {
      statements: [`INSERT INTO ${input.dialect.qualify(input.target)} (${list}) ${select}`],
      message: (rows) => `appended ${rows ?? '?'} rows`,
    };
  },
};
