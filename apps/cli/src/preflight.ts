import { readFileSync } from 'node:fs';
import {
  checkLocalPaths,
  checkSource,
  ConfigError,
  configKeyLineFinder,
  formatConfigProblem,
  hasIngestion,
  hasModels,
  loadModels,
  loadProjectConfig,
  MIN_SOURCE_SERVER_VERSION,
  modelTarget,
  resolveTarget,
  type ConfigProblem,
  type LoadedProject,
  type SourceCheck,
  type TargetConfig,
} from '@sluice/pipeline';
import { closestNames } from '@sluice/warehouse';
import {
  formatIssue,
  readState,
  selectNodes,
  type Project,
  type ProjectIssue,
  type StateComparison,
} from '@sluice/models';
import { CliError, EXIT } from './exit-codes.js';

/** A target chosen for a command. */
export interface ChosenTarget {
  readonly name: string;
  readonly config: TargetConfig;
}

/** Everything a command needs once the project has been checked. */
export interface Checked {
  readonly project: LoadedProject;
  readonly target: ChosenTarget;
  /** The model project (loaded for `target`), when asked for and the project has a `models/` folder. */
  readonly models: Project | undefined;
  /** The source check, when asked for. */
  readonly source: SourceCheck | undefined;
  /** Load warnings of the model project and selectors that match nothing. */
  readonly warnings: readonly string[];
  /** `--state DIR` compared with the model project, when given. */
  readonly state?: StateComparison;
}

export interface PreflightOptions {
  readonly project: string;
  readonly target?: string | undefined;
  /** `--profiles-dir`. */
  readonly profilesDir?: string | undefined;
  /** `--vars`. */
  readonly vars?: Readonly<Record<string, unknown>> | undefined;
  /** Only these tables (`--table`). */
  readonly tables?: readonly string[] | undefined;
  /** Load the model project and check the selectors. */
  readonly models?: boolean;
  readonly select?: readonly string[] | undefined;
  readonly exclude?: readonly string[] | undefined;
  /** `--state DIR`: read its manifest.json (a missing or unreadable one is a usage error) for the `state:` selectors. */
  readonly state?: string | undefined;
  /** Check every (selected) table against the live source (only when the project configures ingestion). */
  readonly source?: boolean;
}

/**
 * Check a project before anything runs: `sluice.yml`, the target, the local paths it writes (a file where a folder
 * must go), `--table` names, the model project and the selectors, and each table's config against the live source. Every config problem is collected and thrown as
 * one `ConfigError` (exit 2) with its file and line; a table the role cannot read or a server that is too old is
 * a `CliError` (exit 1). Nothing is written.
 */
export async function preflight(options: PreflightOptions): Promise<Checked> {
  const project = await loadProject(options.project, {
    needsSource: options.source === true,
    profilesDir: options.profilesDir,
    vars: options.vars,
    target: options.target,
  });
  const target = chooseTarget(project, options.target);
  const tables = options.tables && options.tables.length > 0 ? options.tables : undefined;
  if (tables) checkTableNames(project, tables);
  const problems: ConfigProblem[] = [...(await checkLocalPaths(project, target.name))];
  const warnings: string[] = (project.warnings ?? []).map(formatConfigProblem);
  let models: Project | undefined;
  let state: StateComparison | undefined;
  if (options.models && hasModels(project)) {
    try {
      // Loaded for the chosen target, as the command then uses it: `compile` reuses this project, not a second load.
      models = await loadModels(project, process.env, options.vars ?? {}, modelTarget(target));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
    if (models) {
      warnings.push(...models.warnings.map(formatIssue));
      if (options.state !== undefined) state = await stateOf(models, options.state);
      const selection = selectNodes(models, {
        ...(options.select ? { select: options.select } : {}),
        ...(options.exclude ? { exclude: options.exclude } : {}),
        ...(state ? { state } : {}),
      });
      const bad = selection.issues.filter((issue: ProjectIssue) => issue.severity === 'error');
      if (bad.length > 0)
        throw new CliError(`invalid selector: ${bad.map((issue) => issue.message).join('; ')}`, EXIT.usage);
      warnings.push(...selection.issues.map((issue) => issue.message));
    }
  }
  let source: SourceCheck | undefined;
  if (options.source && hasIngestion(project)) {
    source = await checkSource(project, tables ? { tables } : {});
    problems.push(...source.problems);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  if (source) {
    if (source.serverVersionNum > 0 && source.serverVersionNum < MIN_SOURCE_SERVER_VERSION) {
      throw new CliError(
        `the source runs PostgreSQL ${source.serverVersion}; Sluice needs 13 or newer (pg_snapshot_xmin, exported snapshots)`,
        EXIT.failed,
      );
    }
    if (source.unreadable.length > 0) {
      throw new CliError(
        `the role ${source.role} cannot read ${source.unreadable.join(', ')}; nothing was run. Grant it, e.g.\n` +
          source.unreadable.map((table) => `  GRANT SELECT ON ${table} TO ${source.role};`).join('\n'),
        EXIT.failed,
      );
    }
  }
  return { project, target, models, source, warnings, ...(state ? { state } : {}) };
}

/** `--state DIR` read and compared; what is wrong with it is a usage error (exit 2) naming the file and field. */
async function stateOf(models: Project, dir: string): Promise<StateComparison> {
  try {
    return await readState(models, dir);
  } catch (error) {
    if (error instanceof Error && error.name === 'ModelsError') throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}

const MISSING_ENV = /^environment variable ([A-Za-z_][A-Za-z0-9_]*) is not set/;

/**
 * Load `sluice.yml`. A command that does not read the source (`build`, `ls`, `status`…) does not need the
 * variables only `source.url` uses: when they are the only problem, they are stood in for, so `sluice ls` works
 * without the database password in the environment. Any other problem is a `ConfigError` as usual.
 */
export async function loadProject(
  dir: string,
  options: {
    readonly needsSource: boolean;
    readonly profilesDir?: string | undefined;
    readonly vars?: Readonly<Record<string, unknown>> | undefined;
    /** `-t`: of a dbt profile only that output must render. */
    readonly target?: string | undefined;
  },
): Promise<LoadedProject> {
  const more = {
    ...(options.profilesDir === undefined ? {} : { profilesDir: options.profilesDir }),
    ...(options.vars === undefined ? {} : { vars: options.vars }),
    ...(options.target === undefined ? {} : { target: options.target }),
  };
  try {
    return await loadProjectConfig(dir, process.env, more);
  } catch (error) {
    if (options.needsSource || !(error instanceof ConfigError)) throw error;
    const names = new Set<string>();
    for (const problem of error.problems) {
      const missing = MISSING_ENV.exec(problem.message);
      if (problem.path === 'source.url' && missing) names.add(missing[1] as string);
      else if (problem.path !== 'source.url') throw error;
    }
    if (names.size === 0) throw error;
    const stand: NodeJS.ProcessEnv = { ...process.env };
    for (const name of names) stand[name] = 'postgres://source-url-not-set.invalid/';
    return loadProjectConfig(dir, stand, more);
  }
}

/** The target named on the command line (or the project's default), or a config error pointing at `targets:`. */
export function chooseTarget(project: LoadedProject, name: string | undefined): ChosenTarget {
  if (name !== undefined && !(name in project.config.targets)) {
    const names = Object.keys(project.config.targets);
    const hint = closestNames(name, names);
    throw new ConfigError([
      {
        file: project.profile?.file ?? project.file,
        line: project.profile ? undefined : lineOf(project, ['targets']),
        path: 'targets',
        message: `no target "${name}" (from --target)${hint.length ? ` (did you mean ${hint.join(' or ')}?)` : ''}; ${project.profile ? `the profile ${project.profile.name} has` : 'sluice.yml defines'} ${names.join(', ')}`,
      },
    ]);
  }
  return resolveTarget(project, name);
}

/** `--table` names must be keys of `tables:`. */
export function checkTableNames(project: LoadedProject, tables: readonly string[]): void {
  const known = Object.keys(project.config.tables);
  if (known.length === 0)
    throw new CliError(
      `--table ${tables.join(', ')}: this project configures no ingestion (sluice.yml lists no tables:)`,
      EXIT.usage,
    );
  const unknown = tables.filter((table) => !known.includes(table));
  if (unknown.length === 0) return;
  throw new CliError(
    unknown
      .map((table) => {
        const hint = closestNames(table, known);
        return `--table ${table}: no such table in sluice.yml${hint.length ? ` (did you mean ${hint.join(' or ')}?)` : ''}; it lists ${known.join(', ')}`;
      })
      .join('\n'),
    EXIT.usage,
  );
}

function lineOf(project: LoadedProject, keyPath: readonly string[]): number | undefined {
  try {
    return configKeyLineFinder(readFileSync(project.file, 'utf8'))(keyPath);
  } catch {
    return undefined;
  }
}
