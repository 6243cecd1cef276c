import { appendStrategy } from './append-strategy.js';
import { deleteInsertStrategy } from './delete-insert-strategy.js';
import type { IncrementalStrategy } from './incremental-strategy.js';
import { mergeStrategy } from './merge-strategy.js';

/** Every incremental strategy, by its `incremental_strategy` name. A new strategy is one file and one line here. */
const STRATEGIES = {
  merge: mergeStrategy,
  append: appendStrategy,
  'delete+insert': deleteInsertStrategy,
} as const satisfies Record<string, IncrementalStrategy>;

/** An `incremental_strategy` value. */
export type IncrementalStrategyName = keyof typeof STRATEGIES;

/** The valid `incremental_strategy` values, in the order messages list them. */
export const INCREMENTAL_STRATEGY_NAMES = Object.keys(STRATEGIES) as readonly IncrementalStrategyName[];

/** The strategy of that name, or `undefined`. */
export function incrementalStrategyNamed(name: string): IncrementalStrategy | undefined {
  return Object.hasOwn(STRATEGIES, name) ? STRATEGIES[name as IncrementalStrategyName] : undefined;
}
