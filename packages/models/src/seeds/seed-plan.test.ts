import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { duckDbDialect } from '@sluice/duckdb';
import { snowflakeDialect } from '@sluice/snowflake';
import type { RelationState, SqlDialect } from '@sluice/warehouse';
import { describe, expect, it } from 'vitest';
import type { CompiledNode } from '../compile-project.js';
import type { PlanStep, StepResult } from '../materialization.js';
import type { SeedConfig } from '../node-config.js';
import type { SeedNode } from '../project.js';
import { planSeed } from './seed-plan.js';
import { readSeedTable } from './seed-table.js';

// The statements a seed's load sends, per engine dialect, pinned in __golden__/<engine>/<case>.sql. Rewrite them
// after an intended change with: UPDATE_GOLDEN=1 npx vitest run packages/models/src/seeds/seed-plan.test.ts
const goldenDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '__golden__');
const DIALECTS: Record<string, SqlDialect> = { duckdb: duckDbDialect, snowflake: snowflakeDialect };

function seed(name: string, config: SeedConfig = {}): SeedNode {
  return {
    id: `seed.golden.${name}`,
    kind: 'seed',
    name,
    file: `seeds/${name}.csv`,
    line: 1,
    fqn: ['golden', name],
    description: '',
    tags: [],
    dependsOn: [],
    config,
    columns: [],
  };
}

interface SeedCase {
  readonly node: SeedNode;
  readonly csv: string;
  /** The table as the warehouse has it, when it exists. */
  readonly existing?: readonly string[];
  readonly fullRefresh?: boolean;
  readonly batchChars?: number;
  readonly hooks?: { readonly pre: readonly string[]; readonly post: readonly string[] };
}

const COUNTRIES =
  'code,name,population,founded,member\nBR,Brasil,216.4,1822-09-07,true\nAR,Argentina,46.2,1816-07-09,false\n';

const cases: Record<string, SeedCase> = {
  'seed-first-load.sql': { node: seed('countries'), csv: COUNTRIES },
  'seed-quoted-columns-and-types.sql': {
    node: seed('prices', { quote_columns: true, column_types: { Code: 'varchar(8)' } }),
    csv: 'Code,Unit Price,select\n007,1.50,x\n',
    hooks: { pre: ["insert into audit.log values ('before')"], post: ['grant select on analytics.prices to reporter'] },
  },
  'seed-empty.sql': { node: seed('nothing_yet'), csv: 'id,label\n' },
  'seed-permanent-with-grants.sql': {
    node: seed('countries', { transient: false, grants: { select: ['analyst', 'reporter'] } }),
    csv: COUNTRIES,
  },
  'seed-batches.sql': {
    node: seed('countries'),
    csv: COUNTRIES,
    batchChars: 40,
    existing: ['code', 'name', 'population', 'founded', 'member'],
  },
  'seed-columns-changed.sql': { node: seed('countries'), csv: COUNTRIES, existing: ['code', 'name'] },
  'seed-full-refresh.sql': { node: seed('countries'), csv: COUNTRIES, existing: ['code', 'name'], fullRefresh: true },
};

/** Run a case's plan against a fixed warehouse state; the statements, relation reads and outcome as text. */
function record(c: SeedCase, dialect: SqlDialect): string {
  const relation = { schema: 'analytics', name: c.node.name };
  const compiled: CompiledNode = {
    id: c.node.id,
    kind: 'seed',
    sql: '',
    relation,
    preHooks: c.hooks?.pre ?? [],
    postHooks: c.hooks?.post ?? [],
    compiledPath: `compiled/golden/${c.node.file}`,
  };
  const plan = planSeed({
    node: c.node,
    table: readSeedTable(c.csv, {
      file: c.node.file,
      ...(c.node.config.column_types ? { columnTypes: c.node.config.column_types } : {}),
    }),
    dialect,
    compiled,
    fullRefresh: c.fullRefresh ?? false,
    ...(c.batchChars ? { batchChars: c.batchChars } : {}),
  });
  const lines: string[] = [];
  const answer = (step: PlanStep): StepResult => {
    switch (step.kind) {
      case 'describe': {
        lines.push(`-- describe ${step.relation.schema}.${step.relation.name}`);
        const state: RelationState | undefined =
          c.existing && step.relation.name === relation.name
            ? {
                kind: 'table',
                columns: c.existing.map((name) => ({
                  name,
                  type: { kind: 'text' },
                  nullable: true,
                  dataType: 'VARCHAR',
                })),
              }
            : undefined;
        return { kind: 'describe', state };
      }
      case 'execute':
        lines.push(`${step.sql};`);
        return { kind: 'execute', rowsAffected: undefined };
      case 'query':
        lines.push(`${step.sql};`);
        return { kind: 'query', rows: [] };
      case 'cleanup':
        lines.push(`-- cleanup\n${step.sql};`);
        return { kind: 'cleanup' };
      case 'transaction':
        lines.push(`-- transaction (all or nothing)\n${step.statements.map((sql) => `${sql};`).join('\n\n')}`);
        return { kind: 'transaction', rowsAffected: step.statements.map(() => undefined) };
    }
  };
  try {
    let next = plan.next();
    while (!next.done) next = plan.next(answer(next.value));
    lines.push(`-- outcome: ${next.value.message} (${next.value.rowsAffected} rows)`);
    for (const warning of next.value.warnings ?? []) lines.push(`-- warning: ${warning}`);
  } catch (error) {
    lines.push(`-- error: ${(error as Error).message}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('planSeed: the statements of a seed load, per engine', () => {
  for (const [engine, dialect] of Object.entries(DIALECTS)) {
    for (const [name, c] of Object.entries(cases)) {
      it(`${engine}: ${name}`, async () => {
        const text = record(c, dialect);
        const file = path.join(goldenDir, engine, name);
        if (process.env.UPDATE_GOLDEN || !existsSync(file)) {
          await mkdir(path.dirname(file), { recursive: true });
          await writeFile(file, text);
        }
        expect(text).toBe(await readFile(file, 'utf8'));
      });
    }
  }
});
