import { randomUUID } from 'node:crypto';
import { genericTestSql } from '@sluice/data-tests';
import type { Relation, RelationColumn, SqlDialect, Warehouse } from '@sluice/warehouse';
import { keywordArguments, type CallArguments } from './call-arguments.js';
import { closestNames } from '@sluice/warehouse';
import { ephemeralCteName, injectCtes } from './inject-ctes.js';
import { ModelsError } from './models-error.js';
import { configArguments, lookupEnv, lookupVariable } from './parse-hooks.js';
import { projectInternals } from './project-internals.js';
import { didYouMean, type ProjectIssue } from './project-issue.js';
import type {
  ModelNode,
  Project,
  ProjectNode,
  ProjectRunHook,
  SeedNode,
  SnapshotNode,
  SourceNode,
  TestNode,
  UnitTestInput,
  UnitTestSpec,
} from './project.js';
import { projectGraph } from './project-graph-value.js';
import { scanReferences } from './scan-references.js';
import type { StateRelation } from './state-manifest.js';
import { RelationValue, TemplateError, TemplateUsageError, type RenderHooks } from './template-engine.js';
import { fixtureSql, typedFixtureSql } from './unit-tests/unit-test-sql.js';
import { pendingWarehouseCall, WarehouseCallLog, withWarehouseCalls, type WarehouseCalls } from './warehouse-calls.js';

/**
 * The warehouse target models are built in: `target.name`, `target.type` and `target.schema` in templates.
 * `schema` is the default schema; a model's `+schema: stage` builds in `<schema>_stage` (dbt's rule) unless the
 * project overrides the `generate_schema_name` macro.
 */
export interface TargetConfig {
  readonly name: string;
  /** The engine (`duckdb`, `snowflake`). */
  readonly type: string;
  readonly schema: string;
  readonly database?: string;
  readonly threads?: number;
}

/** One node rendered to SQL. */
export interface CompiledNode {
  readonly id: string;
  readonly kind: ProjectNode['kind'];
  /** The query (a SELECT; for tests, the failing rows), with ephemeral models inlined as CTEs. */
  readonly sql: string;
  /** Where the node is built (models, snapshots) or its failing rows stored (tests); absent for ephemeral models. */
  readonly relation?: Relation;
  readonly preHooks: readonly string[];
  readonly postHooks: readonly string[];
  /** Path of the compiled SQL file under the target folder: `compiled/<project>/<file>`. */
  readonly compiledPath: string;
}

export interface CompileOptions {
  readonly target: TargetConfig;
  readonly dialect: SqlDialect;
  /** Whether `is_incremental()` is true for a node (runProject: the table exists and no full refresh). Default false. */
  readonly isIncremental?: (node: ModelNode) => boolean;
  /** `run_started_at` in templates (default: now). */
  readonly runStartedAt?: Date;
  /** Compile only these node ids (default: every model, snapshot and test). */
  readonly nodes?: readonly string[];
  /** What templates see as `flags.WHICH` (the command: `run`, `build`, `compile`, `test`…); default `compile`. */
  readonly which?: string;
  /** `flags.FULL_REFRESH`. */
  readonly fullRefresh?: boolean;
  /** `invocation_id` (default: a new one per compiler). */
  readonly invocationId?: string;
  /** Where `log()`, `print()` and `exceptions.warn()` messages go (default: nowhere). */
  readonly onLog?: (message: string, node: string) => void;
  /**
   * `--defer`: nodes whose `ref()` resolves to the relation a state manifest records (e.g. production's) instead
   * of this target's (`deferredRelations` decides which). `this` and where nodes are built never change.
   */
  readonly deferred?: ReadonlyMap<string, StateRelation>;
}

export interface CompileResult {
  readonly nodes: ReadonlyMap<string, CompiledNode>;
  /** Nodes that failed to render, with file and line. */
  readonly errors: readonly ProjectIssue[];
}

/**
 * Path of a node's compiled SQL under the target folder: `compiled/<package>/<file in the package>` (dbt's layout;
 * the root project is a package too).
 */
export function compiledPathOf(project: Project, node: ProjectNode): string {
  const packageName = node.id.split('.')[1] ?? project.name;
  const pkg = packageName === project.name ? undefined : project.packages.find((p) => p.name === packageName);
  const own =
    pkg !== undefined && node.file.startsWith(`${pkg.root}/`) ? node.file.slice(pkg.root.length + 1) : node.file;
  const file =
    node.kind === 'test' && node.testType === 'generic'
      ? `${own}/${node.alias ?? node.name}.sql`
      : node.kind === 'test' && node.unit !== undefined
        ? `${own}/${node.unit.model.split('.').at(-1) ?? ''}/${node.name}.sql`
        : node.kind === 'snapshot'
          ? `${own.replace(/[^/]+$/, '')}${node.name}.sql`
          : own;
  return `compiled/${pkg?.name ?? project.name}/${file}`;
}

/**
 * Renders nodes to SQL for one target and dialect. Pure: no I/O. Relations, schema names and ephemeral CTEs are
 * memoized, so compiling a whole project renders each template once.
 */
export class ProjectCompiler {
  private readonly byName = new Map<string, ModelNode | SnapshotNode | SeedNode>();
  private readonly relations = new Map<string, Relation | undefined>();
  private readonly ephemeralSql = new Map<string, { sql: string; uses: string[] }>();
  private readonly runStartedAt: string;
  private graph: unknown;
  private readonly flags: Readonly<Record<string, unknown>>;
  private readonly invocationId: string;

  constructor(
    readonly project: Project,
    readonly options: Omit<CompileOptions, 'nodes'>,
  ) {
    for (const node of project.nodes.values()) {
      if (node.kind === 'model' || node.kind === 'snapshot' || node.kind === 'seed') this.byName.set(node.name, node);
    }
    this.runStartedAt = (options.runStartedAt ?? new Date()).toISOString();
    this.flags = {
      WHICH: options.which ?? 'compile',
      FULL_REFRESH: options.fullRefresh ?? false,
      STORE_FAILURES: false,
    };
    this.invocationId = options.invocationId ?? randomUUID();
  }

  private get dialect(): SqlDialect {
    return this.options.dialect;
  }

  /** The relation a model or snapshot is built as, a source is read from, or a test stores failures in. */
  relationOf(node: ProjectNode): Relation | undefined {
    if (this.relations.has(node.id)) return this.relations.get(node.id);
    let relation: Relation | undefined;
    switch (node.kind) {
      case 'source':
        relation = { schema: node.schema, name: node.identifier };
        break;
      case 'model':
        relation =
          node.materialized === 'ephemeral'
            ? undefined
            : { schema: this.schemaName(node, node.config.schema), name: node.config.alias ?? node.name };
        break;
      case 'snapshot':
        relation = {
          schema: node.config.target_schema ?? this.schemaName(node, node.config.schema),
          name: node.config.alias ?? node.name,
        };
        break;
      case 'seed':
        relation = { schema: this.schemaName(node, node.config.schema), name: node.config.alias ?? node.name };
        break;
      case 'test':
        relation = {
          // dbt's default custom schema of tests: `<target schema>_dbt_test__audit`.
          schema: this.schemaName(node, node.config.schema ?? 'dbt_test__audit'),
          name: node.alias ?? node.name,
        };
        break;
    }
    this.relations.set(node.id, relation);
    return relation;
  }

  /** dbt's `generate_schema_name`: the project's macro when it defines one, else `<target schema>_<custom>`. */
  private schemaName(node: ProjectNode, custom: string | undefined): string {
    const { engine } = projectInternals(this.project);
    if (engine.hasMacro('generate_schema_name')) {
      const hooks = this.hooks(node, false, []);
      const value = engine.callMacro('generate_schema_name', hooks, [custom ?? null, this.nodeValue(node)]).trim();
      if (value === '')
        throw new ModelsError('COMPILE_FAILED', `generate_schema_name returned nothing for ${node.name}.`, {
          node: node.id,
        });
      return value;
    }
    const base = this.options.target.schema;
    return custom === undefined ? base : `${base}_${custom.trim()}`;
  }

  private nodeValue(node: ProjectNode): Record<string, unknown> {
    return {
      name: node.name,
      unique_id: node.id,
      resource_type: node.kind,
      package_name: this.packageOf(node),
      original_file_path: node.file,
      path: node.file,
      fqn: node.fqn,
      tags: node.tags,
      description: node.description,
      config: 'config' in node ? node.config : {},
      ...('rawSql' in node && node.rawSql !== undefined ? { raw_code: node.rawSql, raw_sql: node.rawSql } : {}),
      depends_on: { nodes: node.dependsOn, macros: [] },
    };
  }

  private relationValue(node: ProjectNode, uses: string[]): RelationValue {
    if (node.kind === 'model' && node.materialized === 'ephemeral') {
      uses.push(node.id);
      const cte = ephemeralCteName(node.name);
      return new RelationValue('', cte, cte, { type: 'cte' });
    }
    const deferred = this.options.deferred?.get(node.id);
    if (deferred !== undefined) return this.deferredValue(node, deferred);
    return this.relationValueOf(node);
  }

  /** `ref()` to a deferred node: the state's relation, database-qualified when it is not this target's database. */
  private deferredValue(node: ProjectNode, deferred: StateRelation): RelationValue {
    const relation = { schema: deferred.schema, name: deferred.name };
    const qualified = this.dialect.qualify(relation);
    const database = deferred.database ?? undefined;
    const text =
      database === undefined || database === this.options.target.database
        ? qualified
        : `${this.dialect.quoteIdentifier(database)}.${qualified}`;
    const type = node.kind === 'model' && node.materialized === 'view' ? 'view' : 'table';
    return new RelationValue(relation.schema, relation.name, text, {
      quoting: this.dialect,
      type,
      ...(database === undefined ? {} : { database }),
    });
  }

  /** A node's relation as templates see it: quoted by the dialect, with dbt's relation type. */
  private relationValueOf(node: ProjectNode): RelationValue {
    const relation = this.relationOf(node) as Relation;
    const type =
      node.kind === 'model'
        ? node.materialized === 'view'
          ? 'view'
          : 'table'
        : node.kind === 'source'
          ? null
          : 'table';
    return RelationValue.of(relation, this.dialect, {
      type,
      ...(this.options.target.database === undefined ? {} : { database: this.options.target.database }),
    });
  }

  /** The package a node belongs to (the second part of its id). */
  private packageOf(node: ProjectNode): string {
    return node.id.split('.')[1] ?? this.project.name;
  }

  /**
   * The hooks of a compile-mode render of `node`; ephemeral models it reads are pushed to `uses`. `warehouse`
   * answers what the templates ask the warehouse (absent: asking is an error naming the template).
   */
  hooks(
    node: ProjectNode | undefined,
    incremental: boolean,
    uses: string[],
    warehouse?: WarehouseCalls,
    operationId = '',
  ): RenderHooks {
    const { env, secrets, packageVars } = projectInternals(this.project);
    const nodePackage = node === undefined ? this.project.name : this.packageOf(node);
    const vars =
      nodePackage === this.project.name ? this.project.vars : (packageVars.get(nodePackage) ?? this.project.vars);
    const project = this.project;
    const config = node !== undefined && 'config' in node ? (node.config as Record<string, unknown>) : {};
    const refNode = (args: CallArguments): ModelNode | SnapshotNode | SeedNode => {
      const name = String(args.positional.at(-1));
      const pkg = args.positional.length >= 2 ? String(args.positional[0]) : undefined;
      const found = this.byName.get(name);
      if (found !== undefined && pkg !== undefined && this.packageOf(found) !== pkg) {
        throw new TemplateUsageError(
          `ref('${pkg}', '${name}'): ${name} is in package ${this.packageOf(found)}, not ${pkg}.`,
        );
      }
      if (!found) {
        throw new TemplateUsageError(
          `ref('${name}') names no model, seed or snapshot.${didYouMean(closestNames(name, this.byName.keys()))}`,
        );
      }
      return found;
    };
    let self: RelationValue | undefined;
    const compiler = this;
    return {
      mode: 'compile',
      ref: (args) => this.relationValue(refNode(args), uses),
      source: (args) => {
        const [sourceName, table] = args.positional as [unknown, unknown];
        const found = [nodePackage, project.name, ...project.packages.map((p) => p.name)]
          .map((pkg) => project.nodes.get(`source.${pkg}.${String(sourceName)}.${String(table)}`))
          .find((n): n is SourceNode => n?.kind === 'source');
        if (!found)
          throw new TemplateUsageError(`source('${String(sourceName)}', '${String(table)}') is not declared.`);
        return this.relationValue(found, uses);
      },
      config: (args) => {
        configArguments(args);
      },
      configGet: (key, fallback) => config[key] ?? fallback,
      variable: (name, fallback) => {
        const found = lookupVariable(vars, name, fallback);
        if (found === undefined) throw new TemplateUsageError(`var('${name}') has no value and no default.`);
        return found.value;
      },
      envVar: (name, fallback) => {
        const found = lookupEnv(env, secrets, name, fallback);
        if (found === undefined)
          throw new TemplateUsageError(`env_var('${name}'): ${name} is not set and there is no default.`);
        return found.value;
      },
      isIncremental: () => incremental,
      // `this` is resolved lazily: computing a relation can call generate_schema_name, itself a render.
      get thisRelation() {
        if (node === undefined) return undefined;
        self ??= compiler.thisValue(node, uses);
        return self;
      },
      target: {
        ...this.options.target,
        profile_name: this.options.target.name,
        threads: this.options.target.threads ?? 1,
      },
      model: node === undefined ? undefined : this.nodeValue(node),
      dialect: this.dialect,
      runStartedAt: this.runStartedAt,
      ...(warehouse === undefined ? {} : { warehouse }),
      graph: () => (this.graph ??= projectGraph(this.project, (n) => this.relationOf(n), this.dialect)),
      flags: this.flags,
      invocationId: this.invocationId,
      log: (message) => this.options.onLog?.(message, node?.id ?? operationId),
    };
  }

  /**
   * One of dbt_project.yml's `on-run-start` / `on-run-end` statements, rendered as dbt renders them: no `this` or
   * `model`; `runContext` gives on-run-end its `results`, `schemas` and `database_schemas`.
   */
  compileRunHook(
    hook: ProjectRunHook,
    runContext?: Readonly<Record<string, unknown>>,
    warehouse?: WarehouseCalls,
  ): string {
    const { engine } = projectInternals(this.project);
    const id = `operation.${this.project.name}.${this.project.name}-${hook.event}-${hook.index}`;
    const base = this.hooks(undefined, false, [], warehouse, id);
    const padded = '\n'.repeat(Math.max(0, (hook.line ?? 1) - 1)) + hook.sql;
    return engine.renderString(padded, hook.file, runContext === undefined ? base : { ...base, runContext }).trim();
  }

  /** `{{ this }}` for a node. */
  thisValue(node: ProjectNode, uses: string[]): RelationValue {
    if (node.kind === 'model' && node.materialized === 'ephemeral') return this.relationValue(node, uses);
    return this.relationValueOf(node);
  }

  /**
   * Render one node (models, snapshots, tests; a seed has no SQL: its relation only). Throws
   * `ModelsError('COMPILE_FAILED')` with the file and line, or `WarehouseCallPending` when a template asks
   * `warehouse` something it has no answer for yet.
   */
  compileNode(id: string, incremental = false, warehouse?: WarehouseCalls): CompiledNode {
    const node = this.project.nodes.get(id);
    if (node === undefined || node.kind === 'source') {
      throw new ModelsError('COMPILE_FAILED', `no model, snapshot or test with id ${id}.`, { node: id });
    }
    if (node.kind === 'seed') {
      let relation: Relation | undefined;
      let hooks: { pre: string[]; post: string[] };
      try {
        relation = this.relationOf(node);
        hooks = this.renderHooks(node, false);
      } catch (error) {
        throw this.compileError(node, error);
      }
      return {
        id,
        kind: 'seed',
        sql: '',
        ...(relation === undefined ? {} : { relation }),
        preHooks: hooks.pre,
        postHooks: hooks.post,
        compiledPath: compiledPathOf(this.project, node),
      };
    }
    if (node.kind === 'test' && node.unit !== undefined) {
      let sql: string;
      try {
        sql = this.unitTestSql(node, node.unit, warehouse);
      } catch (error) {
        if (pendingWarehouseCall(error) !== undefined) throw pendingWarehouseCall(error);
        throw this.compileError(node, error);
      }
      return { id, kind: 'test', sql, preHooks: [], postHooks: [], compiledPath: compiledPathOf(this.project, node) };
    }
    const uses: string[] = [];
    let sql: string;
    let preHooks: string[] = [];
    let postHooks: string[] = [];
    try {
      sql = this.renderBody(node, incremental, uses, warehouse);
      if (node.kind === 'model' || node.kind === 'snapshot') {
        const hooks = this.renderHooks(node, incremental, warehouse);
        preHooks = hooks.pre;
        postHooks = hooks.post;
      }
      sql = injectCtes(sql, this.ephemeralCtes(uses, new Set([node.id]), warehouse));
    } catch (error) {
      if (pendingWarehouseCall(error) !== undefined) throw pendingWarehouseCall(error);
      throw this.compileError(node, error);
    }
    const relation = this.relationOf(node);
    return {
      id,
      kind: node.kind,
      sql,
      ...(relation === undefined ? {} : { relation }),
      preHooks,
      postHooks,
      compiledPath: compiledPathOf(this.project, node),
    };
  }

  /**
   * A unit test's query: the model under test rendered with each `ref` / `source` it reads (and `this`, when
   * given) replaced by a CTE of the given rows — cast to the real input relation's column types, which `warehouse`
   * describes — with `is_incremental()`, vars, env vars and macros as `overrides` say. An input the model reads
   * but the test does not give is an error naming it.
   */
  private unitTestSql(node: TestNode, spec: UnitTestSpec, warehouse: WarehouseCalls | undefined): string {
    const model = this.project.nodes.get(spec.model);
    const template = projectInternals(this.project).templates.get(spec.model);
    if (model?.kind !== 'model' || template === undefined)
      throw new ModelsError('COMPILE_FAILED', `unit test ${node.name}: ${spec.model} is not a SQL model.`);
    const fixtures: Array<{ name: string; sql: string }> = [];
    const stand = new Map<string, RelationValue>();
    const standIn = (key: string, name: string, sql: string): void => {
      fixtures.push({ name, sql });
      const cte = ephemeralCteName(name);
      stand.set(key, new RelationValue('', cte, cte, { type: 'cte' }));
    };
    let untypedThis: UnitTestInput | undefined;
    for (const given of spec.given) {
      const input = given.node === 'this' ? model : this.project.nodes.get(given.node);
      if (input === undefined) continue;
      const relation = this.relationOf(input);
      if (relation === undefined && given.format !== 'sql')
        throw new TemplateUsageError(
          `unit test ${node.name}: input ${given.input} is an ephemeral model: give its rows with format: sql (dbt's rule; it has no relation to read column types from).`,
        );
      let columns: RelationColumn[] | undefined;
      if (given.format !== 'sql' && warehouse !== undefined && relation !== undefined) {
        const answer = warehouse({ kind: 'describe', relation });
        const state = answer.kind === 'describe' ? answer.state : undefined;
        if (state === undefined && given.node === 'this') {
          // Before the model's first build, `this` is typed by the model's own output (below).
          untypedThis = given;
          continue;
        }
        if (state === undefined)
          throw new TemplateUsageError(
            `unit test ${node.name}: input ${given.input} has no relation ${relation.schema}.${relation.name} in the warehouse to read its column types from; build it first (sluice build --select +${model.name}), or give the input with format: sql.`,
          );
        columns = [...state.columns];
      }
      const name = `unit_${given.node === 'this' ? 'this' : input.name}${input.kind === 'source' ? `_${input.sourceName}` : ''}`;
      standIn(given.node, name, fixtureSql(given, columns, this.dialect, `given ${given.input}`));
    }
    const macros = spec.overrides.macros;
    const incremental = 'is_incremental' in macros ? Boolean(macros.is_incremental) : false;
    const { engine } = projectInternals(this.project);
    const render = (asIncremental: boolean): string =>
      engine.render(template, this.unitTestHooks(node, model, spec, stand, asIncremental, warehouse)).trim();
    if (untypedThis !== undefined) {
      const output = injectCtes(render(false), fixtures);
      standIn('this', 'unit_this', typedFixtureSql(untypedThis, output, this.dialect));
    }
    return injectCtes(render(incremental), fixtures);
  }

  /** The hooks of a unit test's render: inputs as their stand-ins, overrides over vars, env vars and macros. */
  private unitTestHooks(
    node: TestNode,
    model: ModelNode,
    spec: UnitTestSpec,
    stand: ReadonlyMap<string, RelationValue>,
    incremental: boolean,
    warehouse: WarehouseCalls | undefined,
  ): RenderHooks {
    const base = this.hooks(model, false, [], warehouse);
    const macros = spec.overrides.macros;
    const missing = (call: string): never => {
      throw new TemplateUsageError(
        `unit test ${node.name}: the model reads ${call}, which the test does not give: add it under given.`,
      );
    };
    const { vars, envVars } = spec.overrides;
    return {
      ...base,
      ref: (args) => {
        const name = String(args.positional.at(-1));
        const found = this.byName.get(name);
        const given = found && stand.get(found.id);
        if (given !== undefined) return given;
        // A seed the test does not give is read as it is (dbt's rule: `input` is optional for seeds).
        return found?.kind === 'seed' ? this.relationValueOf(found) : missing(`ref('${name}')`);
      },
      source: (args) => {
        const [a, b] = args.positional.map(String);
        const id = [...stand.keys()].find((k) => k.startsWith('source.') && k.endsWith(`.${a}.${b}`));
        return (id && stand.get(id)) ?? missing(`source('${a}', '${b}')`);
      },
      variable: (name, fallback) => (name in vars ? vars[name] : base.variable(name, fallback)),
      envVar: (name, fallback) => (name in envVars ? envVars[name] : base.envVar(name, fallback)),
      isIncremental: () => incremental,
      thisRelation: stand.get('this') ?? base.thisRelation,
      invocationId: 'invocation_id' in macros ? String(macros.invocation_id) : (base.invocationId ?? ''),
      macroOverrides: macros,
    };
  }

  /** A model's, snapshot's or seed's `pre_hook` / `post_hook` statements, rendered. */
  private renderHooks(
    node: ModelNode | SnapshotNode | SeedNode,
    incremental: boolean,
    warehouse?: WarehouseCalls,
  ): { pre: string[]; post: string[] } {
    const hooks = this.hooks(node, incremental, [], warehouse);
    const { engine } = projectInternals(this.project);
    const render = (list: readonly string[] | undefined): string[] =>
      // A package's model calls its package's macros unqualified in its hooks too (dbt's local namespace).
      (list ?? []).map((h) => engine.renderString(h, node.file, hooks, node.fqn[0]).trim()).filter((h) => h !== '');
    return { pre: render(node.config.pre_hook), post: render(node.config.post_hook) };
  }

  private compileError(node: ProjectNode, error: unknown): ModelsError {
    if (error instanceof ModelsError) return error;
    const { engine } = projectInternals(this.project);
    const e = error instanceof TemplateError ? error : engine.toTemplateError(error, node.file);
    const line = e.line ?? node.line;
    return new ModelsError('COMPILE_FAILED', `${node.file}${line === undefined ? '' : `:${line}`}: ${e.message}`, {
      node: node.id,
      file: node.file,
      ...(line === undefined ? {} : { line }),
      cause: error,
    });
  }

  private renderBody(
    node: Exclude<ProjectNode, SourceNode | SeedNode>,
    incremental: boolean,
    uses: string[],
    warehouse: WarehouseCalls | undefined,
  ): string {
    const { engine, templates } = projectInternals(this.project);
    if (node.kind === 'test' && node.testType === 'generic') return this.genericTestSql(node, uses, warehouse);
    const template = templates.get(node.id);
    if (template === undefined)
      throw new ModelsError('COMPILE_FAILED', `${node.name} has no template.`, { node: node.id });
    return engine.render(template, this.hooks(node, incremental, uses, warehouse)).trim();
  }

  private genericTestSql(node: TestNode, uses: string[], warehouse: WarehouseCalls | undefined): string {
    const { engine } = projectInternals(this.project);
    const tested = this.project.nodes.get(node.attachedTo ?? '');
    if (tested === undefined)
      throw new ModelsError('COMPILE_FAILED', `test ${node.name}: the tested node is missing.`, { node: node.id });
    const hooks = this.hooks(node, false, uses, warehouse);
    const model = this.relationValue(tested, uses);
    // Arguments written as ref('x') / source('s', 't') / {{ … }} are rendered to relations.
    const args: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node.args)) {
      if (typeof value === 'string' && (value.includes('{{') || isRelationCall(value))) {
        const rendered = value.includes('{{') ? value : `{{ ${value} }}`;
        args[key] = engine.renderString(rendered, node.file, hooks).trim();
      } else {
        args[key] = value;
      }
    }
    const where = node.config.where;
    const columnName =
      node.columnName !== undefined && node.quoteColumn
        ? this.dialect.quoteIdentifier(node.columnName)
        : node.columnName;
    if (node.builtin) {
      return genericTestSql(
        node.testName as string,
        {
          relation: model.toString(),
          ...(columnName === undefined ? {} : { columnName }),
          args,
          ...(where === undefined ? {} : { where }),
        },
        this.dialect,
      );
    }
    const modelArg =
      where === undefined
        ? model
        : new RelationValue(
            model.schema,
            model.identifier,
            `(select * from ${model.toString()} where ${where}) as sluice_subquery`,
          );
    return engine
      .callMacro(
        `test_${node.testName as string}`,
        hooks,
        [
          keywordArguments({
            model: modelArg,
            ...(columnName === undefined ? {} : { column_name: columnName }),
            ...args,
          }),
        ],
        node.testPackage,
      )
      .trim();
  }

  /** The ephemeral models a query reads, compiled, dependencies first. */
  private ephemeralCtes(
    uses: readonly string[],
    visiting: Set<string>,
    warehouse: WarehouseCalls | undefined,
  ): Array<{ name: string; sql: string }> {
    const out: Array<{ name: string; sql: string }> = [];
    const added = new Set<string>();
    const visit = (id: string): void => {
      if (added.has(id)) return;
      if (visiting.has(id))
        throw new ModelsError('COMPILE_FAILED', `ephemeral models refer to each other in a circle at ${id}.`, {
          node: id,
        });
      const node = this.project.nodes.get(id) as ModelNode;
      let compiled = this.ephemeralSql.get(id);
      if (compiled === undefined) {
        const inner: string[] = [];
        try {
          compiled = { sql: this.renderBody(node, false, inner, warehouse), uses: inner };
        } catch (error) {
          if (pendingWarehouseCall(error) !== undefined) throw pendingWarehouseCall(error);
          throw this.compileError(node, error);
        }
        this.ephemeralSql.set(id, compiled);
      }
      visiting.add(id);
      for (const dep of compiled.uses) visit(dep);
      visiting.delete(id);
      added.add(id);
      out.push({ name: node.name, sql: compiled.sql });
    };
    for (const id of uses) visit(id);
    return out;
  }
}

function isRelationCall(value: string): boolean {
  const scanned = scanReferences(`{{ ${value} }}`);
  return /^\s*(ref|source)\s*\(/.test(value) && scanned.refs.length + scanned.sources.length === 1;
}

/**
 * Render every model, snapshot and test of a project to SQL for a target. Pure: it reads nothing and runs
 * nothing; `writeArtifacts` writes the result under `target/compiled/`. Failures are returned with their file and
 * line, never thrown. A template that asks the warehouse something (`run_query`, `adapter.get_columns_in_relation`)
 * fails here: compile it with `compileProjectWithWarehouse`.
 *
 * @example
 * const { nodes, errors } = compileProject(project, { target: { name: 'dev', type: 'duckdb', schema: 'main' }, dialect: warehouse.dialect });
 */
export function compileProject(project: Project, options: CompileOptions): CompileResult {
  const compiler = new ProjectCompiler(project, options);
  const nodes = new Map<string, CompiledNode>();
  const errors: ProjectIssue[] = [];
  for (const { id, node, incremental } of compileTargets(project, options)) {
    try {
      nodes.set(id, compiler.compileNode(id, incremental));
    } catch (error) {
      errors.push(compileIssue(error, node));
    }
  }
  return { nodes, errors };
}

/**
 * `compileProject` with a warehouse: what templates ask it while they render (`run_query`, `statement`,
 * `adapter.get_columns_in_relation`, `get_relation`) is asked, as dbt's compile does. Each node's questions are
 * asked once; statements a template runs (`{% call statement %}`) run once per node.
 *
 * @example const { nodes } = await compileProjectWithWarehouse(project, warehouse, { target, dialect: warehouse.dialect });
 */
export async function compileProjectWithWarehouse(
  project: Project,
  warehouse: Warehouse,
  options: CompileOptions & { readonly signal?: AbortSignal },
): Promise<CompileResult> {
  const compiler = new ProjectCompiler(project, options);
  const nodes = new Map<string, CompiledNode>();
  const errors: ProjectIssue[] = [];
  for (const { id, node, incremental } of compileTargets(project, options)) {
    const log = new WarehouseCallLog();
    try {
      nodes.set(
        id,
        await withWarehouseCalls(log, () => compiler.compileNode(id, incremental, log.answer), warehouse, {
          tag: `sluice compile ${id}`,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        }),
      );
    } catch (error) {
      errors.push(compileIssue(error, node));
    }
  }
  return { nodes, errors };
}

function compileTargets(
  project: Project,
  options: CompileOptions,
): Array<{ id: string; node: Exclude<ProjectNode, SourceNode | SeedNode>; incremental: boolean }> {
  const ids = options.nodes ?? [...project.nodes.values()].filter((n) => n.kind !== 'source').map((n) => n.id);
  const out: Array<{ id: string; node: Exclude<ProjectNode, SourceNode | SeedNode>; incremental: boolean }> = [];
  for (const id of ids) {
    const node = project.nodes.get(id);
    // Sources and seeds have no SQL to render.
    if (node === undefined || node.kind === 'source' || node.kind === 'seed') continue;
    const incremental =
      node.kind === 'model' && node.materialized === 'incremental' ? (options.isIncremental?.(node) ?? false) : false;
    out.push({ id, node, incremental });
  }
  return out;
}

function compileIssue(error: unknown, node: ProjectNode): ProjectIssue {
  const e = error as ModelsError;
  return {
    code: 'TEMPLATE_ERROR',
    severity: 'error',
    message: (e.message ?? String(error)).replace(/^[^:]+:\d+: /, ''),
    file: e.file ?? node.file,
    ...(e.line === undefined ? {} : { line: e.line }),
  };
}

/**
 * The relation each seed, model (not ephemeral) and snapshot of a project is built as in a target, by node id:
 * what a caller checks for existence before it takes a node as built.
 */
export function builtRelations(project: Project, target: TargetConfig, dialect: SqlDialect): Map<string, Relation> {
  const compiler = new ProjectCompiler(project, { target, dialect });
  const out = new Map<string, Relation>();
  for (const node of project.nodes.values()) {
    if (node.kind !== 'model' && node.kind !== 'seed' && node.kind !== 'snapshot') continue;
    const relation = compiler.relationOf(node);
    if (relation) out.set(node.id, relation);
  }
  return out;
}
