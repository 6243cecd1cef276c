import { describe, expect, it } from 'vitest';
import { sluice } from './sluice-process.js';

const COMMANDS = [
  'init',
  'doctor',
  'run',
  'ingest',
  'build',
  'seed',
  'snapshot',
  'source freshness',
  'models run',
  'models test',
  'models build',
  'test',
  'ls',
  'compile',
  'docs generate',
  'docs serve',
  'status',
  'state show',
  'state reset',
  'demo',
];

describe('sluice --help (the built binary)', () => {
  it('lists every command and the exit codes', async () => {
    const run = await sluice(['--help']);
    expect(run.code).toBe(0);
    for (const command of [
      'init',
      'doctor',
      'run',
      'ingest',
      'build',
      'seed',
      'snapshot',
      'source',
      'models',
      'test',
      'ls|list',
      'compile',
      'docs',
      'status',
      'state',
      'demo',
    ]) {
      expect(run.stdout).toMatch(new RegExp(`^  ${command.replace('|', '\\|')} `, 'm'));
    }
    expect(run.stdout).toMatch(
      /^Exit codes:\n {2}0 +success\n {2}1 +the run failed.*\n {2}2 +bad usage or configuration.*\n {2}130 +interrupted/m,
    );
  });

  it('every command has --help with its options and an example', async () => {
    const runs = await Promise.all(COMMANDS.map((command) => sluice([...command.split(' '), '--help'])));
    runs.forEach((run, i) => {
      const command = COMMANDS[i] as string;
      expect(run.code, command).toBe(0);
      expect(run.stdout, command).toContain(`Usage: sluice ${command === 'ls' ? 'ls|list' : command} [options]`);
      expect(run.stdout, command).toMatch(/\nExample:\n( {2}.*\n)* {2}\$ .*sluice [a-z]/);
    });
    const shared = (i: number) => runs[i]?.stdout ?? '';
    // One default per option, said once: no "(default: never) (default: false)".
    for (const [i, run] of runs.entries()) {
      expect(run.stdout, COMMANDS[i]).not.toMatch(/\(default: [^)]*\)\s*\(default:/);
    }
    expect(shared(COMMANDS.indexOf('init'))).toMatch(
      /--write-password +write the URL with its password into sluice\.yml\s+\(otherwise\s+it never is\)\n/,
    );
    for (const flag of [
      '--project <dir>',
      '--target <name>',
      '--select <selector...>',
      '--exclude <selector...>',
      '--threads <n>',
      '--full-refresh',
      '--json',
      '--project-dir <dir>',
      '--profiles-dir <dir>',
      '--vars <yaml>',
      '--no-ingest',
    ]) {
      expect(shared(COMMANDS.indexOf('run')), flag).toContain(flag);
    }
    expect(shared(COMMANDS.indexOf('run'))).toContain('-t, --target <name>');
    // Only run and build ingest: the other dbt verbs have no --table and no --no-ingest.
    for (const verb of ['test', 'seed', 'snapshot']) {
      expect(shared(COMMANDS.indexOf(verb)), verb).not.toContain('--table');
      expect(shared(COMMANDS.indexOf(verb)), verb).not.toContain('--no-ingest');
      expect(shared(COMMANDS.indexOf(verb)), verb).toContain('--vars <yaml>');
    }
    // The deprecated aliases say so.
    expect(shared(COMMANDS.indexOf('models run'))).toMatch(/Deprecated: the same as sluice run --no-ingest/);
  });

  it('--version prints the version', async () => {
    const run = await sluice(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^sluice \d+\.\d+\.\d+ /);
  });

  it('bad usage exits 2, with a JSON object on stdout under --json', async () => {
    const unknown = await sluice(['nonsense']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'nonsense'");
    const threads = await sluice(['run', '--threads', '0', '--json']);
    expect(threads.code).toBe(2);
    expect(threads.stderr).toContain('--threads must be a whole number of 1 or more');
    expect(JSON.parse(threads.stdout)).toMatchObject({ status: 'usage-error', exitCode: 2 });
    const none = await sluice([]);
    expect(none.code).toBe(2);
  });
});
