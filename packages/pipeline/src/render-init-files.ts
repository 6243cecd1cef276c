import type { CursorElement } from '@sluice/pg-extract';
import { isReservedWord, SYNCED_AT_COLUMN } from '@sluice/warehouse';
import { displayName, type InitTableProposal } from './propose-table.js';

/** A relation `sluice init` did not propose, with why, and the entry that would add it (written commented out). */
export interface LeftOutRelation {
  readonly name: string;
  readonly reason: string;
  /**
   * The entry that adds it, written commented out, when adding it is the user's call (a view, a table the role
   * cannot read yet), with what to do: `To load it whole every run anyway, uncomment`.
   */
  readonly entry?: { readonly schema: string; readonly strategy: 'full'; readonly when: string };
}

/** What `renderInitFiles` writes. */
export interface InitFilesInput {
  /** The project's name (an identifier). */
  readonly name: string;
  /** The source's name in `sources.yml` (`source('<name>', 'table')`). */
  readonly sourceName: string;
  /** What `source.url` says: a URL without password, or `${env:NAME}`. */
  readonly url: string;
  readonly schema: string;
  readonly tables: readonly InitTableProposal[];
  /** Said in the header comment, e.g. `postgres://app@db:5432/shop`. Never with a password. */
  readonly from: string;
  /** Relations left out, with why (said in comments). */
  readonly skipped?: readonly LeftOutRelation[];
}

const YAML_WORDS = /^(true|false|null|yes|no|on|off|y|n|~)$/i;

/**
 * A string as YAML holds it: bare when YAML reads it back as this very string, else double-quoted (JSON's escapes
 * are YAML's), so names with spaces, quotes, `#`, `:` or newlines survive.
 *
 * @example yamlString('Customer ID') // '"Customer ID"'
 */
export function yamlString(value: string): string {
  return /^[A-Za-z_][A-Za-z0-9_./-]*$/.test(value) && !YAML_WORDS.test(value) ? value : JSON.stringify(value);
}

function cursorYaml(cursor: readonly CursorElement[]): string {
  return `[${cursor
    .map((element) =>
      typeof element === 'string'
        ? yamlString(element)
        : `{ coalesce: [${element.coalesce.map(yamlString).join(', ')}] }`,
    )
    .join(', ')}]`;
}

/** A Jinja string literal: `'it\'s'`. */
function jinjaString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/**
 * A column as a model selects it, right on every engine: bare when it is a plain lower-case name and no keyword;
 * through `adapter.quote` when it is a plain name that must be quoted (a keyword such as `order`: Snowflake stores
 * plain names upper-cased, so the quoting must be the target's); in double quotes otherwise (spaces, Unicode,
 * quotes: stored exactly as written on every engine). Names holding template delimiters go through
 * `adapter.quote` too, so the template engine never reads them.
 */
export function modelColumn(name: string): string {
  if (/^[a-z_][a-z0-9_]*$/.test(name) && !isReservedWord(name)) return name;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !isReservedWord(name)) return name;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || /[{}%#]/.test(name)) return `{{ adapter.quote(${jinjaString(name)}) }}`;
  return `"${name.replaceAll('"', '""')}"`;
}

/** Whether a generic test on this column needs `quote: true` (anything but a plain lower-case non-keyword name). */
function needsQuote(name: string): boolean {
  return !/^[a-z_][a-z0-9_]*$/.test(name) || isReservedWord(name);
}

/** `# text`, wrapped at 118 columns; every line after `# ` starts with `lead`, continuation lines two more spaces. */
function comment(indent: string, text: string, lead = ''): string[] {
  const width = 118 - indent.length - 2 - lead.length;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ').filter((w) => w !== '')) {
    const limit = lines.length === 0 ? width : width - 2;
    if (line !== '' && line.length + 1 + word.length > limit) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.map((l, i) => `${indent}# ${lead}${i === 0 ? '' : '  '}${l}`);
}

/** The staging model of each table, by table name: `stg_<name as an identifier>`, made unique. */
export function stagingModelNames(tables: readonly InitTableProposal[]): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const table of tables) {
    const base = `stg_${identifierFrom(table.name, 'table')}`;
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    names.set(table.name, name);
  }
  return names;
}

/** An identifier made from any text: `My Shop` → `my_shop`. */
export function identifierFrom(text: string, fallback: string): string {
  const cleaned = text
    .toLowerCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!cleaned) return fallback;
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

/**
 * The files of a new project, by path relative to its folder: `sluice.yml` (each table's choice explained in a
 * comment above it; relations left out said, with the entry that would add them commented out),
 * `models/stage/sources.yml`, one `models/stage/stg_<table>.sql` per table, and `.gitignore`. Pure.
 */
export function renderInitFiles(input: InitFilesInput): Record<string, string> {
  const lines: string[] = [
    `# Sluice project generated by \`sluice init\` from ${input.from} (schema ${displayName(input.schema)}).`,
    '# Review the strategy of each table, then: sluice run (sluice doctor checks this file against the database).',
    '# Names are written as Postgres stores them, case and spaces included; YAML quotes hold the ones that need it,',
    '# e.g. cursor: ["Updated At", id]. Never add SQL quotes.',
    '',
    `name: ${input.name}`,
    '',
    'source:',
    `  url: ${yamlString(input.url)}`,
    `  schema: ${yamlString(input.schema)}`,
    'raw_schema: raw',
    '',
    'targets:',
    '  dev:',
    '    type: duckdb',
    '    path: .sluice/warehouse.duckdb',
    '    schema: analytics',
    'target: dev',
    '',
    'state:',
    '  type: file',
    '  dir: .sluice/state',
    '',
    '# Strategies: full (reload whole, skipped when unchanged), append (new rows by an increasing column), upsert (new',
    '# and changed rows by a compound cursor ending with the primary key, so equal timestamps are never skipped).',
    '# deletes: reconcile finds rows deleted in the source by comparing keys (a single integer key).',
    'tables:',
  ];
  for (const table of input.tables) {
    lines.push(...comment('  ', `${displayName(table.name)}: ${table.reason}.`));
    for (const detail of table.details) lines.push(...comment('  ', detail, '  '));
    lines.push(`  ${yamlString(table.name)}:`);
    if (table.schema !== input.schema) lines.push(`    schema: ${yamlString(table.schema)}`);
    lines.push(`    strategy: ${table.strategy}`);
    if (table.cursor) lines.push(`    cursor: ${cursorYaml(table.cursor)}`);
    if (table.deletes) lines.push(`    deletes: ${table.deletes}`);
    if (table.exclude) lines.push(`    exclude: [${table.exclude.map(yamlString).join(', ')}]`);
  }
  for (const skipped of input.skipped ?? []) {
    lines.push(...comment('  ', `left out: ${displayName(skipped.name)}: ${skipped.reason}.`));
    if (skipped.entry) {
      lines.push(...comment('  ', `${skipped.entry.when}:`, '  '));
      lines.push(`  # ${yamlString(skipped.name)}:`);
      if (skipped.entry.schema !== input.schema) lines.push(`  #   schema: ${yamlString(skipped.entry.schema)}`);
      lines.push(`  #   strategy: ${skipped.entry.strategy}`);
    }
  }
  lines.push(
    '',
    '# Models build in <target schema>_<folder schema>, e.g. analytics_stage.stg_<table>.',
    'models:',
    '  stage:',
    '    +materialized: view',
    '    +schema: stage',
    '',
  );
  const files: Record<string, string> = { 'sluice.yml': lines.join('\n') };

  const sources: string[] = [
    'version: 2',
    '',
    'sources:',
    `  - name: ${input.sourceName}`,
    `    description: ${yamlString(`Tables of ${input.schema} in the source Postgres, as Sluice loads them into the raw schema.`)}`,
    `    schema: "{{ var('raw_schema', 'raw') }}"`,
    `    loaded_at_field: ${SYNCED_AT_COLUMN}`,
    '    tables:',
  ];
  for (const table of input.tables) {
    sources.push(`      - name: ${yamlString(table.name)}`);
    if (table.primaryKey.length > 0) {
      sources.push('        columns:');
      for (const key of table.primaryKey) {
        sources.push(`          - name: ${yamlString(key)}`);
        if (needsQuote(key)) sources.push('            quote: true');
        sources.push(`            data_tests: [${table.primaryKey.length === 1 ? 'unique, not_null' : 'not_null'}]`);
      }
    }
  }
  files['models/stage/sources.yml'] = `${sources.join('\n')}\n`;

  const models = stagingModelNames(input.tables);
  for (const table of input.tables) {
    const select = [...table.columns, SYNCED_AT_COLUMN].map((column) => `    ${modelColumn(column)}`).join(',\n');
    files[`models/stage/${models.get(table.name)}.sql`] =
      `-- Staging view of ${displayName(table.schema)}.${displayName(table.name)}, as Sluice loads it: rename, cast and tidy columns here.\n` +
      `select\n${select}\nfrom {{ source(${jinjaString(input.sourceName)}, ${jinjaString(table.name)}) }}\n`;
  }
  files['.gitignore'] = '.sluice/\ntarget/\n';
  return files;
}
