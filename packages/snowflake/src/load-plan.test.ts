import { validateLoad as validateForAnyEngine, type LoadRequest, type WarehouseTable } from '@sluice/warehouse';
import { describe, expect, it } from 'vitest';
import { chunk, existingVendas, vendas } from './__tests__/vendas-fixture.js';
import { planLoad, type LoadContext } from './load-plan.js';
import { snowflakeTableDialect } from './snowflake-table-dialect.js';

// The shared check of @sluice/warehouse, with Snowflake's table dialect.
const validateLoad = (request: LoadRequest, table: WarehouseTable) =>
  validateForAnyEngine(request, table, snowflakeTableDialect);

const context: LoadContext = {
  stage: '"RAW"."S"',
  tablePath: 'vendas/',
  loadPath: 'vendas/x/',
  localDir: '/tmp/x',
  syncedAt: '2024-01-01T00:00:00.000000+00:00',
  parallel: 4,
};
const columns = vendas.columns.map((c) => c.name);
const request = (extra: Partial<LoadRequest>): LoadRequest => ({
  table: vendas,
  files: [chunk('a.csv')],
  columns,
  mode: 'merge',
  ...extra,
});

describe('planLoad', () => {
  it('refuses requests that do not fit the table', () => {
    const invalid = (extra: Partial<LoadRequest>) =>
      expect(() => validateLoad(request(extra), existingVendas)).toThrow(
        expect.objectContaining({ code: 'INVALID_LOAD_REQUEST' }),
      );
    invalid({ columns: [...columns, 'nope'] });
    invalid({ columns: columns.filter((c) => c !== 'id_vendas') });
    invalid({ table: { ...vendas, primaryKey: [] } });
    invalid({ newestBy: ['nope'] });
    invalid({ mode: 'append', deletes: { mode: 'delete', files: [chunk('d.csv')] } });
    expect(() => validateLoad(request({}), { ...existingVendas, kind: 'view' })).toThrow(/is a view/);
    const withoutDeletedAt = {
      ...existingVendas,
      columns: existingVendas.columns.filter((c) => c.name !== '_SLUICE_DELETED_AT'),
    };
    expect(() =>
      validateLoad(request({ deletes: { mode: 'mark', files: [chunk('d.csv')] } }), withoutDeletedAt),
    ).toThrow(/softDelete/);
  });

  it('has nothing to do without files, except a replace, which empties the table', () => {
    expect(planLoad(request({ files: [] }), existingVendas, [], context).steps).toEqual([]);
    expect(planLoad(request({ files: [], mode: 'replace' }), existingVendas, [], context).steps).toEqual([
      { role: 'apply', statements: ['DELETE FROM "RAW"."VENDAS"'] },
    ]);
  });

  it('runs the same statements whatever the number of rows, and one PUT per upload file', () => {
    const files = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ name: `data-${i}.csv.gz`, kind: 'data' as const, rows: 1_000_000 }));
    const count = (n: number, distinctKeys: boolean) =>
      planLoad(request({ distinctKeys }), existingVendas, files(n), context).steps.reduce(
        (sum, s) => sum + s.statements.length,
        0,
      );
    // As the pipeline loads (rows from one snapshot: each key once).
    expect(count(1, true)).toBe(6);
    // snowflake-sdk uploads the files of one PUT one after another: a PUT per file, sent four at once
    expect(count(40, true)).toBe(5 + 40);
    // A batch whose keys may repeat also counts its keys (MERGE reports only the rows it writes).
    expect(count(1, false)).toBe(7);
    expect(count(40, false)).toBe(6 + 40);
    const upload = planLoad(request({}), existingVendas, files(2), context).steps.find((s) => s.role === 'upload');
    expect(upload?.statements.map((sql) => sql.split(' ')[1])).toEqual([
      "'file:///tmp/x/data-0.csv.gz'",
      "'file:///tmp/x/data-1.csv.gz'",
    ]);
  });
});
