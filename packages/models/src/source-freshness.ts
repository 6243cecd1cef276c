import { randomUUID } from 'node:crypto';
import type { Relation, Warehouse } from '@sluice/warehouse';
import { ProjectCompiler, type TargetConfig } from './compile-project.js';
import { artifactMetadata, DBT_SCHEMA_VERSIONS } from './dbt-artifacts.js';
import { ModelsError } from './models-error.js';
import type { FreshnessRule, FreshnessThreshold, Project, SourceNode } from './project.js';
import { selectNodes } from './select-nodes.js';

/** How one source table's freshness check ended (dbt's statuses; `skipped` when there is nothing to check). */
export type FreshnessStatus = 'pass' | 'warn' | 'error' | 'runtime error' | 'skipped';

/** One source table's freshness, as dbt's `sources.json` reports it. */
export interface FreshnessResult {
  readonly id: string;
  /** `source.table` */
  readonly name: string;
  readonly status: FreshnessStatus;
  readonly message: string;
  readonly relation: Relation;
  readonly loadedAtField?: string;
  readonly criteria: FreshnessRule;
  /** The newest `loaded_at_field` value (UTC, ISO 8601), when the table has rows. */
  readonly maxLoadedAt?: string;
  /** The warehouse's time when checked (UTC, ISO 8601). */
  readonly snapshottedAt?: string;
  /** `snapshottedAt - maxLoadedAt` in seconds. */
  readonly ageSeconds?: number;
  readonly elapsedMs: number;
}

/** The outcome of `sluice source freshness`: `error` when a table failed its `error_after` or could not be read. */
export interface FreshnessRun {
  readonly status: 'pass' | 'warn' | 'error';
  readonly startedAt: string;
  readonly elapsedMs: number;
  readonly results: readonly FreshnessResult[];
}

export interface FreshnessOptions {
  readonly target: TargetConfig;
  /** dbt selectors (`source:jaffle_shop`, `source:jaffle_shop.orders`, `+model`…); sources they select are checked. */
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
  readonly signal?: AbortSignal;
  readonly tag?: string;
}

const PERIOD_SECONDS: Record<FreshnessThreshold['period'], number> = { minute: 60, hour: 3600, day: 86_400 };

/**
 * dbt's `source freshness`: for every selected source table with a `freshness:` rule and a `loaded_at_field`, read
 * `max(loaded_at_field)` (rows meeting the rule's `filter`) and the warehouse's current time, and compare the age
 * with `error_after` (→ `error`) and `warn_after` (→ `warn`). Timestamps without a time zone are taken as UTC, as
 * dbt does. Tables without a rule are left out; a rule without `loaded_at_field` is `skipped`, said in its message.
 * Never throws for one table's failure (`runtime error`); throws `INVALID_SELECTOR` for a bad selector.
 *
 * @example const run = await checkSourceFreshness(project, warehouse, { target, select: ['source:shop'] });
 */
export async function checkSourceFreshness(
  project: Project,
  warehouse: Warehouse,
  options: FreshnessOptions,
): Promise<FreshnessRun> {
  const started = Date.now();
  const selection = selectNodes(project, {
    select: options.select && options.select.length > 0 ? options.select : ['resource_type:source'],
    ...(options.exclude ? { exclude: options.exclude } : {}),
    indirectTests: false,
  });
  const bad = selection.issues.filter((issue) => issue.severity === 'error');
  if (bad.length > 0) throw new ModelsError('INVALID_SELECTOR', bad.map((issue) => issue.message).join(' '));
  const compiler = new ProjectCompiler(project, { target: options.target, dialect: warehouse.dialect });
  const sources = selection.nodes.filter(
    (node): node is SourceNode => node.kind === 'source' && node.freshness !== undefined && node.freshness !== null,
  );
  const results: FreshnessResult[] = [];
  for (const source of sources) {
    const t0 = Date.now();
    const relation = compiler.relationOf(source) as Relation;
    const criteria = source.freshness as FreshnessRule;
    const base = {
      id: source.id,
      name: `${source.sourceName}.${source.name}`,
      relation,
      criteria,
      ...(source.loadedAtField === undefined ? {} : { loadedAtField: source.loadedAtField }),
    };
    if (source.loadedAtField === undefined) {
      results.push({
        ...base,
        status: 'skipped',
        message: `no loaded_at_field: set loaded_at_field on source ${source.sourceName} or its table ${source.name} (${source.file})`,
        elapsedMs: 0,
      });
      continue;
    }
    if (criteria.warnAfter === undefined && criteria.errorAfter === undefined) {
      results.push({
        ...base,
        status: 'skipped',
        message: 'freshness has neither warn_after nor error_after',
        elapsedMs: 0,
      });
      continue;
    }
    const sql =
      `SELECT MAX(${source.loadedAtField}) AS max_loaded_at, CURRENT_TIMESTAMP AS snapshotted_at ` +
      `FROM ${warehouse.dialect.qualify(relation)}${criteria.filter ? ` WHERE ${criteria.filter}` : ''}`;
    try {
      const rows = await warehouse.query(sql, {
        ...(options.tag === undefined ? {} : { tag: `${options.tag} ${source.id}` }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      const row = rows[0] ?? {};
      const snapshotted = instantOf(columnValue(row, 'snapshotted_at'));
      const newest = instantOf(columnValue(row, 'max_loaded_at'));
      if (snapshotted === undefined) throw new Error('the warehouse returned no current time');
      if (newest === undefined) {
        results.push({
          ...base,
          status: criteria.errorAfter ? 'error' : 'warn',
          message: `${base.name} has no rows${criteria.filter ? ' meeting the filter' : ''}: its freshness is unknown`,
          snapshottedAt: snapshotted.toISOString(),
          elapsedMs: Date.now() - t0,
        });
        continue;
      }
      const age = (snapshotted.getTime() - newest.getTime()) / 1000;
      const over = (threshold: FreshnessThreshold | undefined): boolean =>
        threshold !== undefined && age > threshold.count * PERIOD_SECONDS[threshold.period];
      const status: FreshnessStatus = over(criteria.errorAfter) ? 'error' : over(criteria.warnAfter) ? 'warn' : 'pass';
      results.push({
        ...base,
        status,
        message: `newest row ${describeAge(age)} old (${newest.toISOString()})${status === 'pass' ? '' : `: over ${describeThreshold(status === 'error' ? criteria.errorAfter : criteria.warnAfter)}`}`,
        maxLoadedAt: newest.toISOString(),
        snapshottedAt: snapshotted.toISOString(),
        ageSeconds: age,
        elapsedMs: Date.now() - t0,
      });
    } catch (error) {
      results.push({
        ...base,
        status: 'runtime error',
        message: `${base.name}: ${error instanceof Error ? error.message : String(error)}`,
        elapsedMs: Date.now() - t0,
      });
    }
  }
  const status = results.some((r) => r.status === 'error' || r.status === 'runtime error')
    ? 'error'
    : results.some((r) => r.status === 'warn')
      ? 'warn'
      : 'pass';
  return { status, startedAt: new Date(started).toISOString(), elapsedMs: Date.now() - started, results };
}

/** A column of a row, whatever case the engine gave its name. */
function columnValue(row: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(row).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : row[key];
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** A warehouse date or timestamp as an instant; without a zone it is UTC (dbt's rule). */
function instantOf(value: unknown): Date | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return value;
  const m = TIMESTAMP.exec(String(value).trim());
  if (m === null) throw new Error(`"${String(value)}" is not a date or timestamp`);
  const time = (m[2] ?? '00:00:00').slice(0, 12);
  let zone = m[3] ?? 'Z';
  if (/^[+-]\d{2}$/.test(zone)) zone = `${zone}:00`;
  else if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const date = new Date(`${m[1]}T${time}${zone}`);
  if (Number.isNaN(date.getTime())) throw new Error(`"${String(value)}" is not a date or timestamp`);
  return date;
}

function describeAge(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} days`;
}

function describeThreshold(threshold: FreshnessThreshold | undefined): string {
  return threshold === undefined ? '' : `${threshold.count} ${threshold.period}${threshold.count === 1 ? '' : 's'}`;
}

/**
 * The `sources.json` dbt's `source freshness` writes, in dbt's sources v3 schema (`max_loaded_at`, `snapshotted_at`,
 * `max_loaded_at_time_ago_in_s`, `criteria` with `warn_after` / `error_after` / `filter`). A table that could not be
 * checked is a `runtime error` entry with its message; a table without a rule (`skipped`) is left out, as dbt does.
 */
export function freshnessArtifact(
  run: FreshnessRun,
  generatedAt = new Date(),
  invocationId: string = randomUUID(),
): Record<string, unknown> {
  const threshold = (t: FreshnessThreshold | undefined) =>
    t ? { count: t.count, period: t.period } : { count: null, period: null };
  const checked = run.results.filter((r) => r.status !== 'skipped');
  return {
    metadata: artifactMetadata(DBT_SCHEMA_VERSIONS.sources, { invocationId, generatedAt: generatedAt.toISOString() }),
    results: checked.map((r) => {
      if (r.status === 'runtime error' || r.maxLoadedAt === undefined || r.snapshottedAt === undefined)
        return { unique_id: r.id, error: r.message, status: 'runtime error' };
      const started = new Date(Date.parse(r.snapshottedAt) - r.elapsedMs).toISOString();
      return {
        unique_id: r.id,
        max_loaded_at: r.maxLoadedAt,
        snapshotted_at: r.snapshottedAt,
        max_loaded_at_time_ago_in_s: r.ageSeconds ?? 0,
        status: r.status,
        criteria: {
          warn_after: threshold(r.criteria.warnAfter),
          error_after: threshold(r.criteria.errorAfter),
          filter: r.criteria.filter ?? null,
        },
        adapter_response: {},
        timing: [{ name: 'execute', started_at: started, completed_at: r.snapshottedAt }],
        thread_id: 'Thread-1',
        execution_time: r.elapsedMs / 1000,
      };
    }),
    elapsed_time: run.elapsedMs / 1000,
  };
}
