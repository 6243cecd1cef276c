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

  it("gives a macro's caller its own frame back when the callee ends with return()", () => {
    // dbt-codegen's generate_model_yaml: a macro returning from inside nested loops of its caller.
    const source = `{%- macro add(c, out) -%}{%- do out.append(c) -%}{{ return(out) }}{%- endmacro -%}
{%- macro collect(xs) -%}{%- set out = [] -%}{%- for x in xs -%}{%- for c in [1, 2] -%}{%- set out = add(x ~ c, out) -%}{%- endfor -%}{%- endfor -%}{{ out | join(',') }}|{{ xs | length }}{%- endmacro -%}
{{ collect(['a', 'b']) }}`;
    expect(render(source)).toBe('a1,a2,b1,b2|2');
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
  it.each([['{% with %} without a value', 'line 1\n{% with x %}{{ x }}{% endwith %}']])('%s', (_name, source) => {
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

function renderError(source: string): { message?: string; lineno?: number } {
  try {
    render(source);
  } catch (error) {
    return error as { message?: string; lineno?: number };
  }
  throw new Error(`expected ${source} to fail`);
}

describe('compileJinja: syntax dbt packages write that nunjucks did not parse', () => {
  it('accepts a trailing comma in dict, list and tuple literals and in call arguments', () => {
    expect(render("{% set d = {'a': 1, 'b': 2,} %}{{ d['b'] }}|{{ d | length }}")).toBe('2|2');
    expect(render('{{ [1, 2,] }}|{{ (1, 2,) }}|{{ (1,) }}')).toBe('[1, 2]|(1, 2)|(1,)');
    expect(render('{% macro f(a, b) %}{{ a }}{{ b }}{% endmacro %}{{ f(1, 2,) }}|{{ f(1, b=2,) }}')).toBe('12|12');
  });

  it('takes any expression as a dict key, a filter included', () => {
    expect(render("{% set k = 'AB' %}{{ {k | lower: 1} }}|{{ {'x' ~ 1: 2} }}|{{ {1 + 1: 'two'} }}")).toBe(
      "{'ab': 1}|{'x1': 2}|{'2': 'two'}",
    );
  });

  it('reads string escapes as Python does: an unknown escape keeps its backslash', () => {
    expect(render("{{ '\\d+\\s' }}|{{ 'a\\tb' == 'a' ~ '\\x09' ~ 'b' }}|{{ 'it\\'s' }}|{{ '\\u00e9\\\\' }}")).toBe(
      "\\d+\\s|True|it's|é\\",
    );
    expect(render("{{ modules.re.sub('\\s+', '_', 'a  b') }}|{{ 'one \\\ntwo' }}")).toBe('a_b|one two');
  });

  it('reads Python regexes: inline flags, verbose patterns, literal braces', () => {
    const verbose = `{{ modules.re.findall('(?ix)
      (from|join)\\s+   # the keyword
      ({{\\s*var)      # a literal {{ var', 'select 1 FROM {{ var("t") }}') }}`;
    expect(render(verbose)).toBe("[('FROM', '{{ var')]");
    expect(
      render("{{ modules.re.match('a{2}', 'aa') is not none }}|{{ modules.re.search('[]x]', 'a]') is not none }}"),
    ).toBe('True|True');
  });

  it('joins adjacent string literals as Python does', () => {
    expect(render('{{ "a" "b" }}|{{ \'a\' "b" \'c\' | upper }}')).toBe('ab|ABC');
    // dbt-codegen writes "…sh """~ name ~""" ": empty strings next to others.
    expect(render('{% set n = "src" %}{{ "run """~ n ~""" " }}!')).toBe('run src !');
  });

  it('has {% break %} and {% continue %} (jinja2.ext.loopcontrols, which dbt enables)', () => {
    expect(render('{% for x in [1, 2, 3] %}{% if x == 2 %}{% break %}{% endif %}{{ x }}{% endfor %}')).toBe('1');
    expect(render('{% for x in [1, 2, 3] %}{% if x == 2 %}{% continue %}{% endif %}{{ x }}{% endfor %}')).toBe('13');
    // Each ends its own loop only.
    const nested =
      '{% for a in [1, 2] %}{% for b in [1, 2, 3] %}{% if b > a %}{% break %}{% endif %}{{ a }}{{ b }} {% endfor %}{% endfor %}';
    expect(render(nested)).toBe('11 21 22 ');
    expect(renderError('line 1\n{% break %}')).toMatchObject({
      lineno: 2,
      message: expect.stringMatching(/only allowed inside a \{% for %\} loop/),
    });
  });

  it('unpacks tuples in for loops and writes tuple literals as Python', () => {
    expect(render('{% for a, b in [(1, 2), (3, 4)] %}{{ a }}{{ b }}{% endfor %}')).toBe('1234');
    expect(render("{% for k, v in {'x': 1, 'y': 2}.items() %}{{ k }}={{ v }};{% endfor %}")).toBe('x=1;y=2;');
    expect(render('{% for (a, b) in [(1, 2)] %}{{ a + b }}{% endfor %}')).toBe('3');
    expect(render("{{ (1, 'a') }}|{{ () }}|{{ (1, 2) == (1, 2) }}|{{ (1, 2) == [1, 2] }}|{{ (3) }}")).toBe(
      "(1, 'a')|()|True|False|3",
    );
    expect(render("{% for p in zip([1, 2], ['a', 'b']) %}{{ p }}{% endfor %}|{{ tuple([1]) }}")).toBe(
      "(1, 'a')(2, 'b')|(1,)",
    );
    // A macro called inside the loop body sees the unpacked names too.
    const inCall =
      "{% macro wrap() %}[{{ caller() }}]{% endmacro %}{% for k, v in {'x': 1}.items() %}{% call wrap() %}{{ k }}{{ v }}{% endcall %}{% endfor %}";
    expect(render(inCall)).toBe('[x1]');
  });

  it('scopes {% with %} names (and what its body sets) to the block', () => {
    expect(
      render("{% set a = 'out' %}{% with a = 1, b = a %}{{ a }}{{ b }}{% set c = 3 %}{{ c }}{% endwith %}{{ a }}"),
    ).toBe('1out3out');
    expect(render('{% with %}{% set z = 1 %}{{ z }}{% endwith %}{{ z is defined }}')).toBe('1False');
  });

  it('runs tests written with an argument and no parentheses', () => {
    expect(render('{{ 3 is divisibleby 3 }}|{{ 4 is divisibleby(3) }}|{{ 4 is not divisibleby 3 }}')).toBe(
      'True|False|True',
    );
    expect(render('{% set x = none %}{{ x is sameas none }}|{{ x is none }}|{{ 1 is sameas true }}')).toBe(
      'True|True|False',
    );
    expect(render("{{ 'a' is in ['a', 'b'] }}|{{ 'c' is in 'abc' }}|{{ 'z' is not in ['a'] }}")).toBe('True|True|True');
    expect(render('{{ zz is not defined }}|{{ zz is defined and zz }}|{{ 2 is eq 2 or false }}')).toBe(
      'True|False|True',
    );
  });
});

describe('compileJinja: constructs that rendered wrong output', () => {
  it('filters a for loop with `if`, loop.index counting only the kept items', () => {
    expect(render('{% for x in [1, 0, 2] if x %}{{ x }}{% endfor %}')).toBe('12');
    expect(
      render('{% for x in [1, 0, 2] if x %}{{ loop.index }}:{{ x }}{% if loop.last %}.{% endif %} {% endfor %}'),
    ).toBe('1:1 2:2. ');
    expect(render('{% for x in [0, none] if x %}{{ x }}{% else %}empty{% endfor %}')).toBe('empty');
    expect(render("{% for k, v in {'a': 1, 'b': 0}.items() if v %}{{ k }}{% endfor %}")).toBe('a');
    expect(render("{% for k in {'a': 1, 'b': 0} if k != 'a' %}{{ k }}{% endfor %}")).toBe('b');
    // The filter's names are the loop's own, even where an outer loop has the same name.
    expect(render('{% for x in [5] %}{% for x in [1, 2] if x > 1 %}{{ x }}{% endfor %}{{ x }}{% endfor %}')).toBe('25');
  });

  it("has Jinja's loop.cycle, loop.previtem and loop.nextitem", () => {
    expect(render("{% for x in [1, 2, 3] %}{{ loop.cycle('odd', 'even') }}{% endfor %}")).toBe('oddevenodd');
    expect(
      render(
        '{% for x in [1, 2, 3] %}{{ loop.previtem is defined }}/{{ loop.nextitem if loop.nextitem else 0 }} {% endfor %}',
      ),
    ).toBe('False/2 True/3 True/0 ');
  });

  it('repeats strings and lists with *', () => {
    expect(render("{{ '-' * 3 }}|{{ 2 * 'ab' }}|{{ [0] * 3 }}|{{ [1, 2] * 0 }}|{{ 2 * 3 }}|{{ (1,) * 2 }}")).toBe(
      '---|abab|[0, 0, 0]|[]|6|(1, 1)',
    );
  });

  it('slices strings to strings and lists to lists, with negative indexes and steps', () => {
    expect(
      render("{{ 'abcdef'[1:3] }}|{{ 'abcdef'[:2] }}|{{ 'abcdef'[4:] }}|{{ 'abcdef'[-2:] }}|{{ 'abcdef'[::2] }}"),
    ).toBe('bc|ab|ef|ef|ace');
    expect(render("{{ [1, 2, 3][::-1] }}|{{ [1, 2, 3][1:] }}|{{ 'abc'[::-1] }}|{{ [1, 2, 3][-2:-1] }}")).toBe(
      '[3, 2, 1]|[2, 3]|cba|[2]',
    );
    expect(render("{{ 'abc'[-1] }}|{{ [1, 2, 3][-3] }}|{{ 'abc'[5:9] }}|{{ 'abcdef'[1:3] | length }}")).toBe('c|1||2');
    expect(render("{% set s = 'a.b.c' %}{{ s.split('.')[1:] | join('/') }}|{{ s[s.index('.') + 1:] }}")).toBe(
      'b/c|b.c',
    );
  });

  it("writes any value as text in Jinja's string filters", () => {
    expect(render("{{ true | trim }}|{{ 12 | upper }}|{{ none | lower }}|{{ 3.5 | replace('.', ',') }}")).toBe(
      'True|12|none|3,5',
    );
    expect(render("{{ set_strict([1, 1, 2]) | length }}|{{ zip_strict([1], ['a']) | list }}")).toBe("2|[(1, 'a')]");
  });
});

describe('compileJinja: Jinja that Sluice does not support yet says so', () => {
  it.each([
    ['{% for … recursive %}', 'x\n{% for x in [1] recursive %}{{ x }}{% endfor %}', /recursive for loops/],
    ['{% autoescape %}', 'x\n{% autoescape true %}a{% endautoescape %}', /\{% autoescape %\} blocks/],
  ])('%s', (_name, source, construct) => {
    const error = renderError(source);
    expect(error.lineno).toBe(2);
    expect(error.message).toMatch(construct);
    expect(error.message).toMatch(/dbt's Jinja accepts this, but Sluice does not support it yet/);
  });
});
