import { GENERIC_TEST_NAMES, isGenericTestName, validateGenericTestArgs } from '@sluice/data-tests';
import { closestNames } from '@sluice/warehouse';
import { keywordArguments } from '../call-arguments.js';
import { RelationValue } from '../dbt-relation.js';
import { mergeConfig, validateConfig } from '../node-config.js';
import { emptyParseRecord } from '../parse-hooks.js';
import { didYouMean } from '../project-issue.js';
import type { TestNode } from '../project.js';
import type { TestDeclaration } from '../property-files.js';
import { escapeRegExp, lineOfMatch, scanReferences } from '../scan-references.js';
import type { CompiledTemplate } from '../template-engine.js';
import type { RelationalNodes } from './collect-relational-nodes.js';
import { atLine, type LoadContext } from './load-context.js';
import { genericTestName } from './generic-test-name.js';
import type { FileEntry } from './read-project-files.js';
import type { ProjectSettings } from './read-project-settings.js';
import type { ReferenceResolver } from './reference-resolver.js';
import type { TemplateParser } from './template-parser.js';

/** What the test phase reads. */
export interface TestSources {
  readonly singularFiles: readonly FileEntry[];
  readonly propertyFiles: readonly FileEntry[];
  readonly declarations: readonly TestDeclaration[];
  /** Macro names (custom generic tests are `test_<name>` macros). */
  readonly macros: ReadonlyMap<string, string>;
}

/**
 * Phase 8: the data tests — singular test files, then the generic tests declared in property files (a test name
 * that is neither built in nor a `{% test %}` macro is INVALID_TEST, with the closest names). Names are unique
 * (DUPLICATE_NAME); a generic test without a `name:` is named after the test, the node and the column.
 */
export function collectTests(
  ctx: LoadContext,
  parser: TemplateParser,
  settings: ProjectSettings,
  resolver: ReferenceResolver,
  relational: RelationalNodes,
  sources: TestSources,
): TestNode[] {
  const collector = new TestCollector(ctx, parser, settings, resolver, relational, sources);
  for (const f of sources.singularFiles) collector.addSingular(f);
  for (const declaration of sources.declarations) collector.addGeneric(declaration);
  return collector.tests;
}

class TestCollector {
  readonly tests: TestNode[] = [];
  private readonly names = new Map<string, string>();
  private readonly fileFolders: Map<string, readonly string[]>;
  private readonly customTestNames: string[];

  constructor(
    private readonly ctx: LoadContext,
    private readonly parser: TemplateParser,
    private readonly settings: ProjectSettings,
    private readonly resolver: ReferenceResolver,
    private readonly relational: RelationalNodes,
    sources: TestSources,
  ) {
    this.fileFolders = new Map(sources.propertyFiles.map((f) => [f.file, f.folders] as const));
    this.customTestNames = [...sources.macros.keys()].filter((n) => n.startsWith('test_')).map((n) => n.slice(5));
  }

  addSingular(f: FileEntry): void {
    const { projectName } = this.settings;
    const name = f.stem;
    const id = `test.${projectName}.${name}`;
    let template: CompiledTemplate;
    try {
      template = this.ctx.engine.compile(f.text, f.file, projectName);
    } catch (error) {
      this.parser.templateIssue(error, f.file);
      return;
    }
    const record = this.parser.render(template, f.file, f.text, name, id);
    const own = validateConfig('test', record.config, {
      file: f.file,
      lineOf: (key) => lineOfMatch(f.text, new RegExp(`\\b${escapeRegExp(key)}\\s*=`)),
      what: `config() of test ${name}`,
    });
    this.ctx.issues.push(...own.issues);
    const config = mergeConfig(this.settings.folders.tests.configs.resolve(f.folders), own.config);
    if (config.enabled === false) return;
    if (!this.claimName(name, f.file, 1)) return;
    this.ctx.templates.set(id, template);
    const deps = this.resolver.resolveAll(id, record, f.file, f.text);
    this.tests.push({
      id,
      kind: 'test',
      name,
      file: f.file,
      line: 1,
      fqn: [projectName, ...f.folders, name],
      description: '',
      tags: (config.tags as string[] | undefined) ?? [],
      dependsOn: deps,
      testType: 'singular',
      args: {},
      config,
      rawSql: f.text,
    });
  }

  addGeneric(declaration: TestDeclaration): void {
    const { projectName } = this.settings;
    const source = declaration.place.source;
    const line = source.lineOf(declaration.place.path);
    const at = { file: source.file, ...atLine(line) };
    const target = this.targetOf(declaration);
    if (target === undefined) return;
    const kind = this.testKind(declaration, at);
    if (kind === undefined) return;
    const lineOf = (key: string) => source.lineOf(declaration.configPaths[key] ?? declaration.place.path, true);
    // dbt renders the YAML's config values (var(), env_var(), target) before it validates them.
    const own = validateConfig('test', this.parser.renderYamlConfig(declaration.config, source.file, lineOf), {
      file: source.file,
      lineOf,
      what: `test ${declaration.testName}`,
    });
    this.ctx.issues.push(...own.issues);
    const folders = this.fileFolders.get(source.file) ?? [];
    const fromMacro = kind.builtin ? {} : this.macroConfig(declaration, kind, at);
    const config = mergeConfig(
      mergeConfig(this.settings.folders.tests.configs.resolve(folders), fromMacro),
      own.config,
    );
    if (config.enabled === false) return;
    const deps = this.argumentDependencies(declaration, target.attachedTo, source.file);
    // dbt's name: `<package>_` when the test is written with one, `source_` on a source, the arguments' values.
    const dot = declaration.testName.lastIndexOf('.');
    const namespace = dot < 0 ? '' : `${declaration.testName.slice(0, dot)}_`;
    const testType = `${namespace}${declaration.target.kind === 'source' ? 'source_' : ''}${kind.testName}`;
    const synthesized = genericTestName(testType, target.label, {
      ...declaration.args,
      ...(declaration.columnName === undefined ? {} : { column_name: declaration.columnName }),
    });
    let name = declaration.name ?? synthesized.name;
    let alias = declaration.name === undefined && synthesized.shortName !== name ? synthesized.shortName : undefined;
    // Two declarations dbt would name alike (they differ only in config): the second gets a hash of its config.
    if (declaration.name === undefined && this.names.has(name)) {
      const suffix = shortHash(JSON.stringify([declaration.args, declaration.config]));
      name = `${name}_${suffix}`;
      if (alias !== undefined) alias = `${alias}_${suffix}`;
    }
    if (!this.claimName(name, source.file, line)) return;
    const id = `test.${projectName}.${name}`;
    this.resolver.dependencies.set(id, [...deps]);
    this.tests.push({
      id,
      kind: 'test',
      name,
      file: source.file,
      ...atLine(line),
      fqn: [projectName, ...folders, name],
      description: '',
      tags: (config.tags as string[] | undefined) ?? [],
      dependsOn: [...deps],
      testType: 'generic',
      testName: kind.testName,
      builtin: kind.builtin,
      ...(kind.testPackage === undefined ? {} : { testPackage: kind.testPackage }),
      attachedTo: target.attachedTo,
      ...(declaration.columnName === undefined ? {} : { columnName: declaration.columnName }),
      // Quoted when compiled, by the target's dialect: Snowflake stores a plain name upper-cased.
      ...(declaration.quoteColumn ? { quoteColumn: true } : {}),
      args: declaration.args,
      ...(alias === undefined ? {} : { alias }),
      config,
    });
  }

  /**
   * The node a generic test is declared on, and the label its default name uses. `undefined` for a disabled or
   * unknown model (an unknown one is reported once, as UNKNOWN_NODE; its tests are left out).
   */
  private targetOf(declaration: TestDeclaration): { label: string; attachedTo: string } | undefined {
    const target = declaration.target;
    if (target.kind === 'source') {
      return {
        label: `${target.source}_${target.table}`,
        attachedTo: `source.${this.settings.projectName}.${target.source}.${target.table}`,
      };
    }
    if (this.relational.disabled.has(target.name)) return undefined;
    const found = this.relational.names.get(target.name);
    return found === undefined ? undefined : { label: target.name, attachedTo: found.id };
  }

  /**
   * The `config()` a `{% test %}` macro sets for itself (dbt_utils' `equal_rowcount` sets its `fail_calc`): the
   * macro rendered at parse time, as dbt does, with the declaration's arguments. Below the YAML's own config.
   */
  private macroConfig(
    declaration: TestDeclaration,
    kind: { testName: string; testPackage?: string },
    at: { file: string; line?: number },
  ): Record<string, unknown> {
    const record = emptyParseRecord();
    const hooks = this.parser.hooks(
      kind.testName,
      `test.${this.settings.projectName}.${kind.testName}`,
      at.file,
      record,
    );
    try {
      this.ctx.engine.callMacro(
        `test_${kind.testName}`,
        hooks,
        [
          keywordArguments({
            model: new RelationValue(
              '__parse__',
              declaration.target.kind === 'source' ? declaration.target.table : declaration.target.name,
              '"__parse__"."model"',
            ),
            ...(declaration.columnName === undefined ? {} : { column_name: declaration.columnName }),
            ...declaration.args,
          }),
        ],
        kind.testPackage,
      );
    } catch (error) {
      this.parser.templateIssue(error, at.file, at.line);
      return {};
    }
    if (Object.keys(record.config).length === 0) return {};
    const result = validateConfig('test', record.config, {
      file: at.file,
      lineOf: () => at.line,
      what: `config() of test ${declaration.testName}`,
    });
    this.ctx.issues.push(...result.issues);
    return result.config;
  }

  /**
   * The test's name (without its package), the package whose `{% test %}` macro defines it (absent: the root
   * project, or built in), and whether it is built in; INVALID_TEST when none. `pkg.name` looks in package `pkg`;
   * a bare name in the declaring package, then the root project, then the built-ins. `dbt_utils.x` is the
   * built-in `x` while no dbt_utils package is installed.
   */
  private testKind(
    declaration: TestDeclaration,
    at: { file: string; line?: number },
  ): { testName: string; builtin: boolean; testPackage?: string } | undefined {
    const written = declaration.testName;
    const dot = written.lastIndexOf('.');
    const namespace = dot < 0 ? undefined : written.slice(0, dot);
    const testName = dot < 0 ? written : written.slice(dot + 1);
    const engine = this.ctx.engine;
    const root = engine.rootProject;
    const own = this.settings.projectName;
    const macro = `test_${testName}`;
    let testPackage: string | undefined;
    let custom = false;
    if (namespace !== undefined && namespace !== root && engine.hasPackage(namespace)) {
      custom = engine.hasMacro(macro, namespace);
      if (custom) testPackage = namespace;
    } else if (namespace === undefined && own !== root && engine.hasMacro(macro, own)) {
      custom = true;
      testPackage = own;
    } else if (namespace === undefined || namespace === root) {
      custom = engine.hasMacro(macro);
    }
    const builtinNamespace =
      namespace === undefined || namespace === 'dbt' || (namespace === 'dbt_utils' && !engine.hasPackage('dbt_utils'));
    const builtin = !custom && builtinNamespace && isGenericTestName(testName);
    if (!custom && !builtin) {
      const suggestions = closestNames(testName, [...GENERIC_TEST_NAMES, ...this.customTestNames]);
      const where =
        namespace !== undefined && namespace !== root && namespace !== 'dbt' && !engine.hasPackage(namespace)
          ? ` No package named ${namespace} is installed: add it to packages.yml and run \`dbt deps\`.`
          : namespace !== undefined && engine.hasPackage(namespace)
            ? ` Package ${namespace} defines no {% test ${testName} %}.`
            : '';
      this.ctx.issues.push({
        code: 'INVALID_TEST',
        severity: 'error',
        message: `"${declaration.testName}" is not a generic test (built in: ${GENERIC_TEST_NAMES.join(', ')}; or define {% test ${testName}(model, column_name) %} in macros/).${where}${didYouMean(suggestions)}`,
        ...at,
        suggestions,
      });
      return undefined;
    }
    if (builtin && isGenericTestName(testName)) {
      for (const problem of validateGenericTestArgs(testName, declaration.args, declaration.columnName !== undefined)) {
        this.ctx.issues.push({ code: 'INVALID_TEST', severity: 'error', message: problem, ...at });
      }
    }
    return { testName, builtin, ...(testPackage === undefined ? {} : { testPackage }) };
  }

  /** The tested node, and whatever the arguments name as `ref('x')` / `source('s', 't')` (relationships.to). */
  private argumentDependencies(declaration: TestDeclaration, attachedTo: string, file: string): Set<string> {
    const deps = new Set<string>([attachedTo]);
    for (const value of Object.values(declaration.args)) {
      if (typeof value !== 'string') continue;
      const scanned = scanReferences(value.includes('{{') ? value : `{{ ${value} }}`);
      for (const ref of scanned.refs) {
        const resolved = this.resolver.resolveRef(ref, file, '', this.settings.projectName);
        if (resolved) deps.add(resolved);
      }
      for (const s of scanned.sources) {
        const resolved = this.resolver.resolveSource(s, file, '', this.settings.projectName);
        if (resolved) deps.add(resolved);
      }
    }
    return deps;
  }

  private claimName(name: string, file: string, line: number | undefined): boolean {
    const previous = this.names.get(name);
    if (previous !== undefined) {
      this.ctx.issues.push({
        code: 'DUPLICATE_NAME',
        severity: 'error',
        message: `two data tests are named ${name} (also in ${previous}); give one a name: .`,
        file,
        ...atLine(line),
      });
      return false;
    }
    this.names.set(name, file);
    return true;
  }
}

function shortHash(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0).toString(16).padStart(8, '0').slice(0, 8);
}
