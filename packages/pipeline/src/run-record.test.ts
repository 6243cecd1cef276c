import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NodeResult, RunResult } from '@sluice/models';
import type { RunRecord } from '@sluice/watermark';
import { describe, expect, it } from 'vitest';
import type { BuildResult } from './build-models.js';
import type { IngestResult, TableResult } from './ingest.js';
import {
  buildRunRecord,
  endRunRecord,
  parseRunDetail,
  readRunRecord,
  RUN_RECORD_VERSION,
  runOutcomeDetail,
  RunRecordError,
  type RunDetail,
} from './run-record.js';

const FIXTURES = fileURLToPath(new URL('./__fixtures__/run-records/', import.meta.url));

/** A stored run as the state stores hand it back (dates revived, detail as JSON). */
function fixture(name: string): RunRecord {
  const raw = JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as RunRecord & {
    startedAt: string;
    endedAt?: string;
  };
  return {
    ...raw,
    startedAt: new Date(raw.startedAt),
    ...(raw.endedAt ? { endedAt: new Date(raw.endedAt) } : {}),
  };
}

/** What the state store does to a detail: JSON out, JSON in. */
function stored(record: RunRecord): unknown {
  return JSON.parse(JSON.stringify(record.detail));
}

function problemsOf(work: () => unknown): readonly string[] {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(RunRecordError);
    return (error as RunRecordError).problems;
  }
  throw new Error('expected a RunRecordError');
}

const table: TableResult = {
  table: 'vendas',
  strategy: 'upsert',
  status: 'success',
  rows: 120,
  bytes: 9000,
  lateRows: 0,
  inserted: 100,
  updated: 20,
  deleted: 3,
  seconds: 1.23456,
  window: { from: null, to: ['2024-05-01 00:00:00+00', '7'] },
  schemaChanges: { created: false, addedColumns: [], widenedColumns: [], droppedColumns: [] },
  warehouseStatements: 6,
  uploadedBytes: 0,
};

function node(fields: Partial<NodeResult> & Pick<NodeResult, 'id' | 'name' | 'kind' | 'status'>): NodeResult {
  return { message: `${fields.status}`, file: 'models/x.sql', elapsedMs: 250, ...fields };
}

describe('the run record', () => {
  it('round-trips: what the builder writes, the state store keeps as JSON and the parser reads back the same', () => {
    const detail: Omit<RunDetail, 'version'> = {
      command: 'run',
      scope: { steps: ['ingest', 'build'], runTests: 'after-each-model', tables: ['vendas'], select: ['fct_vendas+'] },
      attempts: { ingest: 2, build: 1 },
      tables: [
        {
          table: 'vendas',
          strategy: 'upsert',
          status: 'failed',
          rows: 0,
          bytes: 0,
          inserted: 0,
          updated: 0,
          deleted: 0,
          seconds: 0.5,
          warehouseStatements: 0,
          uploadedBytes: 0,
          notes: ['raw.vendas is not in the warehouse (dropped, or a new warehouse): loading it from the start'],
          error: { code: 'COLUMN_NOT_FOUND', message: 'column "x" does not exist' },
        },
      ],
      models: [{ name: 'fct_vendas', kind: 'model', status: 'success', seconds: 2.5, message: 'table created' }],
      tests: [
        {
          name: 'unique_fct_vendas_id',
          model: 'fct_vendas',
          status: 'fail',
          severity: 'error',
          failures: 2,
          seconds: 0.1,
          message: '2 failing rows',
        },
      ],
      lineagePage: '/srv/novadrive/target/docs/index.html',
      error: { code: 'TABLES_FAILED', message: 'vendas: column "x" does not exist' },
    };
    const record = buildRunRecord({
      id: 'r1',
      trigger: 'cli',
      status: 'failed',
      startedAt: new Date('2024-05-01T06:00:00Z'),
      endedAt: new Date('2024-05-01T06:01:00Z'),
      detail,
    });
    expect(record.detail.version).toBe(RUN_RECORD_VERSION);
    expect(parseRunDetail(stored(record), record.id)).toEqual({ version: RUN_RECORD_VERSION, ...detail });
    expect(readRunRecord(record)).toEqual({ ...record, detail: { version: RUN_RECORD_VERSION, ...detail } });
  });

  it('is built from the steps’ results: per table counts, per model and test status, and the model a test is on', () => {
    const ingest: IngestResult = { runId: 'r1', status: 'success', tables: [table], seconds: 1.3 };
    const results = [
      node({ id: 'model.p.fct_vendas', name: 'fct_vendas', kind: 'model', status: 'success', elapsedMs: 1234.56 }),
      node({ id: 'snapshot.p.precos', name: 'precos', kind: 'snapshot', status: 'success' }),
      node({
        id: 'test.p.unique_fct_vendas_id',
        name: 'unique_fct_vendas_id',
        kind: 'test',
        status: 'fail',
        severity: 'warn',
        failures: 4,
      }),
      node({ id: 'test.p.orphan', name: 'orphan', kind: 'test', status: 'pass' }),
    ];
    const build: BuildResult = {
      run: { status: 'success', results } as unknown as RunResult,
      artifacts: [],
      lineagePage: '/p/target/docs/index.html',
      testedNodes: new Map([['test.p.unique_fct_vendas_id', 'fct_vendas']]),
    };
    const detail = runOutcomeDetail({
      command: 'build',
      scope: { steps: ['ingest', 'build'], runTests: 'after-each-model' },
      ingest,
      build,
      attempts: { ingest: 1, build: 1 },
      error: undefined,
    });
    expect(detail.tables).toEqual([
      {
        table: 'vendas',
        strategy: 'upsert',
        status: 'success',
        rows: 120,
        read: 120,
        bytes: 9000,
        inserted: 100,
        updated: 20,
        deleted: 3,
        seconds: 1.235,
        warehouseStatements: 6,
        uploadedBytes: 0,
      },
    ]);
    expect(detail.models).toEqual([
      { name: 'fct_vendas', kind: 'model', status: 'success', seconds: 1.235, message: 'success' },
      { name: 'precos', kind: 'snapshot', status: 'success', seconds: 0.25, message: 'success' },
    ]);
    expect(detail.tests).toEqual([
      {
        name: 'unique_fct_vendas_id',
        model: 'fct_vendas',
        status: 'fail',
        severity: 'warn',
        failures: 4,
        seconds: 0.25,
        message: 'fail',
      },
      { name: 'orphan', status: 'pass', severity: 'error', failures: 0, seconds: 0.25, message: 'pass' },
    ]);
    expect(detail.lineagePage).toBe('/p/target/docs/index.html');
    // And it is a valid record.
    const record = buildRunRecord({ id: 'r1', trigger: 'cli', status: 'success', startedAt: new Date(), detail });
    expect(parseRunDetail(stored(record)).tests[0]?.model).toBe('fct_vendas');
  });

  describe('reads every shape written before it had a version', () => {
    const names = readdirSync(FIXTURES)
      .filter((file) => file.endsWith('.json'))
      .map((file) => file.slice(0, -5));

    it.each(names)('%s: migrates to the current version, and the migrated record round-trips', (name) => {
      const record = fixture(name);
      const detail = parseRunDetail(stored(record), record.id);
      expect(detail.version).toBe(RUN_RECORD_VERSION);
      const { version: _version, ...rest } = detail;
      const rewritten = buildRunRecord({ ...record, detail: rest });
      expect(parseRunDetail(stored(rewritten))).toEqual(detail);
    });

    it('keeps what a pipeline run recorded: attempts, per table counts, models, tests, the lineage page', () => {
      const detail = parseRunDetail(stored(fixture('pipeline-success')));
      expect(detail.attempts).toEqual({ ingest: 1, build: 1 });
      expect(detail.tables).toHaveLength(7);
      expect(detail.tables[0]).toEqual({
        table: 'estados',
        strategy: 'full',
        status: 'success',
        rows: 27,
        bytes: 1248,
        inserted: 27,
        updated: 0,
        deleted: 0,
        seconds: 0.108,
        warehouseStatements: 6,
        uploadedBytes: 0,
      });
      expect(detail.models.map((m) => m.status)).toEqual(['success', 'success', 'success']);
      expect(detail.tests.map((t) => t.status)).toEqual(['pass', 'pass', 'pass']);
      expect(detail.lineagePage).toBe('/srv/novadrive/target/docs/index.html');
      expect(detail.scope).toBeUndefined();
      expect(detail.error).toBeUndefined();
    });

    it('keeps a failed table with its error, and the run error', () => {
      const detail = parseRunDetail(stored(fixture('pipeline-table-failed')));
      expect(detail.tables.find((t) => t.status === 'failed')).toMatchObject({
        table: 'nosuch',
        error: { code: 'TABLE_NOT_FOUND', message: 'table public.nosuch does not exist in the source' },
      });
      expect(detail.error).toEqual({
        code: 'TABLES_FAILED',
        message: 'nosuch: table public.nosuch does not exist in the source',
      });
      expect(parseRunDetail(stored(fixture('pipeline-interrupted'))).error?.code).toBe('INTERRUPTED');
    });

    it('reads `models run` and `test` records: their command becomes the scope, the first save `{ command }` too', () => {
      expect(parseRunDetail(stored(fixture('models-run-running')))).toEqual({
        version: RUN_RECORD_VERSION,
        command: 'models run',
        scope: { steps: ['build'], runTests: 'none' },
        attempts: { ingest: 0, build: 0 },
        tables: [],
        models: [],
        tests: [],
      });
      const models = parseRunDetail(stored(fixture('models-run-success')));
      expect(models.scope).toEqual({ steps: ['build'], runTests: 'none' });
      expect(models.models.map((m) => m.name)).toEqual(['stg_vendas', 'fct_vendas']);
      const tests = parseRunDetail(stored(fixture('test-failed')));
      expect(tests.command).toBe('test');
      expect(tests.scope).toEqual({ steps: ['build'], runTests: 'only' });
      expect(tests.tests.map((t) => [t.status, t.severity, t.failures])).toEqual([
        ['fail', 'error', 300],
        ['error', 'error', 0],
      ]);
      expect(tests.error?.code).toBe('BUILD_FAILED');
    });

    it('reads the scheduler’s own records: a skipped slot, a warehouse that did not open, an abandoned run', () => {
      expect(parseRunDetail(stored(fixture('slot-skipped')))).toMatchObject({
        missedSlots: 2,
        tables: [],
        error: { code: 'SLOT_SKIPPED' },
      });
      expect(parseRunDetail(stored(fixture('warehouse-unavailable'))).error?.code).toBe('WAREHOUSE_UNAVAILABLE');
      expect(parseRunDetail(stored(fixture('abandoned')))).toMatchObject({
        command: 'test',
        scope: { runTests: 'only' },
        error: { code: 'ABANDONED' },
      });
    });
  });

  it('ignores fields it does not know, so a newer writer can add one without breaking this reader', () => {
    const record = buildRunRecord({ id: 'r1', trigger: 'cli', status: 'running', startedAt: new Date() });
    const detail = parseRunDetail({ ...(stored(record) as object), cpuSeconds: 12.5 });
    expect(detail).toEqual(parseRunDetail(stored(record)));
  });

  describe('refuses garbage with a message that names the run and the field', () => {
    it('a detail that is not an object', () => {
      expect(() => parseRunDetail('done', 'r7')).toThrow(
        'run record "r7" is not one Sluice wrote: detail: expected a JSON object, got "done"',
      );
      expect(problemsOf(() => parseRunDetail(null))).toEqual(['detail: expected a JSON object, got null']);
      expect(problemsOf(() => parseRunDetail([]))).toEqual(['detail: expected a JSON object, got an array']);
    });

    it('wrong types, unknown statuses and missing fields, each named by its path', () => {
      const problems = problemsOf(() =>
        parseRunDetail({
          version: 1,
          attempts: { ingest: 1, build: 0 },
          tables: [{ table: 'vendas', status: 'success', rows: '12', bytes: 0 }],
          models: [{ name: 'm', status: 'exploded' }],
          tests: [{ name: 't', status: 'pass' }],
        }),
      );
      expect(problems).toHaveLength(3);
      expect(problems[0]).toMatch(/^detail\.tables\[0\]\.rows: .*number/);
      expect(problems[1]).toMatch(/^detail\.models\[0\]\.status: .*"success"/);
      expect(problems[2]).toMatch(/^detail\.tests\[0\]\.severity: /);
    });

    it('an old-shape record that is broken too', () => {
      expect(problemsOf(() => parseRunDetail({ tables: 'none' }))[0]).toMatch(/^detail\.tables: .*array/);
      expect(problemsOf(() => parseRunDetail({ tables: [{ status: 'success' }] }))[0]).toMatch(
        /^detail\.tables\[0\]\.table: /,
      );
    });

    it('a version it does not know: newer says to upgrade', () => {
      expect(() => parseRunDetail({ version: 2, tables: [] }, 'r9')).toThrow(
        'run record "r9" is not one Sluice wrote: detail.version: 2 was written by a newer Sluice (this one reads up to version 1): upgrade this process',
      );
      expect(problemsOf(() => parseRunDetail({ version: 'one' }))).toEqual(['detail.version: expected 1, got "one"']);
    });

    it('the builder refuses to write a record that would not read back', () => {
      expect(() =>
        buildRunRecord({
          id: 'r1',
          trigger: 'cli',
          status: 'success',
          startedAt: new Date(),
          detail: { tables: [{ table: 'vendas', status: 'success', rows: -1, bytes: 0 }] },
        }),
      ).toThrow(/run record "r1" is not one Sluice wrote: detail\.tables\[0\]\.rows: /);
    });

    it('a reader of a stored run never throws: an unreadable detail reads as a run that says why', () => {
      const run = readRunRecord({
        id: 'r3',
        trigger: 'api',
        status: 'success',
        startedAt: new Date(),
        detail: { tables: [{ table: 'vendas', status: 'loaded', rows: 1, bytes: 1 }] },
      });
      expect(run.detail.tables).toEqual([]);
      expect(run.detail.error?.code).toBe('UNREADABLE_RUN_RECORD');
      expect(run.detail.error?.message).toMatch(
        /^run record "r3" is not one Sluice wrote: detail\.tables\[0\]\.status: /,
      );
    });
  });

  it('ends a run left running: what it had stays, in the current shape, with the new status and error', () => {
    const ended = endRunRecord(fixture('models-run-running'), {
      status: 'interrupted',
      endedAt: new Date('2026-12-07T03:00:00Z'),
      error: { code: 'ABANDONED', message: 'the process running it ended' },
    });
    expect(ended).toMatchObject({ status: 'interrupted', endedAt: new Date('2026-12-07T03:00:00Z') });
    expect(parseRunDetail(stored(ended))).toMatchObject({
      version: RUN_RECORD_VERSION,
      command: 'models run',
      scope: { steps: ['build'], runTests: 'none' },
      error: { code: 'ABANDONED', message: 'the process running it ended' },
    });
  });
});
