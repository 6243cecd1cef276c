import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalPostgres, type LocalPostgres } from '@sluice/local-postgres';
import {
  connectNovaDrive,
  createNovaDriveSchema,
  existingNovaDriveTables,
  generateNovaDrive,
  simulateDay,
  type DayChanges,
} from '@sluice/novadrive';
import { loadProjectConfig, openStateStore, resolveTarget, runPipeline, targetEngine } from '@sluice/pipeline';
import type { Warehouse } from '@sluice/warehouse';
import { createFileStateStore, StateError, type StateLock, type StateStore } from '@sluice/watermark';
import { CliError, EXIT } from '../exit-codes.js';
import { formatCount, formatSeconds, formatTable } from '../format.js';
import { buildReport } from '../build-report.js';
import { ingestReport } from '../ingest-report.js';
import type { Output } from '../output.js';
import { abortOnSignals } from '../signals.js';

export interface DemoOptions {
  readonly home?: string;
  readonly project?: string;
  readonly scale: number;
  readonly seed: number;
  readonly fresh: boolean;
  readonly advance: boolean;
}

/** The NovaDrive project shipped in the repository, next to the apps. */
export function bundledProjectDir(): string {
  return fileURLToPath(new URL('../../../sql-models/', import.meta.url));
}

/**
 * `sluice demo`: the whole job on embedded defaults — a local Postgres with NovaDrive in `.sluice/pg`, loaded into
 * `.sluice/warehouse.duckdb`. A second run reuses both and first advances NovaDrive by one simulated day, so the
 * load is incremental. Everything it starts is stopped before it returns, also on Ctrl-C.
 */
export async function demoCommand(options: DemoOptions, out: Output): Promise<number> {
  const home = path.resolve(options.home ?? process.env.SLUICE_HOME ?? '.sluice');
  const projectDir = path.resolve(options.project ?? bundledProjectDir());
  if (options.fresh && existsSync(home)) {
    await guardedFresh(home);
  }
  await mkdir(home, { recursive: true });
  const guardStore = createFileStateStore({ dir: path.join(home, 'demo') });
  let guard: StateLock;
  try {
    guard = await guardStore.acquireLock('demo', { holder: 'sluice demo' });
  } catch (error) {
    await guardStore.close();
    if (error instanceof StateError && error.code === 'LOCK_HELD') {
      throw new CliError(
        `another sluice demo is running on ${home}: ${error.message}\nWait for it to finish, then run the demo again.`,
        EXIT.failed,
      );
    }
    throw error;
  }
  const { signal, dispose } = abortOnSignals((name) =>
    out.error(`\n${name}: stopping the demo cleanly (Ctrl-C again to quit at once)…`),
  );
  let server: LocalPostgres | undefined;
  let warehouse: Warehouse | undefined;
  let state: StateStore | undefined;
  try {
    out.line(out.bold('Sluice demo — NovaDrive Motors: Postgres → DuckDB'));
    const t0 = performance.now();
    server = await startLocalPostgres({ dataDir: path.join(home, 'pg') });
    const sourceUrl = await server.ensureDatabase('novadrive');
    out.line(
      `source     embedded Postgres on 127.0.0.1:${server.port} (${displayDir(server.dataDir)}), started in ${formatSeconds((performance.now() - t0) / 1000)}`,
    );
    await prepareSource(sourceUrl, home, options, out);
    if (signal.aborted) return EXIT.interrupted;

    const env = { ...process.env, SLUICE_SOURCE_URL: sourceUrl, SLUICE_HOME: home };
    const project = await loadProjectConfig(projectDir, env);
    const target = resolveTarget(project);
    const engine = targetEngine(target.config, project.dir);
    warehouse = await engine.open();
    state = openStateStore(project);
    out.line(`warehouse  ${engine.location}`);
    out.line();
    out.line(out.bold('Ingest → build'));
    const run = await runPipeline({
      project,
      warehouse,
      state,
      workDir: path.join(home, 'work'),
      trigger: 'demo',
      target,
      signal,
      holder: 'sluice demo',
    });
    if (run.ingest) for (const line of ingestReport(run.ingest)) out.line(`  ${line}`);
    if (run.build) {
      out.line();
      out.line(out.bold('Models and tests'));
      for (const line of buildReport(run.build, out)) out.line(`  ${line}`);
    }
    if (run.status !== 'success') {
      if (run.error) out.error(`run ${run.status}: ${run.error.message}`);
      return run.status === 'interrupted' ? EXIT.interrupted : EXIT.failed;
    }

    out.line();
    out.line(out.bold('Top five vehicles by sales'));
    const analysis = `${target.config.schema}_analysis`;
    const top = await warehouse.query<{ nome: string; vendas: unknown; total: unknown }>(
      `SELECT nome, quantidade_vendas AS vendas, total_vendas AS total FROM ${analysis}.vendas_por_veiculo
        ORDER BY quantidade_vendas DESC, nome LIMIT 5`,
    );
    const rows = top.map((row) => [row.nome, formatCount(Number(row.vendas)), `R$ ${formatMoney(String(row.total))}`]);
    for (const line of formatTable(['vehicle', 'sales', 'revenue'], rows, [false, true, true])) out.line(`  ${line}`);
    out.line();
    out.line(
      `done in ${formatSeconds((performance.now() - t0) / 1000)}; run it again to load one more simulated day incrementally.`,
    );
    return EXIT.ok;
  } catch (error) {
    // Ctrl-C reaches the embedded Postgres too, so work in flight fails with a closed connection: that is the
    // interruption, not a bug worth a stack trace.
    if (signal.aborted) {
      out.error('demo interrupted; everything it started is stopped. Run it again to carry on.');
      return EXIT.interrupted;
    }
    throw error;
  } finally {
    dispose();
    await warehouse?.close().catch(() => undefined);
    await state?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await guard.release().catch(() => undefined);
    await guardStore.close().catch(() => undefined);
  }
}

async function guardedFresh(home: string): Promise<void> {
  const guardStore = createFileStateStore({ dir: path.join(home, 'demo') });
  try {
    const lock = await guardStore.acquireLock('demo', { holder: 'sluice demo --fresh' });
    await lock.release();
  } catch (error) {
    await guardStore.close();
    if (error instanceof StateError && error.code === 'LOCK_HELD') {
      throw new CliError(`another sluice demo is running on ${home}; not removing it: ${error.message}`, EXIT.failed);
    }
    throw error;
  }
  await guardStore.close();
  await rm(home, { recursive: true, force: true });
}

interface DemoProgress {
  readonly scale: number;
  readonly seed: number;
  readonly day: number;
}

async function prepareSource(url: string, home: string, options: DemoOptions, out: Output): Promise<void> {
  const progressFile = path.join(home, 'demo', 'novadrive.json');
  const client = await connectNovaDrive(url);
  try {
    const present = (await existingNovaDriveTables(client, 'public')).includes('vendas');
    const progress = existsSync(progressFile)
      ? (JSON.parse(await readFile(progressFile, 'utf8')) as DemoProgress)
      : undefined;
    if (!present || !progress) {
      const t0 = performance.now();
      await createNovaDriveSchema(client, { replace: true });
      const generated = await generateNovaDrive(client, { scale: options.scale, seed: options.seed });
      const total = Object.values(generated.rows).reduce((a, b) => a + b, 0);
      await writeFile(
        progressFile,
        JSON.stringify({ scale: options.scale, seed: options.seed, day: 0 } satisfies DemoProgress),
      );
      out.line(
        `novadrive  created ${formatCount(total)} rows (${formatCount(options.scale)} sales, seed ${options.seed}) in ${formatSeconds((performance.now() - t0) / 1000)}`,
      );
      return;
    }
    if (!options.advance) {
      out.line(`novadrive  reused as it is (day ${progress.day})`);
      return;
    }
    const day = progress.day + 1;
    const summary = await simulateDay(client, { seed: progress.seed, day });
    await writeFile(progressFile, JSON.stringify({ ...progress, day } satisfies DemoProgress));
    out.line(`novadrive  reused; advanced to simulated day ${day}: ${describeDay(summary)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function describeDay(day: DayChanges): string {
  return Object.entries(day.counts)
    .map(([name, c]) => {
      const parts = [
        c.inserted ? `+${c.inserted}` : '',
        c.updated ? `~${c.updated}` : '',
        c.deleted ? `-${c.deleted}` : '',
      ].filter(Boolean);
      return parts.length ? `${name} ${parts.join(' ')}` : '';
    })
    .filter(Boolean)
    .join(', ');
}

function formatMoney(value: string): string {
  const [whole = '0', fraction = '00'] = value.split('.');
  return `${Number(whole).toLocaleString('en-US')}.${fraction.padEnd(2, '0').slice(0, 2)}`;
}

/** A folder relative to here when it is below here, else absolute (as root the source's cluster is in /var/tmp). */
function displayDir(dir: string): string {
  const relative = path.relative(process.cwd(), dir);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : dir;
}
