// snowflake-put: how upload files reach a stage through snowflake-sdk 3.3 (the in-repo emulator's LOCAL_FS stage),
// for several file sizes: ONE PUT of all the files (what a load sends; the driver uploads them one after another
// whatever PARALLEL says) against one PUT per file, four at once on the same session. Also prints where the driver
// writes its temporary copies (os.tmpdir(): the encrypted copy of each file on a cloud stage), and how many bytes of
// files it left there. Both variants measured in this run; the JSON line has the ratio concurrent / sequential.
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createSnowflakeWarehouse } from '@sluice/snowflake';
import { startSnowflakeEmulator } from '@sluice/snowflake-emulator';

process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION ??= 'true';
process.env.SF_TELEMETRY_DISABLE_CONNECTION_SHAPE ??= 'true';

const MB = 1024 * 1024;
const CASES = (process.env.BENCH_PUT_CASES ?? '1x16,16x8,64x4,150x2')
  .split(',')
  .map((c) => c.split('x').map(Number))
  .map(([size, count]) => ({ size: size * MB, count }));
const CONCURRENCY = Number(process.env.BENCH_PUT_CONCURRENCY ?? 4);

const root = path.join(os.tmpdir(), `sluice-bench-put-${process.pid}`);
await mkdir(root, { recursive: true });
const emulator = await startSnowflakeEmulator({
  dataDir: path.join(root, 'emulator'),
  users: [{ name: 'bench', password: 'bench' }],
  databases: ['BENCH'],
});
const warehouse = await createSnowflakeWarehouse({
  account: 'emulator',
  user: 'bench',
  password: 'bench',
  warehouse: 'WH',
  database: 'BENCH',
  accessUrl: emulator.url,
  workDir: root,
});
const tmpBefore = new Set(await readdir(os.tmpdir()));
const results = [];
try {
  await warehouse.execute('create schema if not exists raw; create stage if not exists raw.s');
  for (const { size, count } of CASES) {
    const dir = path.join(root, `files-${size}-${count}`);
    await mkdir(dir, { recursive: true });
    const files = [];
    for (let i = 0; i < count; i++) {
      const file = path.join(dir, `data-${String(i + 1).padStart(6, '0')}.csv.gz`);
      await writeFile(file, randomBytes(size));
      files.push(file);
    }
    const put = (from, to) =>
      warehouse.query(
        `PUT 'file://${from}' @raw.s/${to}/ PARALLEL = 4 AUTO_COMPRESS = FALSE SOURCE_COMPRESSION = GZIP OVERWRITE = TRUE`,
      );
    let start = performance.now();
    await put(`${dir}/*.gz`, `one-${size}`);
    const sequential = (performance.now() - start) / 1000;
    start = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, files.length) }, async () => {
        for (let i = next++; i < files.length; i = next++) await put(files[i], `many-${size}`);
      }),
    );
    const concurrent = (performance.now() - start) / 1000;
    const mb = (size * count) / MB;
    console.log(
      `${count} file(s) of ${size / MB} MiB (${mb} MiB): one PUT ${sequential.toFixed(2)} s (${(mb / sequential).toFixed(0)} MiB/s), ` +
        `${count} PUTs ${CONCURRENCY} at once ${concurrent.toFixed(2)} s (${(mb / concurrent).toFixed(0)} MiB/s)`,
    );
    results.push({ size_mib: size / MB, files: count, one_put_s: sequential, concurrent_puts_s: concurrent });
    await rm(dir, { recursive: true, force: true });
  }
  const leftovers = [...new Set(await readdir(os.tmpdir()))].filter((f) => !tmpBefore.has(f) && /^tmp/.test(f));
  let leftBytes = 0;
  for (const name of leftovers) leftBytes += (await stat(path.join(os.tmpdir(), name)).catch(() => ({ size: 0 }))).size;
  console.log(`driver temp folders left in ${os.tmpdir()}: ${leftovers.length} (${leftBytes} bytes in their entries)`);
  const ratio =
    results.reduce((sum, r) => sum + r.concurrent_puts_s, 0) / results.reduce((sum, r) => sum + r.one_put_s, 0);
  console.log(
    JSON.stringify({ name: 'snowflake-put', cases: results, ratio_concurrent_over_one_put: Number(ratio.toFixed(3)) }),
  );
} finally {
  await warehouse.close();
  await emulator.stop();
  await rm(root, { recursive: true, force: true });
}
