import type { CommentChange } from '../metadata-store.js';
import type { FileFormatSpec, FormatValue } from './file-format.js';
import type { NameReferences } from './name-references.js';
import type { QualifiedName } from './object-name.js';

/** A column declared in DDL whose Snowflake type DuckDB's type does not capture (kept as a column comment). */
export interface DeclaredColumn {
  readonly column: string;
  readonly snowflakeType: string;
}

/** A stage reference: `@name[/path]`, `@%table[/path]` or `@~[/path]`. */
export interface StageRef {
  readonly kind: 'named' | 'table' | 'user';
  /** For named stages the stage name parts; for table stages the table name parts; empty for the user stage. */
  readonly name: readonly string[];
  /** Path inside the stage, without a leading slash ('' for the root). */
  readonly path: string;
  /** The reference as written, for messages. */
  readonly text: string;
}

/** Snowflake's statement type ids (what snowflake-sdk's getNumUpdatedRows() reads). */
export const StatementTypeId = {
  SELECT: 0x1000,
  DML: 0x3000,
  INSERT: 0x3100,
  UPDATE: 0x3200,
  DELETE: 0x3300,
  MERGE: 0x3400,
  COPY: 0x3000,
  SCL: 0x4000,
  ALTER_SESSION: 0x4100,
  USE: 0x4300,
  TCL: 0x5000,
  DDL: 0x6000,
  PUT: 0x7100,
  GET: 0x7200,
  LIST: 0x7300,
  REMOVE: 0x7400,
} as const;

/** One statement, translated and classified, ready for the executor. */
export type StatementPlan =
  | {
      readonly kind: 'query';
      readonly sql: string;
      /** Would this statement resume a warehouse in Snowflake? */
      readonly compute: boolean;
      /** Upper-cased words of the statement, to find which tables a result column may come from. */
      readonly words: readonly string[];
      /** The names it uses, checked with Snowflake's case rules before it runs. */
      readonly names?: NameReferences;
    }
  | {
      readonly kind: 'insert';
      readonly sql: string;
      readonly overwriteTarget: string | undefined;
      readonly target: string;
      /** The table written, resolved (its declared VARCHAR lengths are checked); undefined when unresolvable. */
      readonly written: QualifiedName | undefined;
      readonly names?: NameReferences;
    }
  | {
      readonly kind: 'update';
      readonly sql: string;
      readonly written: QualifiedName | undefined;
      readonly names?: NameReferences;
    }
  | { readonly kind: 'delete'; readonly sql: string; readonly names?: NameReferences }
  | {
      readonly kind: 'merge';
      readonly sql: string;
      readonly duplicateCheckSql: string | undefined;
      readonly clauses: { readonly insert: boolean; readonly update: boolean; readonly delete: boolean };
      readonly written: QualifiedName | undefined;
      readonly names?: NameReferences;
    }
  | {
      readonly kind: 'create-table';
      readonly target: QualifiedName;
      readonly steps: readonly string[];
      readonly orReplace: boolean;
      readonly ifNotExists: boolean;
      readonly temporary: boolean;
      readonly transient: boolean;
      readonly declared: readonly DeclaredColumn[];
      /** COMMENTs given in the statement (column `COMMENT '…'`, table `COMMENT = '…'`). */
      readonly comments: readonly CommentChange[];
      readonly compute: boolean;
      /** COPY GRANTS: a replaced table's grants carry over to the new one. */
      readonly copyGrants: boolean;
      /** The names the AS query uses. */
      readonly names?: NameReferences;
    }
  | {
      readonly kind: 'create-view';
      readonly target: QualifiedName;
      readonly sql: string;
      readonly ifNotExists: boolean;
      readonly orReplace: boolean;
      /** COPY GRANTS: a replaced view's grants carry over to the new one. */
      readonly copyGrants: boolean;
      /** The names the AS query uses. */
      readonly names?: NameReferences;
    }
  | {
      /** GRANT / REVOKE a privilege on a table or view to / from a role. */
      readonly kind: 'grant';
      readonly action: 'grant' | 'revoke';
      readonly privileges: readonly string[];
      readonly objectType: 'TABLE' | 'VIEW';
      readonly target: QualifiedName;
      readonly grantee: string;
    }
  | {
      /** SHOW GRANTS ON TABLE | VIEW name. */
      readonly kind: 'show-grants';
      readonly objectType: 'TABLE' | 'VIEW';
      readonly target: QualifiedName;
    }
  | {
      readonly kind: 'create-database';
      readonly name: string;
      readonly orReplace: boolean;
      readonly ifNotExists: boolean;
      readonly transient: boolean;
    }
  | {
      readonly kind: 'create-schema';
      readonly database: string;
      readonly schema: string;
      readonly orReplace: boolean;
      readonly ifNotExists: boolean;
    }
  | {
      readonly kind: 'drop';
      readonly objectType: 'TABLE' | 'VIEW' | 'SCHEMA' | 'DATABASE' | 'STAGE' | 'FILE FORMAT';
      /** Name parts as written (resolved by the executor, which knows the catalog). */
      readonly name: readonly string[];
      readonly ifExists: boolean;
    }
  | { readonly kind: 'truncate'; readonly target: QualifiedName; readonly ifExists: boolean }
  | {
      readonly kind: 'alter-table';
      readonly target: QualifiedName;
      readonly ifExists: boolean;
      readonly action:
        | {
            readonly type: 'steps';
            readonly steps: readonly string[];
            readonly declared: readonly DeclaredColumn[];
            /** Comment changes the statement makes (set, unset, dropped or renamed columns). */
            readonly comments: readonly CommentChange[];
          }
        | { readonly type: 'rename'; readonly to: QualifiedName }
        | { readonly type: 'swap'; readonly with: QualifiedName }
        | { readonly type: 'noop' };
    }
  | {
      /** `COMMENT [IF EXISTS] ON TABLE|VIEW|COLUMN name IS '…'`. */
      readonly kind: 'comment';
      readonly objectType: 'TABLE' | 'VIEW' | 'COLUMN';
      readonly target: QualifiedName;
      readonly column: string | undefined;
      readonly text: string;
      readonly ifExists: boolean;
    }
  | {
      readonly kind: 'alter-view-rename';
      readonly target: QualifiedName;
      readonly to: QualifiedName;
      readonly ifExists: boolean;
    }
  | {
      readonly kind: 'use';
      readonly target: 'DATABASE' | 'SCHEMA' | 'WAREHOUSE' | 'ROLE' | 'SECONDARY ROLES' | 'ANY';
      readonly name: readonly string[];
    }
  | {
      readonly kind: 'alter-session';
      readonly set: ReadonlyMap<string, FormatValue>;
      readonly unset: readonly string[];
    }
  | { readonly kind: 'transaction'; readonly action: 'begin' | 'commit' | 'rollback' }
  | {
      readonly kind: 'show';
      readonly what:
        | 'TABLES'
        | 'VIEWS'
        | 'SCHEMAS'
        | 'DATABASES'
        | 'WAREHOUSES'
        | 'STAGES'
        | 'COLUMNS'
        | 'OBJECTS'
        | 'FILE FORMATS'
        | 'PARAMETERS';
      readonly terse: boolean;
      readonly like: string | undefined;
      readonly startsWith: string | undefined;
      readonly limit: number | undefined;
      readonly scope: {
        readonly kind: 'ACCOUNT' | 'DATABASE' | 'SCHEMA' | 'TABLE' | 'VIEW' | 'DEFAULT';
        readonly name: readonly string[];
      };
    }
  | { readonly kind: 'describe'; readonly objectType: 'TABLE' | 'VIEW' | 'STAGE'; readonly name: readonly string[] }
  | {
      readonly kind: 'noop';
      readonly status: string;
      readonly statementTypeId: number;
      readonly compute?: boolean;
      /** CREATE WAREHOUSE: the name, so SHOW WAREHOUSES lists it. */
      readonly warehouse?: string;
    }
  | { readonly kind: 'wait'; readonly seconds: number; readonly columnName: string }
  | {
      readonly kind: 'create-stage';
      readonly name: readonly string[];
      readonly orReplace: boolean;
      readonly ifNotExists: boolean;
      readonly temporary: boolean;
      readonly fileFormat: FileFormatSpec | undefined;
    }
  | {
      readonly kind: 'create-file-format';
      readonly name: readonly string[];
      readonly orReplace: boolean;
      readonly ifNotExists: boolean;
      readonly temporary: boolean;
      readonly options: ReadonlyMap<string, FormatValue>;
    }
  | {
      readonly kind: 'put';
      /** The local file path (or glob) as written after `file://`. */
      readonly source: string;
      readonly stage: StageRef;
      readonly autoCompress: boolean;
      /** Lower-case, as Snowflake returns it: auto_detect, gzip, none, … */
      readonly sourceCompression: string;
      readonly parallel: number;
      readonly overwrite: boolean;
    }
  | { readonly kind: 'get'; readonly stage: StageRef; readonly target: string; readonly pattern: string | undefined }
  | { readonly kind: 'list'; readonly stage: StageRef; readonly pattern: string | undefined }
  | { readonly kind: 'remove'; readonly stage: StageRef; readonly pattern: string | undefined }
  | {
      readonly kind: 'copy-into';
      readonly target: QualifiedName;
      readonly columns: readonly string[] | undefined;
      readonly stage: StageRef;
      /**
       * Expressions of a transforming COPY (`SELECT $1, PARSE_JSON($2) FROM @s`), already in DuckDB SQL over c1…cn
       * (and `METADATA$FILENAME` / `METADATA$FILE_ROW_NUMBER`, as the scratch columns named in copy-loader.ts).
       */
      readonly transform: readonly string[] | undefined;
      /** The highest `$n` the transform reads (a field past the end of a record reads as NULL). */
      readonly transformWidth: number;
      readonly files: readonly string[] | undefined;
      readonly pattern: string | undefined;
      readonly fileFormat: FileFormatSpec | undefined;
      readonly onError: 'ABORT_STATEMENT' | 'CONTINUE' | 'SKIP_FILE';
      readonly purge: boolean;
      readonly force: boolean;
    };

/** The plan of one statement kind: `PlanOf<'merge'>`. */
export type PlanOf<K extends StatementPlan['kind']> = Extract<StatementPlan, { readonly kind: K }>;
