import { describe, expect, it } from 'vitest';
import { columnComment, parseColumnComment, parseTableComment, tableComment } from './column-metadata.js';

describe('column metadata comments', () => {
  it('round-trips a column’s logical type and nullability, and a table’s key', () => {
    const type = { kind: 'array', element: { kind: 'enum', name: 'mood', values: ['a', "it's"] } } as const;
    expect(parseColumnComment(columnComment({ name: 'c', type, nullable: false }))).toEqual({ type, nullable: false });
    expect(parseTableComment(tableComment(['a', 'b']))).toEqual({ primaryKey: ['a', 'b'] });
  });

  it('ignores comments that are not Sluice’s or are damaged', () => {
    expect(parseColumnComment(null)).toBeUndefined();
    expect(parseColumnComment('the customer name')).toBeUndefined();
    expect(parseColumnComment('sluice:{not json')).toBeUndefined();
    expect(parseColumnComment('sluice:{"type":{"kind":"varchar2"}}')).toBeUndefined();
    expect(parseColumnComment('sluice:{"type":{"kind":"decimal","precision":"10"}}')).toBeUndefined();
    expect(parseTableComment('sluice:{"primaryKey":[1]}')).toBeUndefined();
  });
});
