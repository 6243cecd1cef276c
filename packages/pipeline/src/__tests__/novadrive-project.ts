import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { NOVADRIVE_PRIMARY_KEYS, NOVADRIVE_TABLES } from '@sluice/novadrive';
import { diffFingerprints, fingerprintPostgresTable, fingerprintWarehouseTable } from '@sluice/testing';
import { METADATA_COLUMNS, type Warehouse } from '@sluice/warehouse';
import { loadProjectConfig, type LoadedProject } from '../project-config.js';

const INGEST_YML = fileURLToPath(new URL('./novadrive-ingest.yml', import.meta.url));

/** Write a NovaDrive project (the ingestion half of sql-models/sluice.yml) into `dir`, pointed at `sourceUrl`;
 *  `lateCommits` overrides the tables' `late_commits`. */
export async function writeNovaDriveProject(
  dir: string,
  sourceUrl: string,
  extra = '',
  options: { readonly lateCommits?: 'scan' | 'lookback' | 'off' } = {},
): Promise<LoadedProject> {
  let ingest = await readFile(INGEST_YML, 'utf8');
  if (options.lateCommits) {
    ingest = ingest.replaceAll(
      '    strategy: upsert\n',
      `    strategy: upsert\n    late_commits: ${options.lateCommits}\n`,
    );
  }
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'sluice.yml'), `name: novadrive\n${ingest}${extra}`);
  return loadProjectConfig(dir, { SLUICE_SOURCE_URL: sourceUrl, SLUICE_HOME: path.join(dir, '.sluice') });
}

/** Every difference between the seven source tables and their warehouse copies (empty when equal). */
export async function compareNovaDrive(sourceUrl: string, warehouse: Warehouse, rawSchema = 'raw'): Promise<string[]> {
  const client = new pg.Client({ connectionString: sourceUrl });
  await client.connect();
  try {
    const problems: string[] = [];
    for (const table of NOVADRIVE_TABLES) {
      const columns = (
        await client.query<{ name: string }>(
          `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
          [table],
        )
      ).rows
        .map((row) => row.name)
        .filter((name) => !METADATA_COLUMNS.includes(name));
      const key = [NOVADRIVE_PRIMARY_KEYS[table]];
      const source = await fingerprintPostgresTable(client, { schema: 'public', name: table }, columns, key);
      const target = await fingerprintWarehouseTable(warehouse, { schema: rawSchema, name: table }, columns, key);
      problems.push(...diffFingerprints(source, target).map((p) => `${table}: ${p}`));
    }
    return problems;
  } finally {
    await client.end();
  }
}
