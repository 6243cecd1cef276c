import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckDbDialect, duckDbTableDialect, planLoad } from '@sluice/duckdb';
import { compileProject, loadProject, type CompileResult } from '@sluice/models';
import type { SourceColumn, SourceTable } from '@sluice/pg-extract';
import { snowflakeDialect, snowflakeTableDialect } from '@sluice/snowflake';
import { createTempDir, describeGoldenSql, goldenScript } from '@sluice/testing';
import {
  columnComment,
  planEnsureTable,
  tableComment,
  warehouseTable,
  type LogicalType,
  type TableSchema,
  type WarehouseTable,
} from '@sluice/warehouse';
import { proposeTable } from './propose-table.js';
import { renderInitFiles } from './render-init-files.js';

// A table whose every name needs quoting — spaces, capitals, an embedded double quote, Unicode, SQL keywords — as
// each engine writes it: the raw table's DDL and load on DuckDB and Snowflake, and the staging model init generates,
// compiled for each. Pinned in __golden__/odd-names-*.sql; rewrite after an intended change with
// UPDATE_GOLDEN=1 npx vitest run packages/pipeline/src/odd-names-golden.test.ts
const goldenDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '__golden__');

const COLUMNS: readonly [string, LogicalType, boolean][] = [
  ['Order ID', { kind: 'bigint' }, false],
  ['order', { kind: 'integer' }, false],
  ['user', { kind: 'text' }, true],
  ['select', { kind: 'text' }, true],
  ['group', { kind: 'text' }, true],
  ['CustomerCode', { kind: 'text' }, true],
  ['Preço Unitário', { kind: 'decimal', precision: 10, scale: 2 }, false],
  ['Status "quoted"', { kind: 'text' }, true],
  ['Updated At', { kind: 'timestamptz' }, false],
];

const source: SourceTable = {
  schema: 'Loja Sul',
  name: 'Customer Orders',
  kind: 'r',
  primaryKey: ['Order ID'],
  estimatedRows: 50_000,
  pages: 600,
  columns: COLUMNS.map(
    ([name, logical, nullable]): SourceColumn => ({
      name,
      pgType: logical.kind,
      nullable,
      info: { typname: logical.kind, typtype: 'b', typmod: -1 },
      logical,
      ...(name === 'Order ID' ? { autoIncrement: 'identity' as const } : {}),
    }),
  ),
};

const raw: TableSchema = {
  schema: 'raw',
  name: 'Customer Orders',
  primaryKey: ['Order ID'],
  columns: COLUMNS.map(([name, type, nullable]) => ({ name, type, nullable })),
};

/** The raw table as DuckDB's catalog describes it once created (for the load plan). */
const existing: WarehouseTable = warehouseTable(
  { schema: raw.schema, name: raw.name, kind: 'table', comment: tableComment(raw.primaryKey) },
  [
    ...raw.columns.map((c) => ({
      name: c.name,
      storage: duckDbDialect.typeName(c.type),
      comment: columnComment(c),
      nullable: true,
    })),
    { name: '_sluice_synced_at', storage: 'TIMESTAMP WITH TIME ZONE', comment: null, nullable: true },
  ],
  duckDbTableDialect,
);

describe('names of every spelling, as each engine writes them', () => {
  let dir: { path: string; remove(): Promise<void> };
  let duck: CompileResult;
  let snow: CompileResult;
  beforeAll(async () => {
    dir = await createTempDir('sluice-odd-names-');
    const proposal = proposeTable(source, {
      rows: 50_000,
      activity: { inserted: 50_000, updated: 10, deleted: 0 },
    });
    const files = renderInitFiles({
      name: 'names',
      sourceName: 'loja',
      url: 'postgres://app@db/loja',
      schema: 'Loja Sul',
      tables: [proposal],
      from: 'postgres://app@db/loja',
    });
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir.path, file)), { recursive: true });
      await writeFile(path.join(dir.path, file), text);
    }
    const { project, errors } = await loadProject(dir.path);
    expect(errors).toEqual([]);
    const target = { name: 'dev', type: 'duckdb', schema: 'analytics' };
    duck = compileProject(project, { target, dialect: duckDbDialect });
    snow = compileProject(project, { target: { ...target, type: 'snowflake' }, dialect: snowflakeDialect });
  });
  afterAll(() => dir?.remove());

  const compiled = (result: CompileResult) =>
    [...result.nodes.entries()]
      .filter(([id]) => !id.startsWith('source.'))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, node]) => `-- ${id}\n${node.sql.trim()}`);

  it('compiles the generated staging model and its key tests without errors on both engines', () => {
    expect(duck.errors).toEqual([]);
    expect(snow.errors).toEqual([]);
  });

  describeGoldenSql(goldenDir, {
    'odd-names-duckdb.sql': () =>
      goldenScript([
        ...planEnsureTable(undefined, raw, { softDelete: false }, duckDbTableDialect).statements,
        ...planLoad(
          {
            table: raw,
            files: [{ path: '/data/chunks/Customer_Orders-00001.csv', rows: 1000, bytes: 65536, format: 'csv' }],
            columns: raw.columns.map((c) => c.name),
            mode: 'merge',
            distinctKeys: true,
            tag: 'sluice run r1 table raw.Customer Orders',
          },
          existing,
        ).steps.map((step) => `-- ${step.role}\n${step.sql}`),
        ...compiled(duck),
      ]),
    'odd-names-snowflake.sql': () =>
      goldenScript([
        ...planEnsureTable(undefined, raw, { softDelete: false }, snowflakeTableDialect).statements,
        ...compiled(snow),
      ]),
  });
});
