import { describe, expect, it } from 'vitest';
import { quoteIdentifier, quoteLiteral } from './sql.js';
import type { SqlDialect } from './warehouse.js';
import { parseStateRows, stateReadStatement, stateToken, stateWriteStatements } from './warehouse-state.js';

const dialect = {
  quoteIdentifier,
  qualify: (r: { schema: string; name: string }) => `${quoteIdentifier(r.schema)}.${quoteIdentifier(r.name)}`,
  typeName: (t: { kind: string }) => t.kind.toUpperCase(),
  castToText: (e: string) => `CAST(${e} AS VARCHAR)`,
} as unknown as SqlDialect;

describe('the state table statements', () => {
  it('writes per namespace one DELETE of the keys and one INSERT of the new values; null removes', () => {
    const statements = stateWriteStatements(dialect, {
      schema: 'raw',
      runId: 'run-1',
      writes: [
        { namespace: 'ingest', key: 'public.vendas', value: { cursor: ["it's", '1'] }, version: 4 },
        { namespace: 'ingest', key: 'public.gone', value: null, version: 2 },
      ],
    });
    expect(statements).toEqual([
      `DELETE FROM "raw"."_sluice_state"\nWHERE "namespace" = 'ingest' AND "state_key" IN ('public.vendas', 'public.gone')`,
      `INSERT INTO "raw"."_sluice_state" ("namespace", "state_key", "state_value", "version", "run_id", "written_at")\nVALUES\n  ('ingest', 'public.vendas', ${quoteLiteral(JSON.stringify({ cursor: ["it's", '1'] }))}, 4, 'run-1', CURRENT_TIMESTAMP)`,
    ]);
    // The engine's own literal when it has one (Snowflake doubles backslashes).
    const escaped = stateWriteStatements(
      { ...dialect, stringLiteral: (v: string) => `'${v.replaceAll('\\', '\\\\').replaceAll("'", "''")}'` },
      { schema: 'raw', runId: 'r', writes: [{ namespace: 'n', key: 'k', value: { path: 'a\\b' }, version: 1 }] },
    );
    expect(escaped[1]).toContain(`'{"path":"a\\\\\\\\b"}'`);
  });

  it('refuses malformed writes before any SQL', () => {
    const write = { namespace: 'ingest', key: 'k', value: { a: '1' }, version: 1 };
    const bad = (w: object) => () =>
      stateWriteStatements(dialect, { schema: 'raw', runId: 'r', writes: [w as typeof write] });
    expect(bad({ ...write, version: 0 })).toThrow(/version .* positive integer/);
    expect(bad({ ...write, key: '' })).toThrow(/non-empty/);
    expect(() =>
      stateWriteStatements(dialect, { schema: 'raw', runId: 'r', writes: [write, { ...write, version: 2 }] }),
    ).toThrow(/written twice/);
    expect(bad({ ...write, value: ['not', 'an object'] })).toThrow(/JSON object/);
  });

  it('reads one namespace; rows parse into entries, the highest version of a key winning', () => {
    expect(stateReadStatement(dialect, 'raw', 'ingest')).toContain(`WHERE "namespace" = 'ingest'`);
    const rows = [
      { namespace: 'ingest', state_key: 'b', state_value: '{"x":1}', version: '2', run_id: 'r2', written_at: 't' },
      { namespace: 'ingest', state_key: 'b', state_value: '{"x":0}', version: 1, run_id: 'r1', written_at: 't' },
      { namespace: 'ingest', state_key: 'a', state_value: '{}', version: 7, run_id: 'r7', written_at: 't' },
    ];
    expect(parseStateRows(rows, 'raw._sluice_state').map((e) => [e.key, e.version, e.value])).toEqual([
      ['a', 7, {}],
      ['b', 2, { x: 1 }],
    ]);
    expect(() => parseStateRows([{ ...rows[0], state_value: '[1]' }], 'raw._sluice_state')).toThrow(
      /not a JSON object/,
    );
  });

  it('tokens name the versions held, not the values, whatever the order', () => {
    const a = { namespace: 'ingest', key: 'a', version: 1 };
    const b = { namespace: 'ingest', key: 'b', version: 2 };
    expect(stateToken([a, b])).toBe(stateToken([b, a]));
    expect(stateToken([a, b])).not.toBe(stateToken([a, { ...b, version: 3 }]));
    expect(stateToken([])).not.toBe(stateToken([a]));
  });
});
