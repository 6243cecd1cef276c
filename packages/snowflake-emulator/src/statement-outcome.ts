import { rowType, type RowType } from './sql/snowflake-types.js';
import { StatementTypeId } from './sql/statement-plan.js';

/** What a statement produced. */
export type StatementOutcome =
  | {
      readonly type: 'rows';
      readonly columns: readonly RowType[];
      readonly rows: readonly (readonly (string | null)[])[];
      readonly statementTypeId: number;
    }
  | {
      /** PUT/GET: the driver moves the files itself, told where by this response data. */
      readonly type: 'file-transfer';
      readonly data: Record<string, unknown>;
      readonly statementTypeId: number;
    };

/** The one `status` column of DDL and session statements. */
export const STATUS_COLUMN: readonly RowType[] = [rowType('status', 'text', { nullable: false })];

/** Snowflake's answer to most statements without a result: `Statement executed successfully.` */
export const EXECUTED = 'Statement executed successfully.';

/** A one-row `status` answer. */
export function status(message: string, statementTypeId: number = StatementTypeId.DDL): StatementOutcome {
  return { type: 'rows', columns: STATUS_COLUMN, rows: [[message]], statementTypeId };
}

/** A one-row answer of counts (`number of rows inserted`, …). */
export function counts(names: readonly string[], values: readonly number[], statementTypeId: number): StatementOutcome {
  return {
    type: 'rows',
    columns: names.map((n) => rowType(n, 'fixed', { precision: 38, scale: 0, nullable: false })),
    rows: [values.map(String)],
    statementTypeId,
  };
}
