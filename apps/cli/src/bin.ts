import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ABSENT_DBT_VERBS } from './absent-dbt-verbs.js';
import { CliError, EXIT } from './exit-codes.js';
import { createOutput } from './output.js';
import { VERSION } from './version.js';
import type { ConfigProblem } from '@sluice/pipeline';

// Command modules are imported when their command runs: `sluice --help` must not load DuckDB, pg and nunjucks.

const out = createOutput();

function collect(value: string, previous: string[]): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

function positiveInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number of 1 or more`);
    return n;
  };
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('expected a port number from 0 (any free port) to 65535');
  return n;
}

/** The flags shared by the commands, added where they apply. */
const flags = {
  project: (cmd: Command) =>
    cmd
      .option('--project <dir>', 'the project folder (with sluice.yml and/or dbt_project.yml)', '.')
      .option('--project-dir <dir>', "the same as --project (dbt's name for it)"),
  target: (cmd: Command) =>
    cmd.option('-t, --target <name>', "the target to use (default: target in sluice.yml, else the dbt profile's)"),
  profilesDir: (cmd: Command) =>
    cmd.option(
      '--profiles-dir <dir>',
      'the folder of profiles.yml (default: DBT_PROFILES_DIR, the project folder, the working folder, ~/.dbt)',
    ),
  vars: (cmd: Command) =>
    cmd.option('--vars <yaml>', "values for var(), a YAML or JSON mapping (dbt's --vars): --vars '{key: value}'"),
  select: (cmd: Command) =>
    cmd
      .option(
        '-s, --select <selector...>',
        'models, tests and snapshots to include (dbt syntax: name, +name, name+, tag:x, path:…)',
      )
      .option('--exclude <selector...>', 'models, tests and snapshots to leave out (same syntax)'),
  threads: (cmd: Command) =>
    cmd.addOption(
      new Option('--threads <n>', 'models and tests built at once').argParser(positiveInteger('--threads')),
    ),
  fullRefresh: (cmd: Command, what: string) => cmd.option('--full-refresh', what, false),
  json: (cmd: Command) =>
    cmd.option('--json', 'print one JSON object with the result on stdout, and nothing else there', false),
  table: (cmd: Command) => cmd.option('--table <name>', 'only this table (repeat, or comma-separate)', collect, []),
  state: (cmd: Command) =>
    cmd
      .option(
        '--state <dir>',
        "an earlier run's artifacts (its manifest.json): what state:new / state:modified compare with, and --defer reads",
      )
      .option(
        '--defer',
        "refs to nodes this run does not build read the --state manifest's relation when this target has none",
        false,
      )
      .option(
        '--favor-state',
        "with --defer: read the --state manifest's relation even when this target has one",
        false,
      ),
  indirectSelection: (cmd: Command) =>
    cmd.addOption(
      new Option(
        '--indirect-selection <mode>',
        "dbt's: eager runs the tests of selected nodes too, empty only what is selected",
      )
        .choices(['eager', 'empty'])
        .default('eager'),
    ),
};

/** `--state`, `--defer`, `--favor-state` as the commands take them; `--defer` without `--state` is a usage error. */
function stateOf(opts: {
  state?: string;
  defer?: boolean;
  favorState?: boolean;
}): { readonly dir: string; readonly defer?: boolean; readonly favorState?: boolean } | undefined {
  if (opts.state === undefined) {
    if (opts.defer || opts.favorState)
      throw new CliError(
        `${opts.defer ? '--defer' : '--favor-state'} needs --state DIR (the folder of the manifest.json to defer to)`,
        EXIT.usage,
      );
    return undefined;
  }
  if (opts.favorState && !opts.defer) throw new CliError('--favor-state applies with --defer; add --defer', EXIT.usage);
  return { dir: opts.state, ...(opts.defer ? { defer: true } : {}), ...(opts.favorState ? { favorState: true } : {}) };
}

/** The flags of every command that reads the project: the folder, the target, profiles.yml and --vars. */
function projectFlags(cmd: Command): Command {
  return flags.vars(flags.profilesDir(flags.target(flags.project(cmd))));
}

/** The project folder and the folder of profiles.yml: what commands need that read the project but no models. */
function projectProfiles(cmd: Command): Command {
  return flags.profilesDir(flags.project(cmd));
}

/** `--project-dir` (dbt's name) or `--project`. */
function projectOf(opts: { project: string; projectDir?: string }): string {
  return opts.projectDir ?? opts.project;
}

/** `--vars`, parsed (a YAML mapping); a bad value is a usage error. */
async function varsOf(opts: { vars?: string }): Promise<Record<string, unknown> | undefined> {
  if (opts.vars === undefined) return undefined;
  const { parseVars } = await import('@sluice/pipeline');
  try {
    return parseVars(opts.vars);
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error), EXIT.usage);
  }
}

function example(cmd: Command, lines: string): Command {
  return cmd.addHelpText('after', `\nExample:\n${lines}`);
}

const EXIT_CODES_HELP = `
Exit codes:
  0    success
  1    the run failed (a table, a model or an error-severity test), or a check failed
  2    bad usage or configuration (nothing was run)
  130  interrupted (Ctrl-C)

Every command has --help. Documentation: apps/cli/README.md`;

const program = new Command('sluice')
  .description(
    'Keep an analytics warehouse in step with PostgreSQL, then build and test models on it; runs dbt projects as they are.',
  )
  .version(
    `sluice ${VERSION} (runs dbt projects: dbt_project.yml, profiles.yml, the dbt verbs)`,
    '-v, --version',
    'print the version',
  )
  .showHelpAfterError('(run the command with --help for usage)')
  .addHelpText('after', EXIT_CODES_HELP)
  .exitOverride();

// ---- getting started ----

example(
  flags.json(
    flags.project(
      program
        .command('init')
        .description(
          'Start a project from a live database: a sluice.yml with a strategy per table, and a staging model per table',
        )
        .option('--from <url>', 'the source Postgres URL (postgres://user:password@host:5432/db)')
        .option(
          '--url-env <name>',
          'write source.url as ${env:NAME} (and read the URL from NAME when --from is not given)',
        )
        .option('--schema <name>', 'the Postgres schema whose tables to load', 'public')
        .option('--name <name>', 'the project name (default: from the folder name)')
        .addOption(
          new Option('--small-rows <n>', 'tables with at most this many rows are reloaded whole').argParser(Number),
        )
        .option('--write-password', 'write the URL with its password into sluice.yml (otherwise it never is)'),
    ),
  ),
  `  $ mkdir shop && cd shop
  $ export SHOP_DB='postgres://app:secret@db.internal:5432/shop'
  $ sluice init --url-env SHOP_DB      # writes sluice.yml (url: \${env:SHOP_DB}) and models/stage/
  $ sluice run                         # the first load`,
).action(async (opts) => {
  const { initCommand } = await import('./commands/init.js');
  process.exitCode = await initCommand(
    {
      project: projectOf(opts),
      from: opts.from,
      urlEnv: opts.urlEnv,
      schema: opts.schema,
      name: opts.name,
      smallRows: opts.smallRows,
      writePassword: opts.writePassword === true,
      json: opts.json,
    },
    out,
  );
});

example(
  flags.json(
    flags.profilesDir(
      flags.target(
        flags.project(
          program
            .command('doctor')
            .description(
              'Check the config, the source, each table, the warehouse and the state store; say how to fix what is wrong',
            ),
        ),
      ),
    ),
  ),
  '  $ sluice doctor --project sql-models',
).action(async (opts) => {
  const { doctorCommand } = await import('./commands/doctor.js');
  process.exitCode = await doctorCommand(
    { project: projectOf(opts), target: opts.target, profilesDir: opts.profilesDir, json: opts.json },
    out,
  );
});

// ---- running ----
//
// THE VERB RULE: every dbt verb does exactly what dbt does — run builds models, test runs tests, build runs seeds,
// models, snapshots and tests in DAG order, seed, snapshot — with one addition: when sluice.yml configures
// ingestion (tables:), run and build first bring the raw tables up to date (--no-ingest skips that). ingest only
// loads. No other verb touches the source. See VERBS in commands/run.ts and the table in apps/cli/README.md.

type RunOpts = {
  project: string;
  projectDir?: string;
  target?: string;
  profilesDir?: string;
  vars?: string;
  table?: string[];
  select?: string[];
  exclude?: string[];
  threads?: number;
  fullRefresh?: boolean;
  all?: boolean;
  ingest?: boolean;
  state?: string;
  defer?: boolean;
  favorState?: boolean;
  indirectSelection?: 'eager' | 'empty';
  json: boolean;
};

async function runOptions(opts: RunOpts) {
  const vars = await varsOf(opts);
  const state = stateOf(opts);
  return {
    ...(state ? { state } : {}),
    ...(opts.indirectSelection === 'empty' ? { indirectSelection: 'empty' as const } : {}),
    project: projectOf(opts),
    json: opts.json,
    ...(opts.target ? { target: opts.target } : {}),
    ...(opts.profilesDir ? { profilesDir: opts.profilesDir } : {}),
    ...(vars ? { vars } : {}),
    ...(opts.table ? { table: opts.table } : {}),
    ...(opts.select ? { select: opts.select } : {}),
    ...(opts.exclude ? { exclude: opts.exclude } : {}),
    ...(opts.threads ? { threads: opts.threads } : {}),
    ...(opts.fullRefresh ? { fullRefresh: true } : {}),
    ...(opts.all ? { all: true } : {}),
    ...(opts.ingest === false ? { ingest: false } : {}),
  };
}

type Verb = 'run' | 'build' | 'test' | 'seed' | 'snapshot' | 'ingest';

/** A running verb's command: its flags, by what the verb does. */
function verbCommand(
  parent: Command,
  name: string,
  verb: Verb,
  description: string,
  examples: string,
  options: { readonly deprecated?: string; readonly noIngest?: boolean } = {},
): void {
  let cmd = projectFlags(parent.command(name).description(description));
  const ingests = verb === 'run' || verb === 'build' || verb === 'ingest';
  if (ingests && !options.noIngest) cmd = flags.table(cmd);
  if ((verb === 'run' || verb === 'build') && !options.noIngest)
    cmd = cmd
      .option('--no-ingest', 'do not bring the raw tables up to date first (when sluice.yml lists tables)')
      .option(
        '--all',
        'build every selected node; by default a run that ingests builds only what changed and reports the rest reused',
        false,
      );
  if (verb !== 'ingest') cmd = flags.indirectSelection(flags.state(flags.threads(flags.select(cmd))));
  if (verb !== 'test')
    cmd = flags.fullRefresh(
      cmd,
      verb === 'ingest'
        ? 'reload the tables from scratch, replacing the warehouse copy atomically'
        : verb === 'seed'
          ? 'drop and rebuild the seed tables'
          : verb === 'snapshot'
            ? 'rebuild the snapshots from scratch'
            : "rebuild incremental models and seeds from scratch (dbt's; the ingest stays incremental: sluice ingest --full-refresh reloads tables)",
    );
  example(flags.json(cmd), examples).action(async (opts: RunOpts) => {
    if (options.deprecated) out.error(out.yellow(`warning: ${options.deprecated}`));
    const { verbCommand: run } = await import('./commands/run.js');
    const given = await runOptions(opts);
    const command = parent === program ? name : `${parent.name()} ${name}`;
    process.exitCode = await run(verb, options.noIngest ? { ...given, ingest: false } : given, out, command);
  });
}

verbCommand(
  program,
  'run',
  'run',
  "dbt's run: build the models (no tests, seeds or snapshots). When sluice.yml lists tables, ingest them first",
  `  $ sluice run                                # ingest (when tables are configured), then the models
  $ sluice run --select +fct_vendas --no-ingest
  $ sluice run --json > result.json           # one JSON object; exit code 0, 1 or 2`,
);
verbCommand(
  program,
  'build',
  'build',
  "dbt's build: seeds, models, snapshots and tests in DAG order, each test right after what it checks. When sluice.yml lists tables, ingest them first (what the scheduler runs)",
  `  $ sluice build                              # ingest (when tables are configured), then dbt's build
  $ sluice build --select tag:daily --threads 8 --no-ingest`,
);
verbCommand(
  program,
  'ingest',
  'ingest',
  'Extract the tables sluice.yml lists from Postgres and load them into the warehouse (nothing else)',
  '  $ sluice ingest --project sql-models --table vendas',
);
verbCommand(
  program,
  'test',
  'test',
  "dbt's test: run the data tests on what is built (never ingests)",
  '  $ sluice test --select tag:novadrive --exclude test_name:relationships',
);
verbCommand(
  program,
  'seed',
  'seed',
  "dbt's seed: load the CSV files under seed-paths into tables (never ingests)",
  `  $ sluice seed --select countries --full-refresh
  $ sluice seed --vars '{load_source_data: true}'`,
);
verbCommand(
  program,
  'snapshot',
  'snapshot',
  "dbt's snapshot: run the snapshots (never ingests)",
  '  $ sluice snapshot --select snap_precos',
);

example(
  flags.json(
    flags.threads(
      projectFlags(
        program
          .command('retry')
          .description(
            "dbt's retry: run again the nodes of the last invocation (target/run_results.json) that errored, failed or were skipped, with its verb and flags (never ingests)",
          ),
      ),
    ),
  ),
  `  $ sluice build --select state:modified+ --defer --state prod-artifacts   # a model fails
  $ sluice retry                                                           # after the fix: only what failed or was skipped`,
).action(async (opts) => {
  const { retryCommand } = await import('./commands/retry.js');
  const vars = await varsOf(opts);
  process.exitCode = await retryCommand(
    {
      project: projectOf(opts),
      json: opts.json,
      ...(opts.target ? { target: opts.target } : {}),
      ...(opts.profilesDir ? { profilesDir: opts.profilesDir } : {}),
      ...(vars ? { vars } : {}),
      ...(opts.threads ? { threads: opts.threads } : {}),
    },
    out,
  );
});

const models = program
  .command('models')
  .description('Deprecated aliases from before the dbt verbs: use sluice run, test and build');
verbCommand(
  models,
  'run',
  'run',
  'Deprecated: the same as sluice run --no-ingest (models only)',
  '  $ sluice run --no-ingest --select stg_vendas+    # what sluice models run --select stg_vendas+ now means',
  {
    noIngest: true,
    deprecated:
      'sluice models run is deprecated: it is sluice run --no-ingest (sluice run builds the models, as dbt run does)',
  },
);
verbCommand(models, 'test', 'test', 'Deprecated: the same as sluice test', '  $ sluice test --select fct_vendas', {
  deprecated: 'sluice models test is deprecated: use sluice test',
});
verbCommand(
  models,
  'build',
  'build',
  'Deprecated: the same as sluice build --no-ingest',
  '  $ sluice build --no-ingest --exclude tag:slow',
  { noIngest: true, deprecated: 'sluice models build is deprecated: it is sluice build --no-ingest' },
);

const source = program.command('source').description("dbt's source commands");
example(
  flags.json(
    flags.select(
      projectFlags(
        source
          .command('freshness')
          .description(
            "dbt's source freshness: check each source table's freshness: rule (max of loaded_at_field) in the warehouse; writes target/sources.json",
          ),
      ),
    ),
  ),
  '  $ sluice source freshness --select source:novadrive',
).action(async (opts) => {
  const { sourceFreshnessCommand } = await import('./commands/source-freshness.js');
  const vars = await varsOf(opts);
  process.exitCode = await sourceFreshnessCommand(
    {
      project: projectOf(opts),
      target: opts.target,
      profilesDir: opts.profilesDir,
      ...(vars ? { vars } : {}),
      select: opts.select,
      exclude: opts.exclude,
      json: opts.json,
    },
    out,
  );
});

// ---- looking at the project ----

example(
  flags.json(
    flags.state(
      flags.select(
        projectFlags(
          program
            .command('ls')
            .alias('list')
            .description(
              'List the seeds, models, snapshots, tests and sources a selection picks, in the order they would run',
            )
            .option(
              '--resource-type <type>',
              'only seed, model, snapshot, test or source (repeat, or comma-separate)',
              collect,
              [],
            )
            .option('--output <format>', "dbt's ls output: selector, name, path or json (one line per node)")
            .option(
              '--output-keys <keys>',
              'with --output json: the manifest keys to print (space- or comma-separated, or repeat)',
              (value: string, previous: string[]) => [...previous, ...value.split(/[\s,]+/).filter(Boolean)],
              [],
            ),
        ),
      ),
    ),
  ),
  '  $ sluice ls --select +fct_vendas --resource-type model\n  $ sluice ls --select state:modified+ --state prod-artifacts',
).action(async (opts) => {
  const { lsCommand } = await import('./commands/models-info.js');
  const vars = await varsOf(opts);
  const state = stateOf(opts);
  process.exitCode = await lsCommand(
    {
      ...(state ? { state } : {}),
      project: projectOf(opts),
      target: opts.target,
      profilesDir: opts.profilesDir,
      ...(vars ? { vars } : {}),
      select: opts.select,
      exclude: opts.exclude,
      resourceType: opts.resourceType,
      ...(opts.output === undefined ? {} : { output: opts.output }),
      outputKeys: opts.outputKeys,
      json: opts.json,
    },
    out,
  );
});

example(
  flags.json(
    flags.state(
      flags.threads(
        flags.select(
          projectFlags(
            program
              .command('compile')
              .description('Render the selected models and tests to SQL under target/compiled/ without running them'),
          ),
        ),
      ),
    ),
  ),
  '  $ sluice compile --select fct_vendas      # prints the SQL of one model\n  $ sluice compile --select state:modified --defer --state prod-artifacts',
).action(async (opts) => {
  const { compileCommand } = await import('./commands/models-info.js');
  const vars = await varsOf(opts);
  const state = stateOf(opts);
  process.exitCode = await compileCommand(
    {
      ...(state ? { state } : {}),
      project: projectOf(opts),
      target: opts.target,
      profilesDir: opts.profilesDir,
      ...(vars ? { vars } : {}),
      select: opts.select,
      exclude: opts.exclude,
      json: opts.json,
    },
    out,
  );
});

const docs = program
  .command('docs')
  .description('The docs page: a searchable model tree with columns, test marks, SQL and lineage');
example(
  flags.json(
    projectFlags(
      docs
        .command('generate')
        .description(
          'Write target/manifest.json, the compiled SQL and the lineage page target/docs/index.html, without running models',
        ),
    ),
  ),
  '  $ sluice docs generate && open target/docs/index.html',
).action(async (opts) => {
  const { docsGenerateCommand } = await import('./commands/models-info.js');
  const vars = await varsOf(opts);
  process.exitCode = await docsGenerateCommand(
    {
      project: projectOf(opts),
      target: opts.target,
      profilesDir: opts.profilesDir,
      ...(vars ? { vars } : {}),
      json: opts.json,
    },
    out,
  );
});
example(
  projectFlags(
    docs
      .command('serve')
      .description('Serve target/ on 127.0.0.1 (generating the docs first when missing); Ctrl-C stops it')
      .addOption(new Option('--port <port>', 'the port (0: any free port)').default(8080).argParser(portNumber)),
  ),
  '  $ sluice docs serve --port 8081          # then open http://127.0.0.1:8081/',
).action(async (opts) => {
  const { docsServeCommand } = await import('./commands/docs-serve.js');
  const vars = await varsOf(opts);
  process.exitCode = await docsServeCommand(
    {
      project: projectOf(opts),
      target: opts.target,
      profilesDir: opts.profilesDir,
      ...(vars ? { vars } : {}),
      port: opts.port,
    },
    out,
  );
});

// ---- state and history ----

example(
  flags.json(
    projectProfiles(
      program
        .command('status')
        .description('The run history: the last runs, each table’s freshness, and the tests that failed')
        .addOption(new Option('--limit <n>', 'runs to show').default(10).argParser(positiveInteger('--limit'))),
    ),
  ),
  '  $ sluice status --limit 5',
).action(async (opts) => {
  const { statusCommand } = await import('./commands/status.js');
  process.exitCode = await statusCommand(
    { project: projectOf(opts), profilesDir: opts.profilesDir, limit: opts.limit, json: opts.json },
    out,
  );
});

const state = program
  .command('state')
  .description('Show or reset the watermarks (where each table’s incremental load stands)');
example(
  flags.json(projectProfiles(state.command('show').description("Every table's position"))),
  '  $ sluice state show --project sql-models',
).action(async (opts) => {
  const { stateShowCommand } = await import('./commands/state.js');
  process.exitCode = await stateShowCommand(
    { project: projectOf(opts), profilesDir: opts.profilesDir, json: opts.json },
    out,
  );
});
example(
  flags.target(
    flags.table(
      projectProfiles(
        state
          .command('reset')
          .description(
            "Forget tables' positions (in the warehouse and the state store): the next run reloads them from scratch, other tables are untouched",
          ),
      ),
    ),
  ),
  '  $ sluice state reset --table vendas',
).action(async (opts) => {
  const { stateResetCommand } = await import('./commands/state.js');
  process.exitCode = await stateResetCommand(
    { project: projectOf(opts), profilesDir: opts.profilesDir, table: opts.table, target: opts.target },
    out,
  );
});

// ---- the demo ----

example(
  program
    .command('demo')
    .description('Run the whole NovaDrive job on embedded defaults: a local Postgres → .sluice/warehouse.duckdb')
    .option('--home <dir>', 'where the demo keeps its Postgres, warehouse and state', undefined)
    .option('--project <dir>', 'the project to run (default: the bundled sql-models/)')
    .addOption(new Option('--scale <sales>', 'sales to generate on first run').default(10_000).argParser(Number))
    .addOption(new Option('--seed <n>', 'seed of the generator').default(42).argParser(Number))
    .option('--fresh', 'start over: remove the demo home first', false)
    .option('--no-advance', 'reuse the source as it is instead of advancing it one simulated day'),
  '  $ sluice demo            # first run creates NovaDrive; later runs add a simulated day\n  $ sluice demo --fresh    # start over',
).action(async (opts) => {
  const { demoCommand } = await import('./commands/demo.js');
  process.exitCode = await demoCommand(
    {
      home: opts.home,
      project: opts.project,
      scale: opts.scale,
      seed: opts.seed,
      fresh: opts.fresh,
      advance: opts.advance,
    },
    out,
  );
});

// ---- dbt's other verbs ----

example(
  flags.json(
    flags.project(
      program
        .command('clean')
        .description("dbt's clean: remove the folders dbt_project.yml's clean-targets lists (default target/)"),
    ),
  ),
  '  $ sluice clean --project-dir jaffle-shop',
).action(async (opts) => {
  const { cleanCommand } = await import('./commands/clean.js');
  process.exitCode = await cleanCommand({ project: projectOf(opts), json: opts.json }, out);
});

// dbt's debug is Sluice's doctor (the config and connection check): the same command under dbt's name.
flags
  .json(flags.profilesDir(flags.target(flags.project(program.command('debug', { hidden: true })))))
  .action(async (opts) => {
    out.error(out.dim("sluice debug runs sluice doctor, Sluice's check of the config and every connection"));
    const { doctorCommand } = await import('./commands/doctor.js');
    process.exitCode = await doctorCommand(
      { project: projectOf(opts), target: opts.target, profilesDir: opts.profilesDir, json: opts.json },
      out,
    );
  });

// dbt verbs Sluice does not have: one line saying so, exit 2 (not commander's "unknown command" or a did-you-mean).
for (const [verb, message] of Object.entries(ABSENT_DBT_VERBS)) {
  program
    .command(verb, { hidden: true })
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new CliError(message, EXIT.usage);
    });
}

/** What a failure is, for the exit code and for `--json`. */
function describeFailure(
  error: unknown,
): { exitCode: number; code: string; message: string; lines: string[]; problems?: readonly unknown[] } | undefined {
  if (error instanceof CliError)
    return {
      exitCode: error.exitCode,
      code: error.exitCode === EXIT.usage ? 'USAGE' : 'FAILED',
      message: error.message,
      lines: [error.message],
    };
  return undefined;
}

async function main(): Promise<number> {
  const json = process.argv.includes('--json');
  try {
    await program.parseAsync(process.argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT.ok;
      if (json)
        out.line(
          JSON.stringify(
            { status: 'usage-error', exitCode: EXIT.usage, error: { code: error.code, message: error.message } },
            null,
            2,
          ),
        );
      return EXIT.usage;
    }
    const failure = describeFailure(error) ?? (await describeLibraryFailure(error));
    for (const line of failure.lines) out.error(line);
    if (json) {
      out.line(
        JSON.stringify(
          {
            status: failure.exitCode === EXIT.usage ? 'config-error' : 'failed',
            exitCode: failure.exitCode,
            error: {
              code: failure.code,
              message: failure.message,
              ...(failure.problems ? { problems: failure.problems } : {}),
            },
          },
          null,
          2,
        ),
      );
    }
    return failure.exitCode;
  }
}

/** Errors of the libraries: config problems (exit 2, each with its place), a bad selector (2), the rest (1). */
async function describeLibraryFailure(
  error: unknown,
): Promise<{ exitCode: number; code: string; message: string; lines: string[]; problems?: readonly unknown[] }> {
  const code = error && typeof error === 'object' && 'code' in error ? String(error.code) : 'INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.name === 'ConfigError' && 'problems' in error) {
    const { problemLines } = await import('./config-problems.js');
    const problems = (error as Error & { problems: readonly ConfigProblem[] }).problems;
    const lines = problemLines(problems);
    lines.push(
      `sluice: ${lines.length === 1 ? 'a configuration problem' : `${lines.length} configuration problems`}; nothing was run`,
    );
    return { exitCode: EXIT.usage, code, message: lines.slice(0, -1).join('\n'), lines, problems };
  }
  if (
    error instanceof Error &&
    error.name === 'ModelsError' &&
    (code === 'INVALID_SELECTOR' || code === 'PROJECT_HAS_ERRORS' || code === 'INVALID_STATE')
  ) {
    return { exitCode: EXIT.usage, code, message, lines: [`sluice: ${message}`] };
  }
  const lines = [`sluice: ${message}${code === 'INTERNAL' ? '' : ` [${code}]`}`];
  if (code === 'SOURCE_UNREACHABLE' && /password/i.test(message)) {
    lines.push(
      'hint: a password not in source.url is read from PGPASSWORD; or write the URL as ${env:NAME} and export NAME',
    );
  }
  return { exitCode: EXIT.failed, code, message, lines };
}

// Exit explicitly: a library's leftover handle must never keep the CLI alive, nor change its exit code.
// Wait for stdout to flush first: a large --json result on a pipe must arrive whole.
void main().then((code) => process.stdout.write('', () => process.exit(code)));
