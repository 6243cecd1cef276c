import type { SourceNode } from '../project.js';
import {
  readPropertyFile,
  type DescriptionRenderer,
  type NodeProperties,
  type TestDeclaration,
} from '../property-files.js';
import type { UnitTestDeclaration } from '../unit-tests/read-unit-tests.js';
import { parseYamlSource } from '../yaml-source.js';
import { atLine, type LoadContext } from './load-context.js';
import type { FileEntry } from './read-project-files.js';
import type { TemplateParser } from './template-parser.js';

/** What the property files declare. */
export interface ProjectProperties {
  /** Model name → its properties (the first file that describes it). */
  readonly models: ReadonlyMap<string, NodeProperties>;
  readonly snapshots: ReadonlyMap<string, NodeProperties>;
  readonly seeds: ReadonlyMap<string, NodeProperties>;
  readonly sources: readonly SourceNode[];
  /** Generic tests, in declaration order, resolved once the nodes are known. */
  readonly tests: readonly TestDeclaration[];
  /** dbt 1.8's unit tests, as written (resolved by `collectUnitTests`). */
  readonly unitTests: readonly UnitTestDeclaration[];
}

/**
 * Phase 5: read the property files (`schema.yml`): models, seeds and snapshots described (twice is
 * DUPLICATE_NAME), source tables (their schema and identifier rendered), and generic test declarations.
 * Descriptions go through `describe` (the docs blocks' `doc()`).
 */
export function collectProperties(
  ctx: LoadContext,
  parser: TemplateParser,
  projectName: string,
  propertyFiles: readonly FileEntry[],
  describe?: DescriptionRenderer,
): ProjectProperties {
  const models = new Map<string, NodeProperties>();
  const snapshots = new Map<string, NodeProperties>();
  const seeds = new Map<string, NodeProperties>();
  const sources: SourceNode[] = [];
  const tests: TestDeclaration[] = [];
  const unitTests: UnitTestDeclaration[] = [];
  const sourceFiles = new Map<string, string>();
  for (const f of propertyFiles) {
    const { source, issues: yamlIssues } = parseYamlSource(f.text, f.file);
    ctx.issues.push(...yamlIssues);
    const content = readPropertyFile(source, describe ? { describe } : {});
    ctx.issues.push(...content.issues);
    for (const [list, map, kind] of [
      [content.models, models, 'model'],
      [content.snapshots, snapshots, 'snapshot'],
      [content.seeds, seeds, 'seed'],
    ] as const) {
      for (const props of list) {
        const previous = map.get(props.name);
        if (previous) {
          ctx.issues.push({
            code: 'DUPLICATE_NAME',
            severity: 'error',
            message: `${kind} ${props.name} is described twice: here and in ${previous.place.source.file}.`,
            file: f.file,
            ...atLine(props.place.source.lineOf(props.place.path)),
          });
        } else {
          map.set(props.name, props);
        }
      }
    }
    for (const s of content.sources) {
      const id = `source.${projectName}.${s.sourceName}.${s.tableName}`;
      const line = s.place.source.lineOf(s.place.path);
      const previous = sourceFiles.get(id);
      if (previous !== undefined) {
        ctx.issues.push({
          code: 'DUPLICATE_NAME',
          severity: 'error',
          message: `source table ${s.sourceName}.${s.tableName} is declared twice: here and in ${previous}.`,
          file: f.file,
          ...atLine(line),
        });
        continue;
      }
      sourceFiles.set(id, f.file);
      sources.push({
        id,
        kind: 'source',
        name: s.tableName,
        sourceName: s.sourceName,
        file: f.file,
        ...atLine(line),
        fqn: [projectName, s.sourceName, s.tableName],
        description: s.description,
        tags: s.tags,
        dependsOn: [],
        schema: parser.renderYamlValue(s.schema, f.file),
        identifier: parser.renderYamlValue(s.identifier, f.file),
        columns: s.columns,
        ...(s.loadedAtField === undefined ? {} : { loadedAtField: s.loadedAtField }),
        ...(s.freshness === undefined ? {} : { freshness: s.freshness }),
      });
    }
    tests.push(...content.tests);
    unitTests.push(...content.unitTests);
  }
  return { models, snapshots, seeds, sources, tests, unitTests };
}
