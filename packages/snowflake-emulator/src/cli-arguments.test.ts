import { describe, expect, test } from 'vitest';
import { connectionHint, parseCliArguments } from './cli-arguments.js';

const noFile = (file: string): string => {
  throw new Error(`no such file ${file}`);
};

describe('parseCliArguments', () => {
  test('--data is required', () => {
    expect(parseCliArguments([], {}, noFile)).toMatchObject({ kind: 'exit', exitCode: 2 });
  });

  test('reads port, host, databases and the result wait', () => {
    expect(
      parseCliArguments(
        [
          '--data',
          '/tmp/x',
          '--port',
          '4567',
          '--host',
          '0.0.0.0',
          '--database',
          'A',
          '--database',
          'B',
          '--result-wait-ms',
          '10',
        ],
        {},
        noFile,
      ),
    ).toEqual({
      kind: 'run',
      user: undefined,
      passwordVariable: undefined,
      options: { dataDir: '/tmp/x', port: 4567, host: '0.0.0.0', databases: ['A', 'B'], resultWaitMs: 10 },
    });
  });

  test('a user takes its password from the environment and its public key from a file', () => {
    const parsed = parseCliArguments(
      ['--data', 'd', '--user', 'sluice', '--password-env', 'PW', '--public-key', 'key.pem'],
      { PW: 'secret' },
      () => 'PEM',
    );
    expect(parsed).toMatchObject({
      kind: 'run',
      options: { users: [{ name: 'sluice', password: 'secret', publicKeyPem: 'PEM' }] },
    });
  });

  test('an unset password variable, a user without credentials and credentials without a user are errors', () => {
    expect(parseCliArguments(['--data', 'd', '--user', 'u', '--password-env', 'NOPE'], {}, noFile)).toMatchObject({
      kind: 'exit',
      exitCode: 2,
      message: expect.stringContaining('NOPE'),
    });
    expect(parseCliArguments(['--data', 'd', '--user', 'u'], {}, noFile)).toMatchObject({ kind: 'exit', exitCode: 2 });
    expect(parseCliArguments(['--data', 'd', '--password-env', 'PW'], { PW: 'x' }, noFile)).toMatchObject({
      kind: 'exit',
      exitCode: 2,
    });
  });

  test('a bad port or an unknown option is an error; --help exits 0', () => {
    expect(parseCliArguments(['--data', 'd', '--port', 'abc'], {}, noFile)).toMatchObject({
      kind: 'exit',
      exitCode: 2,
    });
    expect(parseCliArguments(['--data', 'd', '--nope'], {}, noFile)).toMatchObject({ kind: 'exit', exitCode: 2 });
    expect(parseCliArguments(['--help'], {}, noFile)).toMatchObject({ kind: 'exit', exitCode: 0 });
  });
});

test('connectionHint names the accessUrl and the password variable, never the password', () => {
  const hint = connectionHint('http://127.0.0.1:1234', 'sluice', 'PW', 'RAW');
  expect(hint).toContain("accessUrl: 'http://127.0.0.1:1234'");
  expect(hint).toContain('process.env.PW');
  expect(hint).toContain("database: 'RAW'");
});
