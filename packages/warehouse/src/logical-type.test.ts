import { describe, expect, it } from 'vitest';
import { compareLogicalTypes, formatLogicalType, type LogicalType } from './logical-type.js';

const t = {
  int: { kind: 'integer' },
  big: { kind: 'bigint' },
  dec: (precision?: number, scale?: number): LogicalType =>
    precision === undefined
      ? { kind: 'decimal' }
      : { kind: 'decimal', precision, ...(scale === undefined ? {} : { scale }) },
  text: (maxLength?: number): LogicalType => (maxLength === undefined ? { kind: 'text' } : { kind: 'text', maxLength }),
} as const satisfies Record<string, LogicalType | ((...a: never[]) => LogicalType)>;

describe('compareLogicalTypes', () => {
  it.each([
    [t.int, t.int, 'same'],
    [t.int, t.big, 'widen'],
    [t.big, t.int, 'incompatible'],
    [t.dec(10, 2), t.dec(12, 2), 'widen'],
    [t.dec(10, 2), t.dec(12, 4), 'widen'],
    [t.dec(10, 2), t.dec(10, 3), 'incompatible'],
    [t.dec(10, 2), t.dec(), 'widen'],
    [t.dec(), t.dec(38, 10), 'incompatible'],
    [t.int, t.dec(10, 0), 'widen'],
    [t.int, t.dec(9, 0), 'incompatible'],
    [t.text(10), t.text(40), 'widen'],
    [t.text(40), t.text(10), 'incompatible'],
    [t.text(10), t.text(), 'widen'],
    [{ kind: 'char', length: 2 }, t.text(), 'widen'],
    [t.text(), t.int, 'incompatible'],
    [{ kind: 'real' }, { kind: 'double' }, 'widen'],
    [{ kind: 'array', element: t.int }, { kind: 'array', element: t.big }, 'widen'],
  ] as [LogicalType, LogicalType, string][])('%o → %o is %s', (from, to, expected) => {
    expect(compareLogicalTypes(from, to)).toBe(expected);
  });

  it('names types readably for messages', () => {
    expect(formatLogicalType(t.dec(10, 2))).toBe('decimal(10,2)');
    expect(formatLogicalType(t.text(255))).toBe('text(255)');
    expect(formatLogicalType({ kind: 'array', element: t.int })).toBe('array<integer>');
  });
});
