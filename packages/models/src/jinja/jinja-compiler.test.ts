import nunjucks from 'nunjucks';
import { describe, expect, it } from 'vitest';
import { installJinjaBuiltins, jinjaGlobals } from './jinja-builtins.js';
import { compileJinja } from './jinja-compiler.js';
import { MacroReturn } from './jinja-runtime.js';
import { pythonModules } from './python-modules.js';

function environment(): nunjucks.Environment {
  nunjucks.installJinjaCompat();
  const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
  installJinjaBuiltins(env);
  for (const [name, fn] of Object.entries(jinjaGlobals(() => undefined))) env.addGlobal(name, fn);
  env.addGlobal('modules', pythonModules());
  env.addGlobal('return', (value: unknown) => {
    throw new MacroReturn(value);
  });
  return env;
}

function render(source: string, context: Record<string, unknown> = {}): string {
  return compileJinja(source, environment(), 'test.sql').render(context);
}

describe('compileJinja: Jinja semantics dbt packages rely on', () => {
  it('treats empty lists and dicts as false, and and/or return an operand', () => {
    expect(render('{% if [] %}yes{% else %}no{% endif %}')).toBe('no');
    expect(render('{% if {} %}yes{% else %}no{% endif %}')).toBe('no');
    expect(render("{% if not [] and 'x' %}yes{% endif %}")).toBe('yes');
    expect(render("{{ [] or 'fallback' }}|{{ 'a' and 'b' }}")).toBe('fallback|b');
    expect(render("{{ 'y' if [] else 'n' }}")).toBe('n');
  });

  it('runs {% do %}, list methods and return(), which ends the nearest macro call (as dbt does)', () => {
    const source = `{%- macro pick(xs) -%}{%- set out = [] -%}{%- for x in xs -%}{%- do out.append(x | upper) -%}{%- endfor -%}{{ return(out) }}{%- endmacro -%}
{%- macro wrap() -%}[{{ caller() }}]{%- endmacro -%}
{%- macro early() -%}{%- call wrap() -%}{{ return('from call body') }}{%- endcall -%}never{%- endmacro -%}
{{ pick(['a', 'b']) | join(',') }}|{{ pick([]) | length }}|{{ early() }}`;
    // The call body is not a macro of its own: its return() ends wrap(), the macro that called caller().
    expect(render(source)).toBe('A,B|0|from call bodynever');
  });

  it('passes *args and **kwargs and exposes varargs and kwargs in macros', () => {
    const source = `{%- macro f(a, b=2) -%}{{ a }}-{{ b }}-{{ varargs | join('+') }}-{{ kwargs.get('c', 'none') }}{%- endmacro -%}
{%- set more = [3, 4] -%}{%- set named = {'c': 'C'} -%}
{{ f(1, 9, *more, **named) }}|{{ f(1) }}|{{ f(a=5, b=6) }}`;
    expect(render(source)).toBe('1-9-3+4-C|1-2--none|5-6--none');
  });

  it('evaluates dict keys written as names and compares like Python', () => {
    expect(render("{% set k = 'x' %}{% set d = {k: 1} %}{{ d['x'] }}")).toBe('1');
    expect(render("{% set d = {undefined_name: 1} %}{{ d['undefined_name'] }}")).toBe('1');
    expect(render("{{ 1 == '1' }}|{{ [1, 2] == [1, 2] }}|{{ 'a' != 'a' }}")).toBe('False|True|False');
    expect(render("{{ [1] + [2] }}|{{ none }}|{{ 'n=' ~ none }}")).toBe('[1, 2]|None|n=None');
  });

  it('has namespace(), set on attributes, dict iteration and Python string methods', () => {
    const source = `{%- set ns = namespace(total=0) -%}{%- for n in [1, 2, 3] -%}{%- set ns.total = ns.total + n -%}{%- endfor -%}
{{ ns.total }}|{% for k in {'a': 1, 'b': 2} %}{{ k }}{% endfor %}|{{ '  x y  '.strip().split(' ') }}|{{ 'a-b-c'.replace('-', '_') }}|{{ '{}_{}'.format('p', 2) }}`;
    expect(render(source)).toBe("6|ab|['x', 'y']|a_b_c|p_2");
  });

  it('has the filters and tests dbt packages use', () => {
    const source = `{%- set cols = [{'name': 'B'}, {'name': 'a'}] -%}
{{ cols | map(attribute='name') | map('lower') | join(',') }}|{{ [3, 1, 3] | unique | list }}|{{ [2, 5, 1] | max }}|{{ none is none }}|{{ {'a': 1} is mapping }}|{{ 'x' is string }}|{{ set(['a', 'b', 'a']) | length }}`;
    expect(render(source)).toBe('b,a|[3, 1]|5|True|True|True|2');
  });

  it('gives modules.datetime, re and itertools', () => {
    expect(render('{{ modules.datetime.date(2024, 2, 28) + modules.datetime.timedelta(days=2) }}')).toBe('2024-03-01');
    expect(render("{{ modules.datetime.datetime(2024, 1, 5, 13, 4).strftime('%Y%m%d %H:%M %a') }}")).toBe(
      '20240105 13:04 Fri',
    );
    expect(
      render("{{ modules.re.sub('[ -]+', '_', 'a b-c') }}|{{ modules.re.match('(\\\\d+)', '42x').group(1) }}"),
    ).toBe('a_b_c|42');
    expect(render("{{ modules.itertools.product([1, 2], ['a']) | length }}")).toBe('2');
  });

  it('reports a syntax error with its line', () => {
    let error: unknown;
    try {
      render('line 1\n{% if %}');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ lineno: 2, message: expect.stringMatching(/unexpected token/) });
  });
});

describe('compileJinja: what nunjucks cannot parse is an error with its line', () => {
  it.each([['{% with %}', 'line 1\n{% with x = 1 %}{{ x }}{% endwith %}']])('%s', (_name, source) => {
    let error: unknown;
    try {
      render(source);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ lineno: 2 });
  });

  it('passes keyword arguments by name even where a variable has that name', () => {
    expect(
      render("{% macro f(a, b) %}{{ a }}/{{ b }}{% endmacro %}{% set b = 'zz' %}{% set a = 'yy' %}{{ f(b=a, a=b) }}"),
    ).toBe('zz/yy');
  });
});
