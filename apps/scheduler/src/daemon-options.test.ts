import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDaemonOptions } from './daemon-options.js';

describe('parseDaemonOptions', () => {
  it('defaults to 127.0.0.1:8080, the current folder, a 30 s grace period', () => {
    expect(parseDaemonOptions([], {})).toMatchObject({
      project: '.',
      host: '127.0.0.1',
      port: 8080,
      graceMs: 30_000,
      logFormat: 'auto',
      logLevel: 'info',
      token: undefined,
      check: false,
    });
  });

  it('takes flags before environment variables', () => {
    const env = {
      SLUICE_PROJECT: '/env/project',
      SLUICE_SCHEDULER_HOST: '0.0.0.0',
      SLUICE_SCHEDULER_PORT: '9000',
      SLUICE_SCHEDULER_GRACE: '2m',
      SLUICE_SCHEDULER_TOKEN: ' tok ',
    };
    expect(parseDaemonOptions(['--project', '/flag/project', '--port', '0'], env)).toMatchObject({
      project: '/flag/project',
      host: '0.0.0.0',
      port: 0,
      graceMs: 120_000,
      token: 'tok',
    });
    expect(parseDaemonOptions(['--grace', '0'], {}).graceMs).toBe(0);
  });

  it('reads the token, the state store URL and the webhook from files (Docker secrets)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-token-'));
    try {
      writeFileSync(path.join(dir, 'token'), 'from-a-file\n');
      expect(parseDaemonOptions([], { SLUICE_SCHEDULER_TOKEN_FILE: path.join(dir, 'token') }).token).toBe(
        'from-a-file',
      );
      expect(() => parseDaemonOptions([], { SLUICE_SCHEDULER_TOKEN_FILE: path.join(dir, 'missing') })).toThrow(
        /SLUICE_SCHEDULER_TOKEN_FILE: cannot read .*missing \(ENOENT\)/,
      );
      // The state store URL and the webhook too; the variable itself wins over its _FILE.
      writeFileSync(path.join(dir, 'state_url'), 'postgres://sluice:pw@state-db:5432/sluice\n');
      writeFileSync(path.join(dir, 'webhook'), 'https://hooks.example.com/T/B/x\n');
      const fromFiles = parseDaemonOptions([], {
        SLUICE_STATE_URL_FILE: path.join(dir, 'state_url'),
        SLUICE_ALERT_WEBHOOK_URL_FILE: path.join(dir, 'webhook'),
      });
      expect(fromFiles.stateUrl).toBe('postgres://sluice:pw@state-db:5432/sluice');
      expect(fromFiles.webhookUrl).toBe('https://hooks.example.com/T/B/x');
      expect(
        parseDaemonOptions([], {
          SLUICE_STATE_URL: 'postgres://direct@h/db',
          SLUICE_STATE_URL_FILE: path.join(dir, 'missing'),
        }).stateUrl,
      ).toBe('postgres://direct@h/db');
      let message = '';
      try {
        parseDaemonOptions([], { SLUICE_STATE_URL_FILE: dir });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toBe(`SLUICE_STATE_URL_FILE: cannot read ${dir} (EISDIR)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad values, naming the flag, the variable and what is accepted', () => {
    expect(() => parseDaemonOptions(['--port', 'http'], {})).toThrow(
      '--port / SLUICE_SCHEDULER_PORT: "http" is not a port number (0 to 65535)',
    );
    expect(() => parseDaemonOptions(['--grace', 'a while'], {})).toThrow(/--grace .* is not a duration/);
    expect(() => parseDaemonOptions([], { SLUICE_LOG_FORMAT: 'xml' })).toThrow(/not one of auto, json, pretty/);
    expect(() => parseDaemonOptions(['--token', 'x'], {})).toThrow(/Unknown option '--token'.*--help/);
  });
});
