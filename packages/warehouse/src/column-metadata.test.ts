import { describe, expect, it } from 'vitest';
import { columnComment, commentText, parseColumnComment, parseTableComment, tableComment } from './column-metadata.js';

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

  it('keeps the text people and governance tools wrote, with Sluice’s record on a line after it', () => {
    const column = { name: 'email', type: { kind: 'text' } as const, nullable: true };
    const merged = columnComment(column, 'Customer e-mail (PII: masked for analysts)');
    expect(merged).toBe('Customer e-mail (PII: masked for analysts)\nsluice:{"type":{"kind":"text"},"nullable":true}');
    expect(parseColumnComment(merged)).toEqual({ type: { kind: 'text' }, nullable: true });
    expect(commentText(merged)).toBe('Customer e-mail (PII: masked for analysts)');
    // writing the record again replaces only the record
    const again = columnComment({ ...column, nullable: false }, merged);
    expect(again).toBe('Customer e-mail (PII: masked for analysts)\nsluice:{"type":{"kind":"text"},"nullable":false}');
    // text that mentions sluice: is text
    expect(commentText('loaded by sluice: nightly')).toBe('loaded by sluice: nightly');
    expect(tableComment(['id'], 'Orders\nsluice: see the wiki')).toBe(
      'Orders\nsluice: see the wiki\nsluice:{"primaryKey":["id"]}',
    );
    expect(parseTableComment('Orders\nsluice: see the wiki\nsluice:{"primaryKey":["id"]}')).toEqual({
      primaryKey: ['id'],
    });
    expect(tableComment(['id'], null)).toBe('sluice:{"primaryKey":["id"]}');
  });
});
