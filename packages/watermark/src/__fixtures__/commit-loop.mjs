// Crash-test child: takes the run lock, then commits a watermark in a loop until it is killed.
// argv: <built module path> <state dir> <table> <first id> <acknowledgements file>. Prints "ready" once; after each
// commit resolves, appends its id to the acknowledgements file (a write that has returned survives SIGKILL: the
// parent compares with that file, never with the pipe, which may still hold lines when the child dies), then prints
// the id (the parent only uses the printed ids to choose when to kill).
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [modulePath, dir, table, first, acknowledgements] = process.argv.slice(2);
const { createFileStateStore } = await import(pathToFileURL(modulePath).href);
const store = createFileStateStore({
  dir,
  onEvent: (event) => {
    if (event.type === 'lock-taken-over') process.stdout.write(`took-over ${event.previous.pid}\n`);
  },
});
await store.acquireLock('run', { holder: `crash-child ${process.pid}` });
process.stdout.write('ready\n');
// A large position makes each write take long enough for kills to land in the middle of it.
const filler = (id) => `${id}:`.padEnd(32_768, String(id % 10n));
for (let id = BigInt(first); ; id++) {
  await store.commit(
    table,
    { id: `1000000000000000000000${id}`, filler: filler(id) },
    { runId: `child-${process.pid}` },
  );
  appendFileSync(acknowledgements, `${id}\n`);
  process.stdout.write(`${id}\n`);
}
