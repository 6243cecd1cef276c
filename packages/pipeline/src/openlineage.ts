import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { NodeResult } from '@sluice/models';
import type { RunStatus } from '@sluice/watermark';
import type { TargetEngine } from './engine-registry.js';
import type { TableResult } from './ingest.js';
import type { LoadedProject, OpenLineageConfig } from './project-config.js';
import type { RunScope } from './run-record.js';

/** The OpenLineage spec version the events follow (`RunEvent` of spec 2-0-2). */
export const OPENLINEAGE_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
const FACETS = 'https://openlineage.io/spec/facets';
const FACET_SCHEMAS = {
  inputStatistics: `${FACETS}/1-0-0/InputStatisticsInputDatasetFacet.json#/$defs/InputStatisticsInputDatasetFacet`,
  outputStatistics: `${FACETS}/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet`,
  errorMessage: `${FACETS}/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet`,
  processingEngine: `${FACETS}/1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet`,
  jobType: `${FACETS}/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet`,
} as const;

/** `START` when a run begins; `COMPLETE`, `FAIL` or `ABORT` when it ends. */
export type LineageEventType = 'START' | 'COMPLETE' | 'FAIL' | 'ABORT';

/** A facet: its producer and schema, then its own fields. */
export type LineageFacet = { readonly _producer: string; readonly _schemaURL: string } & Readonly<
  Record<string, unknown>
>;

/** One dataset of an event. */
export interface LineageDataset {
  readonly namespace: string;
  readonly name: string;
  readonly inputFacets?: Readonly<Record<string, LineageFacet>>;
  readonly outputFacets?: Readonly<Record<string, LineageFacet>>;
}

/** An OpenLineage `RunEvent` (spec 2-0-2), as Marquez, DataHub and Airflow's OpenLineage provider take it. */
export interface LineageEvent {
  readonly eventType: LineageEventType;
  readonly eventTime: string;
  readonly producer: string;
  readonly schemaURL: string;
  readonly run: { readonly runId: string; readonly facets: Readonly<Record<string, LineageFacet>> };
  readonly job: {
    readonly namespace: string;
    readonly name: string;
    readonly facets: Readonly<Record<string, LineageFacet>>;
  };
  readonly inputs: readonly LineageDataset[];
  readonly outputs: readonly LineageDataset[];
}

/** What an event describes: the run, the project, and at its end what happened to each table and model. */
export interface LineageRunInput {
  readonly eventType: LineageEventType;
  readonly eventTime: Date;
  /** The Sluice run id (any text): the event's `runId` is a UUID made from it (`lineageRunId`). */
  readonly runId: string;
  readonly project: LoadedProject;
  readonly target: Pick<TargetEngine, 'lineage'>;
  readonly scope: RunScope;
  /** At the end: the tables the run reached, and the models, snapshots and tests it built. */
  readonly tables?: readonly TableResult[];
  readonly nodes?: readonly NodeResult[];
  readonly error?: { readonly code: string; readonly message: string } | undefined;
}

/**
 * Build one OpenLineage event of a run — pure. The job is the project's (`<namespace>` / `<project>.<kind>`: `build`
 * for ingest then models, `ingest`, `models`); inputs are the source tables (namespace `postgres://host:port`, name
 * `database.schema.table`) with their rows read as `inputStatistics`; outputs are the raw tables and the models in
 * the warehouse (the target's namespace, `database.schema.name`) with the rows written (inserted + updated +
 * deleted) and bytes as `outputStatistics`. A failed run carries an `errorMessage` facet.
 */
export function buildLineageEvent(input: LineageRunInput): LineageEvent {
  const { project, scope } = input;
  const { config } = project;
  const producer = lineageProducer();
  const facet = (schemaURL: string, fields: Record<string, unknown>): LineageFacet => ({
    _producer: producer,
    _schemaURL: schemaURL,
    ...fields,
  });
  const source = sourceNamespace(config.source.url);
  const ingests = scope.steps.includes('ingest');
  const tableNames = ingests ? (scope.tables ?? Object.keys(config.tables)) : [];
  const results = new Map((input.tables ?? []).map((t) => [t.table, t]));
  const inputs: LineageDataset[] = tableNames.map((name) => {
    const schema = config.tables[name]?.schema ?? config.source.schema;
    const result = results.get(name);
    return {
      namespace: source.namespace,
      name: `${source.database}.${schema}.${name}`,
      ...(result && result.status !== 'cancelled' && result.status !== 'skipped'
        ? {
            inputFacets: {
              inputStatistics: facet(FACET_SCHEMAS.inputStatistics, {
                rowCount: rowsRead(result),
                size: result.bytes,
              }),
            },
          }
        : {}),
    };
  });
  const warehouse = input.target.lineage;
  const outputs: LineageDataset[] = tableNames.map((name) => {
    const result = results.get(name);
    return {
      namespace: warehouse.namespace,
      name: `${warehouse.database}.${config.raw_schema}.${name}`,
      ...(result && (result.status === 'success' || result.status === 'unchanged')
        ? {
            outputFacets: {
              outputStatistics: facet(FACET_SCHEMAS.outputStatistics, {
                rowCount: result.inserted + result.updated + result.deleted,
                size: result.bytes,
              }),
            },
          }
        : {}),
    };
  });
  for (const node of input.nodes ?? []) {
    if (node.kind === 'test' || !node.relation || node.status !== 'success') continue;
    outputs.push({
      namespace: warehouse.namespace,
      name: `${warehouse.database}.${node.relation.schema}.${node.relation.name}`,
      ...(node.rowsAffected !== undefined
        ? { outputFacets: { outputStatistics: facet(FACET_SCHEMAS.outputStatistics, { rowCount: node.rowsAffected }) } }
        : {}),
    });
  }
  const version = sluiceVersion();
  return {
    eventType: input.eventType,
    eventTime: input.eventTime.toISOString(),
    producer,
    schemaURL: OPENLINEAGE_SCHEMA_URL,
    run: {
      runId: lineageRunId(input.runId),
      facets: {
        processing_engine: facet(FACET_SCHEMAS.processingEngine, {
          name: 'Sluice',
          version,
          openlineageAdapterVersion: version,
        }),
        ...(input.error && input.eventType !== 'START'
          ? {
              errorMessage: facet(FACET_SCHEMAS.errorMessage, {
                message: `${input.error.code}: ${input.error.message}`,
                programmingLanguage: 'TypeScript',
              }),
            }
          : {}),
      },
    },
    job: {
      namespace: config.openlineage?.namespace ?? config.name,
      name: `${config.name}.${jobKind(scope)}`,
      facets: {
        jobType: facet(FACET_SCHEMAS.jobType, { processingType: 'BATCH', integration: 'SLUICE', jobType: 'JOB' }),
      },
    },
    inputs,
    outputs,
  };
}

/** The event type that ends a run of this status. */
export function lineageEndEventType(status: RunStatus): LineageEventType {
  return status === 'success' ? 'COMPLETE' : status === 'failed' ? 'FAIL' : 'ABORT';
}

/**
 * The event's run id for a Sluice run id: the id itself when it is a UUID (manual runs), else a name-based UUID
 * (version 5 layout over SHA-1 of `sluice-run:<id>`), so a scheduled run `20240310T060000Z-9f2c4a` always maps to the
 * same UUID.
 */
export function lineageRunId(runId: string): string {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(runId)) return runId.toLowerCase();
  const bytes = createHash('sha1').update(`sluice-run:${runId}`).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Sends events where `sluice.yml` says. */
export interface LineageTransport {
  /** Where events go, for messages (`http://marquez:5000/api/v1/lineage`, a file path). Never the API key. */
  readonly destination: string;
  send(event: LineageEvent): Promise<void>;
}

/**
 * The transport of the `openlineage:` block: POST to `url` (with `Authorization: Bearer <api_key>`), or one JSON
 * line appended to `file` (relative to the project). Undefined when neither is set. `send` rejects on failure
 * (HTTP status other than 2xx, timeout, an unwritable file); the caller reports it and goes on.
 */
export function createLineageTransport(
  config: OpenLineageConfig | undefined,
  projectDir: string,
): LineageTransport | undefined {
  if (config?.url) {
    const url = config.url;
    return {
      destination: url,
      async send(event) {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(config.api_key ? { authorization: `Bearer ${config.api_key}` } : {}),
          },
          body: JSON.stringify(event),
          signal: AbortSignal.timeout(config.timeout),
        });
        await response.arrayBuffer().catch(() => undefined);
        if (!response.ok) throw new Error(`the OpenLineage endpoint answered HTTP ${response.status}`);
      },
    };
  }
  if (config?.file) {
    const file = path.resolve(projectDir, config.file);
    return {
      destination: file,
      async send(event) {
        await mkdir(path.dirname(file), { recursive: true });
        await appendFile(file, `${JSON.stringify(event)}\n`);
      },
    };
  }
  return undefined;
}

function jobKind(scope: RunScope): string {
  const ingest = scope.steps.includes('ingest');
  const build = scope.steps.includes('build');
  if (ingest && build) return 'build';
  if (ingest) return 'ingest';
  return scope.runTests === 'only' ? 'test' : scope.runTests === 'none' ? 'run' : 'models';
}

function rowsRead(result: TableResult): number {
  const read = (result as { read?: unknown }).read;
  return typeof read === 'number' ? read : result.rows;
}

/** `postgres://host:port` and the database of a source URL (never its user or password). */
function sourceNamespace(url: string): { namespace: string; database: string } {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
    return {
      namespace: `postgres://${host}:${parsed.port || '5432'}`,
      database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres',
    };
  } catch {
    return { namespace: 'postgres://unknown', database: 'postgres' };
  }
}

let version: string | undefined;
function sluiceVersion(): string {
  if (version === undefined) {
    try {
      const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
        version?: string;
      };
      version = manifest.version ?? 'unknown';
    } catch {
      version = 'unknown';
    }
  }
  return version;
}

/** The events' `producer`: a URI naming Sluice and its version. */
function lineageProducer(): string {
  return `urn:sluice:pipeline:${sluiceVersion()}`;
}
