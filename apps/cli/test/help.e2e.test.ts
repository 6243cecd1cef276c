import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTempDir } from '@sluice/testing';
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
  'clean',
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
      'clean',
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

  it('dbt verbs Sluice lacks say so in one line (exit 2); debug runs doctor; clean removes clean-targets', async () => {
    for (const verb of ['deps', 'run-operation', 'show', 'parse']) {
      const run = await sluice([verb, 'some_arg', '--some-flag']);
      expect(run.code, verb).toBe(2);
      expect(run.stderr, verb).toMatch(new RegExp(`^\`sluice ${verb}\`: dbt's ${verb} is not part of Sluice; .+\n$`));
    }
    expect((await sluice(['deps'])).stderr).toContain('Sluice reads dbt_packages/ as dbt leaves it');
    const dir = await createTempDir('sluice-clean-');
    try {
      const debug = await sluice(['debug', '--project-dir', dir.path]);
      expect(debug.code).toBe(2);
      expect(debug.stderr).toContain('sluice debug runs sluice doctor');
      expect(debug.stdout).toContain('sluice doctor');
      await mkdir(path.join(dir.path, 'target', 'compiled'), { recursive: true });
      await mkdir(path.join(dir.path, 'dbt_packages', 'dbt_utils'), { recursive: true });
      await mkdir(path.join(dir.path, 'models'));
      await writeFile(
        path.join(dir.path, 'dbt_project.yml'),
        'name: p\nclean-targets:\n  - target\n  - dbt_packages\n  - logs\n',
      );
      const clean = await sluice(['clean', '--project-dir', dir.path]);
      expect(clean.code).toBe(0);
      expect(clean.stdout).toBe('removed target/\nremoved dbt_packages/\nlogs/ is not there\n');
      expect((await readdir(dir.path)).sort()).toEqual(['dbt_project.yml', 'models']);
      await writeFile(path.join(dir.path, 'dbt_project.yml'), 'name: p\nclean-targets: [models, ../elsewhere]\n');
      const outside = await sluice(['clean', '--project-dir', dir.path]);
      expect(outside.code).toBe(2);
      expect(outside.stderr).toContain(
        'dbt_project.yml:2: clean-targets: "../elsewhere" is outside the project folder',
      );
      expect(await readdir(dir.path)).toContain('models');
    } finally {
      await dir.remove();
    }
  });
});
