import type { NodeResult } from '@sluice/models';
import type { RunStatus } from '@sluice/watermark';
import type { TargetEngine } from './engine-registry.js';
import type { TableResult } from './ingest.js';
import {
  buildLineageEvent,
  createLineageTransport,
  lineageEndEventType,
  type LineageEventType,
} from './openlineage.js';
import type { LoadedProject } from './project-config.js';
import type { RunScope } from './run-record.js';

/** The OpenLineage events of one run: `start` sends START in the background, `end` the end event, and waits. */
export interface LineageEmitter {
  start(at: Date): void;
  end(
    at: Date,
    status: RunStatus,
    outcome: {
      readonly tables: readonly TableResult[];
      readonly nodes: readonly NodeResult[];
      readonly error: { readonly code: string; readonly message: string } | undefined;
    },
  ): Promise<void>;
}

/**
 * The run's emitter, from the project's `openlineage:` block (nothing is sent without one). Events go one after
 * another, START first; a delivery that fails is reported through `onFailure` and never fails the run; `end`
 * resolves once every event has been delivered or given up (each delivery is bounded by `openlineage.timeout`), so
 * a CLI run's events are out before the process exits.
 */
export function createLineageEmitter(options: {
  readonly project: LoadedProject;
  readonly target: Pick<TargetEngine, 'lineage'>;
  readonly scope: RunScope;
  readonly runId: string;
  readonly onFailure: (eventType: LineageEventType, destination: string, error: string) => void;
}): LineageEmitter {
  const transport = createLineageTransport(options.project.config.openlineage, options.project.dir);
  let queue: Promise<void> = Promise.resolve();
  const send = (eventType: LineageEventType, build: () => Parameters<NonNullable<typeof transport>['send']>[0]) => {
    if (!transport) return;
    queue = queue.then(async () => {
      try {
        await transport.send(build());
      } catch (error) {
        const message =
          error instanceof Error ? (error.name === 'TimeoutError' ? 'timed out' : error.message) : String(error);
        options.onFailure(eventType, transport.destination, message);
      }
    });
  };
  const base = { runId: options.runId, project: options.project, target: options.target, scope: options.scope };
  return {
    start(at) {
      send('START', () => buildLineageEvent({ ...base, eventType: 'START', eventTime: at }));
    },
    async end(at, status, outcome) {
      const eventType = lineageEndEventType(status);
      send(eventType, () =>
        buildLineageEvent({
          ...base,
          eventType,
          eventTime: at,
          tables: outcome.tables,
          nodes: outcome.nodes,
          error: outcome.error,
        }),
      );
      await queue;
    },
  };
}
