import { describe, expect, test } from 'vitest';
import { mapDuckDbError } from './duckdb-errors.js';
import { SnowflakeEmulatorError } from './emulator-error.js';

const context = { database: 'DB', schema: 'S' };

/**
 * DuckDB's first error lines (as @duckdb/node-api 1.5 words them, plus the older wordings the rules also accept)
 * and the Snowflake error each becomes: [DuckDB message, code, SQLSTATE, message].
 */
const CASES: readonly (readonly [string, string, string, string])[] = [
  // a missing table or view, completed from the session's database and schema
  [
    'Catalog Error: Table with name nope does not exist!\nDid you mean "nope2"?',
    '002003',
    '42S02',
    "SQL compilation error:\nObject 'DB.S.nope' does not exist or not authorized.",
  ],
  [
    'Catalog Error: Table with name "nos.nope" does not exist because schema "nos" does not exist.',
    '002003',
    '42S02',
    "SQL compilation error:\nObject 'DB.nos.nope' does not exist or not authorized.",
  ],
  [
    'Catalog Error: Table with name "DB.S.T" does not exist!',
    '002003',
    '42S02',
    "SQL compilation error:\nObject 'DB.S.T' does not exist or not authorized.",
  ],
  [
    'Catalog Error: View with name V does not exist!',
    '002003',
    '42S02',
    "SQL compilation error:\nObject 'DB.S.V' does not exist or not authorized.",
  ],
  [
    'Catalog Error: Table "T" does not exist',
    '002003',
    '42S02',
    "SQL compilation error:\nObject 'DB.S.T' does not exist or not authorized.",
  ],
  // a missing schema
  [
    'Catalog Error: Schema with name nos does not exist!',
    '002003',
    '02000',
    "SQL compilation error:\nSchema 'DB.nos' does not exist or not authorized.",
  ],
  [
    'Catalog Error: Schema with name "NOS" does not exist!',
    '002003',
    '02000',
    "SQL compilation error:\nSchema 'DB.NOS' does not exist or not authorized.",
  ],
  // an unknown function, of any kind
  [
    'Catalog Error: Scalar Function with name nofn does not exist!\nDid you mean "nvl"?',
    '002140',
    '42601',
    'SQL compilation error:\nUnknown function NOFN',
  ],
  [
    'Catalog Error: Aggregate Function with name agg_nope does not exist!',
    '002140',
    '42601',
    'SQL compilation error:\nUnknown function AGG_NOPE',
  ],
  [
    'Catalog Error: Table Function with name nofn_table does not exist!',
    '002140',
    '42601',
    'SQL compilation error:\nUnknown function NOFN_TABLE',
  ],
  [
    'Catalog Error: Function with name fn2 does not exist!',
    '002140',
    '42601',
    'SQL compilation error:\nUnknown function FN2',
  ],
  // a missing database (DuckDB catalog)
  [
    'Binder Error: Catalog "nodb" does not exist!',
    '002003',
    '02000',
    "SQL compilation error:\nDatabase 'nodb' does not exist or not authorized.",
  ],
  [
    'Catalog Error: Catalog with name NODB does not exist!',
    '002003',
    '02000',
    "SQL compilation error:\nDatabase 'NODB' does not exist or not authorized.",
  ],
  // already exists
  [
    'Catalog Error: Table with name "t" already exists!',
    '002002',
    '42710',
    "SQL compilation error:\nObject 't' already exists.",
  ],
  [
    'Catalog Error: View with name "v" already exists!',
    '002002',
    '42710',
    "SQL compilation error:\nObject 'v' already exists.",
  ],
  // an unknown column or table alias
  [
    'Binder Error: Referenced column "zz" not found in FROM clause!',
    '000904',
    '42000',
    "SQL compilation error: error line 1 at position 0\ninvalid identifier 'zz'",
  ],
  [
    'Binder Error: Column with name ZZ does not exist!',
    '000904',
    '42000',
    "SQL compilation error: error line 1 at position 0\ninvalid identifier 'ZZ'",
  ],
  [
    'Binder Error: Referenced table "t2" not found!',
    '000904',
    '42000',
    "SQL compilation error: error line 1 at position 0\ninvalid identifier 't2'",
  ],
  // conversions: numbers (DuckDB quotes the value with " or '), dates, timestamps
  [
    'Conversion Error: Could not convert string "abc" to DECIMAL(10,2)',
    '100038',
    '22018',
    "Numeric value 'abc' is not recognized",
  ],
  [
    'Conversion Error: Could not convert string "abc" to INT',
    '100038',
    '22018',
    "Numeric value 'abc' is not recognized",
  ],
  [
    'Conversion Error: Could not convert string "X:{"n": 1e400}" to DECIMAL(38,0)',
    '100038',
    '22018',
    `Numeric value 'X:{"n": 1e400}' is not recognized`,
  ],
  [
    'Conversion Error: SF_INPUT_FORMAT_MISMATCH:DATE:2024-01-02',
    '100040',
    '22007',
    "Date '2024-01-02' is not recognized",
  ],
  [
    "Conversion Error: Could not convert string 'abc' to INT32",
    '100038',
    '22018',
    "Numeric value 'abc' is not recognized",
  ],
  [
    "Conversion Error: Could not convert string 'abc' to DOUBLE",
    '100038',
    '22018',
    "Numeric value 'abc' is not recognized",
  ],
  [
    'Conversion Error: invalid date field format: "abc", expected format is (YYYY-MM-DD)',
    '100040',
    '22007',
    "Date 'abc' is not recognized",
  ],
  [
    'Conversion Error: date field value out of range: "2024-13-45"',
    '100040',
    '22007',
    "Date '2024-13-45' is not recognized",
  ],
  ["Conversion Error: Could not convert string 'x' to DATE", '100040', '22007', "Date 'x' is not recognized"],
  [
    'Conversion Error: invalid timestamp field format: "abc", expected format is (YYYY-MM-DD HH:MM:SS[.US][±HH[:MM[:SS]]| ZONE])',
    '100035',
    '22007',
    'Timestamp value is not recognized: Conversion Error: invalid timestamp field format: "abc", expected format is (YYYY-MM-DD HH:MM:SS[.US][±HH[:MM[:SS]]| ZONE])',
  ],
  [
    'Conversion Error: timestamp field value out of range: "2024-01-01 99:00"',
    '100035',
    '22007',
    'Timestamp value is not recognized: Conversion Error: timestamp field value out of range: "2024-01-01 99:00"',
  ],
  [
    "Conversion Error: Could not convert string 'x' to TIMESTAMP",
    '100035',
    '22007',
    "Timestamp value is not recognized: Conversion Error: Could not convert string 'x' to TIMESTAMP",
  ],
  // division by zero (the SF_DIVISOR macro's error)
  ['Invalid Input Error: SF_DIVISION_BY_ZERO', '100051', '22012', 'Division by zero'],
  // constraints and ranges
  ['Constraint Error: NOT NULL constraint failed: t.a', '100072', '22000', 'NULL result in a non-nullable column'],
  [
    'Out of Range Error: Overflow in addition of INT32 (2147483647 + 1)!',
    '100046',
    '22003',
    'Number out of representable range: Out of Range Error: Overflow in addition of INT32 (2147483647 + 1)!',
  ],
  [
    "Conversion Error: Type INT64 with value 99999999999 can't be cast because the value is out of range for the destination type INT32",
    '100046',
    '22003',
    "Number out of representable range: Conversion Error: Type INT64 with value 99999999999 can't be cast because the value is out of range for the destination type INT32",
  ],
  // syntax
  [
    'Parser Error: syntax error at or near "selec"',
    '001003',
    '42000',
    "SQL compilation error:\nsyntax error line 1 at position 0 unexpected 'selec'.",
  ],
  [
    'Parser Error: syntax error at end of input',
    '001003',
    '42000',
    "SQL compilation error:\nsyntax error line 1 at position 0 unexpected '<EOF>'.",
  ],
  // transactions
  [
    'TransactionContext Error: Current transaction is aborted (please ROLLBACK)',
    '000603',
    'XX000',
    'The open transaction was aborted by an earlier failed statement. Unlike Snowflake, the emulator (DuckDB) cannot keep a transaction open after a statement fails: run ROLLBACK and start again.',
  ],
  [
    'TransactionContext Error: Catalog write-write conflict on alter with "T"',
    '000625',
    '57014',
    'Statement reached its concurrency limit or hit a conflicting change: TransactionContext Error: Catalog write-write conflict on alter with "T"',
  ],
  [
    'TransactionContext Error: Conflict on tuple deletion!',
    '000625',
    '57014',
    'Statement reached its concurrency limit or hit a conflicting change: TransactionContext Error: Conflict on tuple deletion!',
  ],
  // other binder and catalog errors keep DuckDB's text under 002003
  [
    'Catalog Error: SET schema: No catalog + schema named "nodb" found.',
    '002003',
    '42000',
    'SQL compilation error:\nSET schema: No catalog + schema named "nodb" found.',
  ],
  [
    'Binder Error: Table "t" does not have a column with name "zz"',
    '002003',
    '42000',
    'SQL compilation error:\nTable "t" does not have a column with name "zz"',
  ],
  [
    'Binder Error: Referenced update column zz not found in table!',
    '002003',
    '42000',
    'SQL compilation error:\nReferenced update column zz not found in table!',
  ],
  [
    'Binder Error: column b must appear in the GROUP BY clause or be used in an aggregate function',
    '002003',
    '42000',
    'SQL compilation error:\ncolumn b must appear in the GROUP BY clause or be used in an aggregate function',
  ],
  [
    'Catalog Error: Schema with name "s" already exists!',
    '002003',
    '42000',
    'SQL compilation error:\nSchema with name "s" already exists!',
  ],
  // anything else: DuckDB's first line under 000603
  [
    'IO Error: Could not set lock on file "x.duckdb"',
    '000603',
    'XX000',
    'SQL execution error: IO Error: Could not set lock on file "x.duckdb"',
  ],
  [
    'Invalid Input Error: something odd\nsecond line',
    '000603',
    'XX000',
    'SQL execution error: Invalid Input Error: something odd',
  ],
];

describe('mapDuckDbError', () => {
  test.each(CASES)('%s', (duckdbMessage, code, sqlState, message) => {
    const cause = new Error(duckdbMessage);
    const mapped = mapDuckDbError(cause, context);
    expect(mapped).toBeInstanceOf(SnowflakeEmulatorError);
    expect({ code: mapped.snowflakeCode, sqlState: mapped.sqlState, message: mapped.message }).toEqual({
      code,
      sqlState,
      message,
    });
    expect(mapped.code).toBe('SQL_ERROR');
    expect(mapped.cause).toBe(cause);
  });

  test('completes an object name from what the session has, leaving missing parts empty', () => {
    const unqualified = new Error('Catalog Error: Table with name T does not exist!');
    expect(mapDuckDbError(unqualified, { database: null, schema: null }).message).toBe(
      "SQL compilation error:\nObject '..T' does not exist or not authorized.",
    );
    const schemaQualified = new Error('Catalog Error: Table with name S2.T does not exist!');
    expect(mapDuckDbError(schemaQualified, { database: 'DB', schema: null }).message).toBe(
      "SQL compilation error:\nObject 'DB.S2.T' does not exist or not authorized.",
    );
    expect(mapDuckDbError(schemaQualified, { database: null, schema: null }).message).toBe(
      "SQL compilation error:\nObject '.S2.T' does not exist or not authorized.",
    );
    const schema = new Error('Catalog Error: Schema with name S2 does not exist!');
    expect(mapDuckDbError(schema, { database: null, schema: null }).message).toBe(
      "SQL compilation error:\nSchema '.S2' does not exist or not authorized.",
    );
  });

  test('keeps an emulator error as it is, and reads a thrown non-Error as text', () => {
    const own = SnowflakeEmulatorError.unsupported('PIVOT');
    expect(mapDuckDbError(own, context)).toBe(own);
    const fromText = mapDuckDbError('plain string', context);
    expect([fromText.snowflakeCode, fromText.sqlState, fromText.message]).toEqual([
      '000603',
      'XX000',
      'SQL execution error: plain string',
    ]);
  });
});
