import { constants, existsSync, readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import {
  checkSource,
  ConfigError,
  configKeyLineFinder,
  hasIngestion,
  hasModels,
  loadModels,
  loadProjectConfig,
  MIN_SOURCE_SERVER_VERSION,
  openStateStore,
  RUN_LOCK,
  targetEngine,
  type LoadedProject,
  type SourceCheck,
} from '@sluice/pipeline';
import { describeHolder, StateError } from '@sluice/watermark';
import { formatIssue } from '@sluice/models';
import { displayPath, problemLines } from '../config-problems.js';
import { EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';
import { chooseTarget, type ChosenTarget } from '../preflight.js';
import { jsonText } from '../run-result.js';

/** From this size (64 MB, as `late_commits: auto` counts it) an unindexed cursor is worth a warning. */
const LARGE_TABLE_PAGES = 8192;
/** One line of the doctor's report. */
interface Check {
  readonly area: string;
  readonly ok: boolean;
  /** A failure in the configuration (exit 2) rather than in the environment (exit 1). */
  readonly config?: boolean;
  readonly message: string;
  readonly details?: readonly string[];
  readonly fix?: string;
}

const SOURCE_MINIMUM = `${Math.floor(MIN_SOURCE_SERVER_VERSION / 10000)}`;

/** `[coalesce(a, b), id]` → `(coalesce(a, b), id)`. */
export function describeCursor(
  cursor: readonly (string | { readonly coalesce: readonly string[] })[] | undefined,
): string {
  return `(${(cursor ?? []).map((element) => (typeof element === 'string' ? element : `coalesce(${element.coalesce.join(', ')})`)).join(', ')})`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * `sluice doctor`: check everything a run needs, and say how to fix what is wrong — the config (sluice.yml and the
 * models), the source (reachable, server version, each table readable by the role and its plan valid: cursor
 * columns exist and are orderable, a primary key for upsert), the warehouse (opens, writable) and the state store
 * (opens, run lock free). Exit 2 when the config has problems, 1 when another check failed, else 0.
 */
export async function doctorCommand(
  options: { project: string; target?: string; profilesDir?: string; json: boolean },
  out: Output,
): Promise<number> {
  const checks: Check[] = [];
  const report = (check: Check) => {
    checks.push(check);
    if (options.json) return;
    out.line(`  ${check.ok ? out.green('✓') : out.red('✗')} ${check.area.padEnd(10)} ${check.message}`);
    for (const detail of check.details ?? []) out.line(`      ${check.ok ? out.dim(detail) : out.red(detail)}`);
    if (check.fix) out.line(`      ${out.yellow('fix:')} ${check.fix}`);
  };
  if (!options.json) out.line(out.bold(`sluice doctor — ${displayPath(path.resolve(options.project)) || '.'}`));

  let project: LoadedProject | undefined;
  try {
    project = await loadProjectConfig(
      options.project,
      process.env,
      options.profilesDir === undefined ? {} : { profilesDir: options.profilesDir },
    );
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    report({
      area: 'config',
      ok: false,
      config: true,
      message:
        error.problems.length === 1 && !error.problems[0]?.line
          ? 'sluice.yml cannot be used'
          : `sluice.yml has ${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}`,
      details: problemLines(error.problems),
      fix: 'correct sluice.yml at the places above, then run sluice doctor again',
    });
    return finish(checks, options, out);
  }
  const { config } = project;
  report({
    area: 'config',
    ok: true,
    message: `${displayPath(project.file)} is valid: ${hasIngestion(project) ? `${Object.keys(config.tables).length} tables` : 'no ingestion (no tables:)'}, targets ${Object.keys(config.targets).join(', ')}${project.profile ? ` (profile ${project.profile.name} in ${displayPath(project.profile.file)})` : ''}, state ${config.state.type}`,
    ...(project.warnings?.length ? { details: problemLines(project.warnings).map((w) => `warning: ${w}`) } : {}),
  });

  let target: ChosenTarget | undefined;
  try {
    target = chooseTarget(project, options.target);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    report({
      area: 'target',
      ok: false,
      config: true,
      message: 'unknown target',
      details: problemLines(error.problems),
      fix: 'pass --target with a target defined in sluice.yml',
    });
  }

  if (hasModels(project)) {
    try {
      const models = await loadModels(project);
      const count = (kind: string) => [...models.nodes.values()].filter((node) => node.kind === kind).length;
      report({
        area: 'models',
        ok: true,
        message: `${count('model')} models, ${count('seed')} seeds, ${count('snapshot')} snapshots, ${count('test')} tests and ${count('source')} sources load without errors`,
        ...(models.warnings.length ? { details: models.warnings.map((w) => `warning: ${formatIssue(w)}`) } : {}),
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      report({
        area: 'models',
        ok: false,
        config: true,
        message: `the model project has ${error.problems.length} problem(s)`,
        details: problemLines(error.problems),
        fix: 'correct the files at the places above',
      });
    }
  } else {
    report({ area: 'models', ok: true, message: 'no models/ folder: runs ingest only' });
  }

  // No ingestion configured: the source is never opened, so there is nothing to check there.
  if (hasIngestion(project)) await checkTheSource(project, report);
  else
    report({ area: 'source', ok: true, message: 'no ingestion configured (sluice.yml lists no tables): not checked' });
  if (target) await checkWarehouse(project, target, report);
  await checkState(project, report);
  return finish(checks, options, out);
}

async function checkTheSource(project: LoadedProject, report: (check: Check) => void): Promise<void> {
  const urlLine = configKeyLineFinder(readFileSync(project.file, 'utf8'))(['source', 'url']);
  let source: SourceCheck;
  try {
    source = await checkSource(project, { cursorIndexes: true });
  } catch (error) {
    report({
      area: 'source',
      ok: false,
      message: message(error),
      fix: `start the server or make it reachable from here, or correct source.url (${displayPath(project.file)}${urlLine ? `:${urlLine}` : ''}); a password not in the URL comes from PGPASSWORD`,
    });
    return;
  }
  report({ area: 'source', ok: true, message: `connected to ${source.endpoint}/${source.database} as ${source.role}` });
  const supported = source.serverVersionNum >= MIN_SOURCE_SERVER_VERSION;
  report({
    area: 'version',
    ok: supported,
    message: supported
      ? `PostgreSQL ${source.serverVersion} (${SOURCE_MINIMUM} or newer needed: exported snapshots, pg_snapshot_xmin)`
      : `PostgreSQL ${source.serverVersion} is too old: Sluice needs ${SOURCE_MINIMUM} or newer (pg_snapshot_xmin)`,
    ...(supported
      ? {}
      : { fix: `upgrade the source to PostgreSQL ${SOURCE_MINIMUM}+, or point source.url at a replica that runs it` }),
  });
  for (const table of source.tables) {
    const spec = project.config.tables[table.name];
    if (table.problems.length > 0) {
      report({
        area: 'table',
        ok: false,
        config: true,
        message: table.table
          ? `${table.qualified}: its config does not work against the table`
          : `${table.qualified}: not found in the source`,
        details: problemLines(table.problems),
        fix: 'correct sluice.yml at the places above',
      });
      continue;
    }
    if (table.readable === false) {
      report({
        area: 'table',
        ok: false,
        message: `${table.qualified}: the role ${source.role} cannot read it`,
        fix: `GRANT USAGE ON SCHEMA ${table.qualified.split('.')[0]} TO ${source.role}; GRANT SELECT ON ${table.qualified} TO ${source.role};`,
      });
      continue;
    }
    const how =
      table.strategy === 'full' ? 'full (reloaded whole)' : `${table.strategy} by ${describeCursor(spec?.cursor)}`;
    const key = table.table?.primaryKey.length ? `key ${table.table.primaryKey.join(', ')}` : 'no primary key';
    const pages = table.table?.pages ?? 0;
    const unserved =
      table.cursorIndex?.served === false &&
      (pages >= LARGE_TABLE_PAGES || spec?.late_commits === 'lookback' || spec?.late_commits === 'off');
    report({
      area: 'table',
      ok: true,
      message: `${table.qualified}: ${how}; ${key}; ${table.plan?.columns.length ?? 0} columns; readable`,
      ...(unserved && table.cursorIndex
        ? {
            details: [
              `warning: no index serves the cursor, so every run reads the whole table (about ${Math.round((pages * 8) / 1024)} MB)`,
              `to read only what changed: ${table.cursorIndex.suggestion}`,
            ],
          }
        : {}),
    });
  }
}

/** The nearest folder of `file` that exists, and whether this process may write into it. */
async function writableAncestor(file: string): Promise<{ dir: string; writable: boolean }> {
  let dir = path.dirname(file);
  while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const writable = await access(dir, constants.W_OK).then(
    () => true,
    () => false,
  );
  return { dir, writable };
}

async function checkWarehouse(
  project: LoadedProject,
  target: ChosenTarget,
  report: (check: Check) => void,
): Promise<void> {
  const engine = targetEngine(target.config, project.dir);
  const file = engine.localFile;
  if (file !== undefined) {
    if (!existsSync(file)) {
      const { dir, writable } = await writableAncestor(file);
      report(
        writable
          ? {
              area: 'warehouse',
              ok: true,
              message: `${displayPath(file)} (target ${target.name}) does not exist yet; the first run creates it`,
            }
          : {
              area: 'warehouse',
              ok: false,
              message: `${displayPath(file)} (target ${target.name}) cannot be created: ${displayPath(dir)} is not writable`,
              fix: `make ${displayPath(dir)} writable for this user, or point targets.${target.name}.path elsewhere`,
            },
      );
      return;
    }
  }
  try {
    const warehouse = await engine.open();
    try {
      await warehouse.query('SELECT 1 AS ok');
    } finally {
      await warehouse.close().catch(() => undefined);
    }
    const where = file === undefined ? engine.location : displayPath(file);
    report({ area: 'warehouse', ok: true, message: `${where} (target ${target.name}) opens for writing` });
  } catch (error) {
    if (error instanceof ConfigError) {
      report({
        area: 'warehouse',
        ok: false,
        config: true,
        message: `target ${target.name}`,
        details: problemLines(error.problems),
        fix: `correct targets.${target.name} in sluice.yml`,
      });
      return;
    }
    report({
      area: 'warehouse',
      ok: false,
      message: `target ${target.name} cannot be opened: ${message(error)}`,
      fix: engine.openFailureHint,
    });
  }
}

async function checkState(project: LoadedProject, report: (check: Check) => void): Promise<void> {
  const stateConfig = project.config.state;
  if (stateConfig.type === 'file') {
    const dir = path.resolve(project.dir, stateConfig.dir);
    if (!existsSync(dir)) {
      const { dir: parent, writable } = await writableAncestor(path.join(dir, 'x'));
      report(
        writable
          ? { area: 'state', ok: true, message: `${displayPath(dir)} does not exist yet; the first run creates it` }
          : {
              area: 'state',
              ok: false,
              message: `${displayPath(dir)} cannot be created: ${displayPath(parent)} is not writable`,
              fix: `make ${displayPath(parent)} writable, or change state.dir`,
            },
      );
      return;
    }
  }
  const where =
    stateConfig.type === 'file'
      ? displayPath(path.resolve(project.dir, stateConfig.dir))
      : `postgres schema ${stateConfig.schema}`;
  const state = openStateStore(project);
  try {
    const watermarks = await state.readAll();
    try {
      const lock = await state.acquireLock(RUN_LOCK, { holder: 'sluice doctor' });
      await lock.release();
      report({
        area: 'state',
        ok: true,
        message: `${where} opens (${watermarks.length} watermarks); the run lock is free`,
      });
    } catch (error) {
      if (!(error instanceof StateError) || error.code !== 'LOCK_HELD') throw error;
      report({
        area: 'state',
        ok: false,
        message: `${where} opens, but the run lock is held by ${error.holder ? describeHolder(error.holder) : 'another process'}`,
        fix: 'a run is in progress: wait for it to finish (a lock whose process is gone is taken over once it goes stale)',
      });
    }
  } catch (error) {
    report({
      area: 'state',
      ok: false,
      message: `${where}: ${message(error)}`,
      fix: 'check the state store settings in sluice.yml (state:) and that it is reachable and writable',
    });
  } finally {
    await state.close().catch(() => undefined);
  }
}

function finish(checks: readonly Check[], options: { json: boolean }, out: Output): number {
  const configProblems = checks.some((check) => !check.ok && check.config);
  const failed = checks.filter((check) => !check.ok).length;
  const exitCode = configProblems ? EXIT.usage : failed > 0 ? EXIT.failed : EXIT.ok;
  if (options.json) {
    out.line(
      jsonText({
        command: 'doctor',
        status: exitCode === EXIT.ok ? 'ok' : configProblems ? 'config-error' : 'failed',
        exitCode,
        checks: checks.map((check) => ({ ...check, config: check.config === true })),
      }),
    );
    return exitCode;
  }
  out.line();
  out.line(
    failed === 0
      ? out.green(`all ${checks.length} checks passed`)
      : out.red(
          `${failed} of ${checks.length} checks failed${configProblems ? ' (configuration problems: exit 2)' : ''}`,
        ),
  );
  return exitCode;
}
