import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture(format: 'json' | 'pretty', secrets: string[] = []) {
  const lines: string[] = [];
  const log = createLogger({
    format,
    secrets,
    stream: { write: (text: string) => lines.push(text) },
    now: () => new Date('2024-05-01T06:00:01.250Z'),
  });
  return { log, lines };
}

describe('createLogger', () => {
  it('writes one JSON object per line, with the run id of a child logger', () => {
    const { log, lines } = capture('json');
    log.child({ runId: 'r-42' }).info('table done', { table: 'vendas', rows: 10, error: undefined });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0]!)).toEqual({
      time: '2024-05-01T06:00:01.250Z',
      level: 'info',
      msg: 'table done',
      runId: 'r-42',
      table: 'vendas',
      rows: 10,
    });
  });

  it('writes readable lines for a terminal', () => {
    const { log, lines } = capture('pretty');
    log.child({ runId: 'r-42' }).warn('table failed', { table: 'vendas', error: 'column missing' });
    expect(lines[0]).toBe('06:00:01 WARN  table failed  run=r-42 table=vendas error="column missing"\n');
  });

  it('never writes a secret, wherever it appears', () => {
    const { log, lines } = capture('json', ['s3cr3t-token-value', 'https://hooks.example.com/T1/B2/xyz']);
    log.error('call to https://hooks.example.com/T1/B2/xyz failed', { header: 'Bearer s3cr3t-token-value' });
    expect(lines[0]).not.toContain('s3cr3t-token-value');
    expect(lines[0]).not.toContain('hooks.example.com/T1');
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'call to *** failed', header: 'Bearer ***' });
  });

  it('drops lines under the level', () => {
    const lines: string[] = [];
    const log = createLogger({ format: 'json', level: 'warn', stream: { write: (text: string) => lines.push(text) } });
    log.debug('a');
    log.info('b');
    log.warn('c');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['c']);
  });
});
