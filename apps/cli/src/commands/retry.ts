import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { displayPath } from '../config-problems.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';
import { jsonText } from '../run-result.js';
import { verbCommand, type RunCommandOptions, type RunVerb } from './run.js';

/** dbt's retryable statuses: what errored, failed or was skipped (a cancelled node is written `skipped`). */
const RETRYABLE = new Set(['error', 'fail', 'skipped', 'runtime error']);
const VERBS: readonly RunVerb[] = ['run', 'build', 'test', 'seed', 'snapshot'];

export interface RetryOptions {
  readonly project: string;
  /** Overrides of what the last invocation recorded. */
  readonly target?: string;
  readonly profilesDir?: string;
  readonly vars?: Readonly<Record<string, unknown>>;
  readonly threads?: number;
  readonly json: boolean;
}

/** What `retry` needs of the last invocation's run_results.json. */
export interface PreviousInvocation {
  readonly file: string;
  readonly verb: RunVerb;
  /** The unique ids to run again, in the order the results list them. */
  readonly ids: readonly string[];
  readonly args: Readonly<Record<string, unknown>>;
}

function invalid(file: string, field: string, what: string): CliError {
  return new CliError(
    `${displayPath(file)}: ${field} ${what}; sluice retry reads the run_results.json of a sluice run, build, test, seed or snapshot (or dbt's)`,
    EXIT.usage,
  );
}

/** Parse the last invocation's run_results.json (dbt's v6 schema): its verb, what to rerun, its flags. Pure. */
export function previousInvocation(value: unknown, file: string): PreviousInvocation {
  if (value === null || typeof value !== 'object') throw invalid(file, 'the top level', 'is not an object');
  const { results, args } = value as { results?: unknown; args?: unknown };
  if (!Array.isArray(results)) throw invalid(file, 'results', 'is missing or not a list');
  if (args === null || typeof args !== 'object') throw invalid(file, 'args', 'is missing or not an object');
  const recorded = args as Record<string, unknown>;
  const which =
    typeof recorded.which === 'string'
      ? recorded.which
      : typeof recorded.invocation_command === 'string'
        ? recorded.invocation_command.split(/\s+/)[1]
        : undefined;
  if (which === undefined) throw invalid(file, 'args.which', 'is missing');
  if (!VERBS.includes(which as RunVerb))
    throw invalid(file, 'args.which', `is "${which}", which sluice retry cannot rerun (${VERBS.join(', ')})`);
  const ids: string[] = [];
  results.forEach((result: unknown, i) => {
    const { unique_id: id, status } = (result ?? {}) as { unique_id?: unknown; status?: unknown };
    if (typeof id !== 'string' || typeof status !== 'string')
      throw invalid(file, `results[${i}].unique_id/status`, 'is missing');
    if (RETRYABLE.has(status)) ids.push(id);
  });
  return { file, verb: which as RunVerb, ids, args: recorded };
}

/** A node's name from its unique id (`model.shop.fct_orders` → `fct_orders`; a dbt test id's hash is dropped). */
function nameOf(id: string): string {
  return id.split('.')[2] ?? id;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * `sluice retry` (dbt's `retry`): read `target/run_results.json`, and run again — with the same verb and flags —
 * only the nodes that errored, failed or were skipped; nothing to retry is said and exits 0. Never ingests.
 */
export async function retryCommand(options: RetryOptions, out: Output): Promise<number> {
  const file = path.join(path.resolve(options.project), 'target', 'run_results.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new CliError(
      `${displayPath(file)} does not exist: there is no previous invocation to retry (run sluice build, run or test first)`,
      EXIT.usage,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalid(file, 'the file', `is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const previous = previousInvocation(parsed, file);
  if (previous.ids.length === 0) {
    const message = `nothing to retry: the last sluice ${previous.verb} (${displayPath(file)}) had no errored, failed or skipped nodes`;
    if (options.json)
      out.line(jsonText({ command: 'retry', status: 'nothing-to-retry', verb: previous.verb, nodes: [] }));
    else out.line(message);
    return EXIT.ok;
  }
  const args = previous.args;
  const target = options.target ?? (typeof args.target === 'string' ? args.target : undefined);
  const threads = options.threads ?? (typeof args.threads === 'number' ? args.threads : undefined);
  const exclude = stringList(args.exclude);
  const run: RunCommandOptions = {
    project: options.project,
    json: options.json,
    select: previous.ids.map(nameOf),
    indirectSelection: 'empty',
    ingest: false,
    ...(exclude.length > 0 ? { exclude } : {}),
    ...(target ? { target } : {}),
    ...(options.profilesDir ? { profilesDir: options.profilesDir } : {}),
    ...(options.vars ? { vars: options.vars } : {}),
    ...(threads ? { threads } : {}),
    ...(args.full_refresh === true ? { fullRefresh: true } : {}),
    ...(typeof args.state === 'string'
      ? {
          state: {
            dir: args.state,
            ...(args.defer === true ? { defer: true } : {}),
            ...(args.favor_state === true ? { favorState: true } : {}),
          },
        }
      : {}),
  };
  if (!options.json)
    out.line(
      out.dim(
        `retrying ${previous.ids.length} node${previous.ids.length === 1 ? '' : 's'} of the last sluice ${previous.verb}: ${run.select?.join(' ')}`,
      ),
    );
  return verbCommand(previous.verb, run, out, 'retry');
}
