import type { Relation, RelationState, Row, StatementOptions, Warehouse } from '@sluice/warehouse';

/*
 * Templates may ask the warehouse something while they render (dbt's `run_query`, `statement`,
 * `adapter.get_columns_in_relation`, `adapter.get_relation`), but rendering is synchronous and the warehouse is
 * not. The render therefore runs against a log of answers: a call whose answer is known returns it at once; the
 * first one that is not stops the render with `WarehouseCallPending`. Whoever drives the render (compile with a
 * warehouse, or a run) makes that call, records the answer, and renders again from the start — templates are
 * deterministic given their answers, so each pass gets one call further, and no call is made twice.
 */

/** A question a template asks the warehouse. */
export type WarehouseCall =
  /** A query whose rows the template reads (`run_query`, `statement(fetch_result=True)`). */
  | { readonly kind: 'query'; readonly sql: string }
  /** A statement whose rows are not wanted (`statement` without `fetch_result`, `adapter.execute`). */
  | { readonly kind: 'execute'; readonly sql: string }
  /** A relation's kind and columns (`adapter.get_relation`, `get_columns_in_relation`, `load_relation`). */
  | { readonly kind: 'describe'; readonly relation: Relation };

/** The warehouse's answer to a call. */
export type WarehouseAnswer =
  | { readonly kind: 'query'; readonly rows: readonly Row[] }
  | { readonly kind: 'execute'; readonly rowsAffected: number | undefined }
  | { readonly kind: 'describe'; readonly state: RelationState | undefined };

/** Answers a call during a render: the answer, or throws `WarehouseCallPending`. */
export type WarehouseCalls = (call: WarehouseCall) => WarehouseAnswer;

function sameCall(a: WarehouseCall, b: WarehouseCall): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'describe' && b.kind === 'describe') {
    return a.relation.schema === b.relation.schema && a.relation.name === b.relation.name;
  }
  return (a as { sql: string }).sql === (b as { sql: string }).sql;
}

/** Stops a render at a warehouse call whose answer is not known yet; `settle` records it. */
export class WarehouseCallPending extends Error {
  override readonly name = 'WarehouseCallPending';
  constructor(
    readonly call: WarehouseCall,
    private readonly log: WarehouseCallLog,
    private readonly index: number,
  ) {
    super(
      `the template needs the warehouse: ${call.kind === 'describe' ? `describe ${call.relation.schema}.${call.relation.name}` : call.sql}`,
    );
  }
  settle(answer: WarehouseAnswer): void {
    this.log.record(this.index, this.call, answer);
  }
}

/** The answers of one node's renders, in the order the renders ask for them. */
export class WarehouseCallLog {
  private readonly answers: Array<{ call: WarehouseCall; answer: WarehouseAnswer }> = [];
  private position = 0;

  /** Start a render from the first call. */
  restart(): void {
    this.position = 0;
  }

  /** The `WarehouseCalls` of a render against this log. */
  readonly answer: WarehouseCalls = (call) => {
    const index = this.position++;
    const known = this.answers[index];
    if (known !== undefined && sameCall(known.call, call)) return known.answer;
    // A different call at this point: the render took another path; what followed no longer applies.
    this.answers.length = index;
    throw new WarehouseCallPending(call, this, index);
  };

  record(index: number, call: WarehouseCall, answer: WarehouseAnswer): void {
    this.answers.length = index;
    this.answers.push({ call, answer });
  }

  /** How many calls the renders have made. */
  get size(): number {
    return this.answers.length;
  }
}

/** The `WarehouseCallPending` an error is, or was caused by (nunjucks wraps what a render throws). */
export function pendingWarehouseCall(error: unknown): WarehouseCallPending | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 10 && current !== undefined && current !== null; depth++) {
    if (current instanceof WarehouseCallPending) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Make a call against a warehouse. */
export async function performWarehouseCall(
  warehouse: Warehouse,
  call: WarehouseCall,
  options: StatementOptions = {},
): Promise<WarehouseAnswer> {
  switch (call.kind) {
    case 'query':
      return { kind: 'query', rows: await warehouse.query(call.sql, options) };
    case 'execute':
      return { kind: 'execute', rowsAffected: (await warehouse.execute(call.sql, options)).rowsAffected };
    case 'describe':
      return { kind: 'describe', state: await warehouse.describeRelation(call.relation) };
  }
}

/** More passes than any template needs: a render that keeps asking is a loop. */
const MAX_CALLS = 10_000;

/**
 * Run `render` (which renders against `log.answer`) until it finishes, answering each pending warehouse call in
 * between. Errors other than a pending call are thrown as they are.
 *
 * @example const sql = await withWarehouseCalls(log, () => compiler.compileNode(id, false, log.answer), warehouse);
 */
export async function withWarehouseCalls<T>(
  log: WarehouseCallLog,
  render: () => T,
  warehouse: Warehouse,
  options: { readonly tag?: string; readonly signal?: AbortSignal } = {},
): Promise<T> {
  for (let pass = 0; pass <= MAX_CALLS; pass++) {
    log.restart();
    try {
      return render();
    } catch (error) {
      const pending = pendingWarehouseCall(error);
      if (pending === undefined) throw error;
      pending.settle(await performWarehouseCall(warehouse, pending.call, options));
    }
  }
  throw new Error(`a template asked the warehouse more than ${MAX_CALLS} times while rendering; is it looping?`);
}
