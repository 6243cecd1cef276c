import { describe, expect, it } from 'vitest';
import { splitStatements } from './sql-script.js';

describe('splitStatements', () => {
  it('splits at top-level semicolons only', () => {
    expect(splitStatements(`select ';' as a; select 'it''s; \\'x;' ; select "a;b" from t;`)).toEqual([
      `select ';' as a`,
      `select 'it''s; \\'x;'`,
      `select "a;b" from t`,
    ]);
    expect(splitStatements('select 1 -- a; comment\n; // another; one\nselect 2 /* ; */')).toEqual([
      'select 1 -- a; comment',
      '// another; one\nselect 2 /* ; */',
    ]);
    expect(splitStatements('select $$a;b$$; ;  ; -- only a comment')).toEqual(['select $$a;b$$']);
  });

  it('keeps a PUT whole: its file:// path is not SQL', () => {
    expect(splitStatements('PUT file:///tmp/a//b;c.csv @s;')).toEqual(['PUT file:///tmp/a//b;c.csv @s']);
  });
});
