import { callArguments } from '../call-arguments.js';
import { pyIterable, pyRepr, pyStr, tupleOf } from './python-values.js';

/*
 * dbt's `modules`: the parts of Python's `datetime`, `pytz`, `re` and `itertools` that dbt projects and packages
 * call from templates (dbt_utils' `pretty_time`, dbt_date's `date()`/`datetime()`, `modules.re.sub` in `slugify`).
 * Values print as Python prints them (`str(date)` is `2024-01-31`).
 */

type Fn = (...args: unknown[]) => unknown;

function bind(names: readonly string[], args: readonly unknown[]): Record<string, unknown> {
  const { positional, keywords } = callArguments(args);
  const out: Record<string, unknown> = { ...keywords };
  names.forEach((name, i) => {
    if (i < positional.length) out[name] = positional[i];
  });
  return out;
}

const pad = (n: number, width = 2): string => String(Math.trunc(Math.abs(n))).padStart(width, '0');

const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** A time zone (`pytz.timezone('America/Sao_Paulo')`, `pytz.utc`): its UTC offset at an instant, from Intl. */
export class PyTimeZone {
  constructor(readonly zone: string) {
    // Throws RangeError for a zone the runtime does not know, as pytz raises UnknownTimeZoneError.
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  }
  /** Minutes east of UTC at the instant `utcMs`. */
  offsetMinutes(utcMs: number): number {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone: this.zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    }).formatToParts(new Date(utcMs));
    const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
    const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
    return Math.round((wall - Math.floor(utcMs / 1000) * 1000) / 60000);
  }
  localize(dt: PyDateTime): PyDateTime {
    return dt.replace({ tzinfo: this });
  }
  toString(): string {
    return this.zone;
  }
}

/** `datetime.timedelta`. */
export class PyTimeDelta {
  readonly totalMicroseconds: number;
  constructor(...args: unknown[]) {
    const b = bind(['days', 'seconds', 'microseconds', 'milliseconds', 'minutes', 'hours', 'weeks'], args);
    const n = (k: string): number => Number(b[k] ?? 0);
    this.totalMicroseconds = Math.round(
      ((((n('weeks') * 7 + n('days')) * 24 + n('hours')) * 60 + n('minutes')) * 60 + n('seconds')) * 1e6 +
        n('milliseconds') * 1e3 +
        n('microseconds'),
    );
  }
  static ofMicroseconds(us: number): PyTimeDelta {
    return new PyTimeDelta({ microseconds: us, __keywords: true });
  }
  get days(): number {
    return Math.floor(this.totalMicroseconds / 86_400e6);
  }
  get seconds(): number {
    return Math.floor((this.totalMicroseconds - this.days * 86_400e6) / 1e6);
  }
  get microseconds(): number {
    return this.totalMicroseconds - this.days * 86_400e6 - this.seconds * 1e6;
  }
  total_seconds(): number {
    return this.totalMicroseconds / 1e6;
  }
  __add__(other: unknown): unknown {
    if (other instanceof PyTimeDelta)
      return PyTimeDelta.ofMicroseconds(this.totalMicroseconds + other.totalMicroseconds);
    if (other instanceof PyDate) return other.__add__(this);
    throw new TypeError(`cannot add a timedelta and ${pyRepr(other)}`);
  }
  __sub__(other: unknown): unknown {
    if (other instanceof PyTimeDelta)
      return PyTimeDelta.ofMicroseconds(this.totalMicroseconds - other.totalMicroseconds);
    throw new TypeError(`cannot subtract ${pyRepr(other)} from a timedelta`);
  }
  __eq__(other: unknown): boolean {
    return other instanceof PyTimeDelta && other.totalMicroseconds === this.totalMicroseconds;
  }
  toString(): string {
    const s = this.seconds;
    const time = `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}${this.microseconds ? `.${pad(this.microseconds, 6)}` : ''}`;
    return this.days === 0 ? time : `${this.days} day${Math.abs(this.days) === 1 ? '' : 's'}, ${time}`;
  }
}

/** `datetime.date`. Arithmetic with timedeltas; prints as `YYYY-MM-DD`. */
export class PyDate {
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
  ) {
    const check = new Date(Date.UTC(year, month - 1, day));
    if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
      throw new RangeError(`ValueError: day is out of range for month (${year}-${month}-${day})`);
    }
  }
  /** Midnight of the date, as if UTC (dates carry no zone). */
  protected get epochMs(): number {
    return Date.UTC(this.year, this.month - 1, this.day);
  }
  weekday(): number {
    return (new Date(this.epochMs).getUTCDay() + 6) % 7;
  }
  isoweekday(): number {
    return this.weekday() + 1;
  }
  isocalendar(): number[] {
    const d = new Date(this.epochMs);
    const thursday = new Date(d.getTime() + (3 - this.weekday()) * 86_400_000);
    const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
    const week = Math.floor((thursday.getTime() - yearStart) / 86_400_000 / 7) + 1;
    return [thursday.getUTCFullYear(), week, this.isoweekday()];
  }
  toordinal(): number {
    return Math.round((this.epochMs - Date.UTC(1, 0, 1)) / 86_400_000) + 1 - 0;
  }
  replace(...args: unknown[]): PyDate {
    const b = bind(['year', 'month', 'day'], args);
    return new PyDate(Number(b.year ?? this.year), Number(b.month ?? this.month), Number(b.day ?? this.day));
  }
  isoformat(): string {
    return `${pad(this.year, 4)}-${pad(this.month)}-${pad(this.day)}`;
  }
  strftime(format: unknown): string {
    return strftime(this, pyStr(format));
  }
  __add__(other: unknown): unknown {
    if (!(other instanceof PyTimeDelta)) throw new TypeError(`cannot add a date and ${pyRepr(other)}`);
    const d = new Date(this.epochMs + Math.floor(other.totalMicroseconds / 86_400e6) * 86_400_000);
    return new PyDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
  }
  __sub__(other: unknown): unknown {
    if (other instanceof PyTimeDelta) return this.__add__(PyTimeDelta.ofMicroseconds(-other.totalMicroseconds));
    if (other instanceof PyDate && !(other instanceof PyDateTime)) {
      return PyTimeDelta.ofMicroseconds((this.epochMs - other.epochMs) * 1000);
    }
    throw new TypeError(`cannot subtract ${pyRepr(other)} from a date`);
  }
  __eq__(other: unknown): boolean {
    return other instanceof PyDate && other.toString() === this.toString();
  }
  toString(): string {
    return this.isoformat();
  }
  /** Comparisons (`<`, `>`) compare the instants. */
  valueOf(): number {
    return this.epochMs;
  }
}

/** `datetime.datetime`, naive or with a `tzinfo`. */
export class PyDateTime extends PyDate {
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly microsecond: number;
  readonly tzinfo: PyTimeZone | null;
  constructor(...args: unknown[]) {
    const b = bind(['year', 'month', 'day', 'hour', 'minute', 'second', 'microsecond', 'tzinfo'], args);
    super(Number(b.year), Number(b.month), Number(b.day));
    this.hour = Number(b.hour ?? 0);
    this.minute = Number(b.minute ?? 0);
    this.second = Number(b.second ?? 0);
    this.microsecond = Number(b.microsecond ?? 0);
    this.tzinfo = b.tzinfo instanceof PyTimeZone ? b.tzinfo : null;
  }
  /** The wall time as if UTC, in microseconds. */
  private get wallMicros(): number {
    return Date.UTC(this.year, this.month - 1, this.day, this.hour, this.minute, this.second) * 1000 + this.microsecond;
  }
  private offsetMinutes(): number | undefined {
    if (this.tzinfo === null) return undefined;
    // The offset in force at this wall time (one pass is exact except within a DST change).
    const guess = this.tzinfo.offsetMinutes(this.wallMicros / 1000);
    return this.tzinfo.offsetMinutes(this.wallMicros / 1000 - guess * 60_000);
  }
  static fromWall(micros: number, tzinfo: PyTimeZone | null): PyDateTime {
    const ms = Math.floor(micros / 1000);
    const d = new Date(ms);
    return new PyDateTime({
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      microsecond: micros - Math.floor(micros / 1e6) * 1e6,
      tzinfo,
      __keywords: true,
    });
  }
  static fromInstant(utcMicros: number, tzinfo: PyTimeZone | null): PyDateTime {
    const offset = tzinfo === null ? 0 : tzinfo.offsetMinutes(utcMicros / 1000);
    return PyDateTime.fromWall(utcMicros + offset * 60e6, tzinfo);
  }
  protected override get epochMs(): number {
    return Math.floor(this.wallMicros / 1000) - (this.offsetMinutes() ?? 0) * 60_000;
  }
  date(): PyDate {
    return new PyDate(this.year, this.month, this.day);
  }
  override replace(...args: unknown[]): PyDateTime {
    const b = bind(['year', 'month', 'day', 'hour', 'minute', 'second', 'microsecond', 'tzinfo'], args);
    const pick = (k: keyof PyDateTime & string): unknown => (k in b ? b[k] : this[k]);
    return new PyDateTime({
      year: pick('year'),
      month: pick('month'),
      day: pick('day'),
      hour: pick('hour'),
      minute: pick('minute'),
      second: pick('second'),
      microsecond: pick('microsecond'),
      tzinfo: pick('tzinfo'),
      __keywords: true,
    });
  }
  astimezone(tz?: unknown): PyDateTime {
    const zone = tz instanceof PyTimeZone ? tz : new PyTimeZone('UTC');
    return PyDateTime.fromInstant(this.epochMs * 1000 + this.microsecond - (this.microsecond % 1000), zone);
  }
  utcoffset(): PyTimeDelta | null {
    const offset = this.offsetMinutes();
    return offset === undefined ? null : new PyTimeDelta({ minutes: offset, __keywords: true });
  }
  timestamp(): number {
    return this.epochMs / 1000;
  }
  override isoformat(separator: unknown = 'T'): string {
    const time = `${pad(this.hour)}:${pad(this.minute)}:${pad(this.second)}${this.microsecond ? `.${pad(this.microsecond, 6)}` : ''}`;
    return `${super.isoformat()}${pyStr(separator)}${time}${offsetText(this.offsetMinutes(), ':')}`;
  }
  override __add__(other: unknown): unknown {
    if (!(other instanceof PyTimeDelta)) throw new TypeError(`cannot add a datetime and ${pyRepr(other)}`);
    return PyDateTime.fromWall(this.wallMicros + other.totalMicroseconds, this.tzinfo);
  }
  override __sub__(other: unknown): unknown {
    if (other instanceof PyTimeDelta)
      return PyDateTime.fromWall(this.wallMicros - other.totalMicroseconds, this.tzinfo);
    if (other instanceof PyDateTime) return PyTimeDelta.ofMicroseconds(this.wallMicros - other.wallMicros);
    throw new TypeError(`cannot subtract ${pyRepr(other)} from a datetime`);
  }
  override toString(): string {
    return this.isoformat(' ');
  }
}

function offsetText(minutes: number | undefined, separator: string): string {
  if (minutes === undefined) return '';
  const sign = minutes < 0 ? '-' : '+';
  return `${sign}${pad(Math.floor(Math.abs(minutes) / 60))}${separator}${pad(Math.abs(minutes) % 60)}`;
}

/** Python's `strftime` directives (the C-locale ones). */
function strftime(value: PyDate, format: string): string {
  const dt = value instanceof PyDateTime ? value : undefined;
  const h = dt?.hour ?? 0;
  const dayOfYear =
    Math.round((Date.UTC(value.year, value.month - 1, value.day) - Date.UTC(value.year, 0, 1)) / 86_400_000) + 1;
  return format.replace(/%([a-zA-Z%])/g, (match, d: string) => {
    switch (d) {
      case 'Y':
        return pad(value.year, 4);
      case 'y':
        return pad(value.year % 100);
      case 'm':
        return pad(value.month);
      case 'd':
        return pad(value.day);
      case 'H':
        return pad(h);
      case 'I':
        return pad(h % 12 === 0 ? 12 : h % 12);
      case 'p':
        return h < 12 ? 'AM' : 'PM';
      case 'M':
        return pad(dt?.minute ?? 0);
      case 'S':
        return pad(dt?.second ?? 0);
      case 'f':
        return pad(dt?.microsecond ?? 0, 6);
      case 'j':
        return pad(dayOfYear, 3);
      case 'a':
        return (DAY_NAMES[value.weekday()] as string).slice(0, 3);
      case 'A':
        return DAY_NAMES[value.weekday()] as string;
      case 'w':
        return String((value.weekday() + 1) % 7);
      case 'u':
        return String(value.isoweekday());
      case 'b':
        return (MONTH_NAMES[value.month - 1] as string).slice(0, 3);
      case 'B':
        return MONTH_NAMES[value.month - 1] as string;
      case 'V':
        return pad(value.isocalendar()[1] as number);
      case 'G':
        return pad(value.isocalendar()[0] as number, 4);
      case 'z':
        return offsetText(dt === undefined ? undefined : (dt.utcoffset()?.total_seconds() ?? NaN) / 60, '').replace(
          'NaN',
          '',
        );
      case 'Z':
        return dt?.tzinfo?.zone ?? '';
      case 'F':
        return value.isoformat().slice(0, 10);
      case 'T':
        return `${pad(h)}:${pad(dt?.minute ?? 0)}:${pad(dt?.second ?? 0)}`;
      case '%':
        return '%';
      default:
        return match;
    }
  });
}

/** `datetime.strptime` for numeric directives (`%Y %m %d %H %M %S %f`) and literal text. */
function strptime(text: string, format: string): PyDateTime {
  const fields: string[] = [];
  const pattern = format.replace(
    /%([YmdHMSfjy%])|([.*+?^${}()|[\]\\])/g,
    (_m, d: string | undefined, lit: string | undefined) => {
      if (lit !== undefined) return `\\${lit}`;
      if (d === '%') return '%';
      fields.push(d as string);
      return d === 'Y' ? '(\\d{4})' : d === 'f' ? '(\\d{1,6})' : d === 'j' ? '(\\d{1,3})' : '(\\d{1,2})';
    },
  );
  const m = new RegExp(`^${pattern}$`).exec(text);
  if (!m) throw new Error(`ValueError: time data ${pyRepr(text)} does not match format ${pyRepr(format)}`);
  const v: Record<string, number> = { Y: 1900, m: 1, d: 1, H: 0, M: 0, S: 0, f: 0 };
  fields.forEach((f, i) => {
    const raw = m[i + 1] as string;
    v[f] = f === 'f' ? Number(raw.padEnd(6, '0')) : f === 'y' ? 2000 + Number(raw) : Number(raw);
    if (f === 'y') v.Y = v.y as number;
  });
  return new PyDateTime(v.Y, v.m, v.d, v.H, v.M, v.S, v.f);
}

function fromIso(text: string): PyDateTime {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?$/.exec(text.trim());
  if (!m) throw new Error(`ValueError: Invalid isoformat string: ${pyRepr(text)}`);
  return new PyDateTime(
    Number(m[1]),
    Number(m[2]),
    Number(m[3]),
    Number(m[4] ?? 0),
    Number(m[5] ?? 0),
    Number(m[6] ?? 0),
    Number((m[7] ?? '0').padEnd(6, '0')),
  );
}

function nowIn(tz: unknown): PyDateTime {
  const micros = Date.now() * 1000;
  return tz instanceof PyTimeZone
    ? PyDateTime.fromInstant(micros, tz)
    : PyDateTime.fromWall(micros - new Date().getTimezoneOffset() * 60e6, null);
}

const dateClass = Object.assign(
  (...args: unknown[]) => {
    const b = bind(['year', 'month', 'day'], args);
    return new PyDate(Number(b.year), Number(b.month), Number(b.day));
  },
  {
    today: () => nowIn(undefined).date(),
    fromisoformat: (text: unknown) => fromIso(pyStr(text)).date(),
  },
);

const datetimeClass = Object.assign((...args: unknown[]) => new PyDateTime(...args), {
  now: (tz?: unknown) => nowIn(tz),
  utcnow: () => PyDateTime.fromWall(Date.now() * 1000, null),
  today: () => nowIn(undefined),
  fromisoformat: (text: unknown) => fromIso(pyStr(text)),
  strptime: (text: unknown, format: unknown) => strptime(pyStr(text), pyStr(format)),
  combine: (date: unknown, time: unknown) => {
    const d = date as PyDate;
    const t = (time ?? {}) as { hour?: number; minute?: number; second?: number };
    return new PyDateTime(d.year, d.month, d.day, t.hour ?? 0, t.minute ?? 0, t.second ?? 0);
  },
});

/**
 * A Python pattern's text as a JavaScript (unicode-mode) regex reads it: in verbose mode (`re.X`, `(?x)`) whitespace
 * and `#` comments outside classes dropped; a `{` or `}` that is no quantifier escaped (Python takes it literally).
 */
function pythonRegexSyntax(pattern: string, verbose: boolean): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      out += c + (pattern[i + 1] ?? '');
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += `\\${pattern[++i]}`;
    } else if (verbose && /\s/.test(c)) {
      // dropped
    } else if (verbose && c === '#') {
      while (i + 1 < pattern.length && pattern[i + 1] !== '\n') i++;
    } else if (c === '{') {
      const quantifier = /^\{\d+(,\d*)?\}/.exec(pattern.slice(i));
      out += quantifier ? quantifier[0] : '\\{';
      if (quantifier) i += quantifier[0].length - 1;
    } else if (c === '}') {
      out += '\\}';
    } else out += c;
  }
  return out;
}

/** Python's `re` on JavaScript regexes: `(?P<name>…)`, `\A`, `\Z` and Python replacement templates translated. */
class PyPattern {
  readonly regex: RegExp;
  constructor(
    readonly pattern: string,
    flags: number,
  ) {
    const inline = /^\(\?([aiLmsux]+)\)/.exec(pattern);
    if (inline) {
      for (const letter of inline[1] as string)
        flags |= (RE_FLAGS as Record<string, number>)[letter.toUpperCase()] ?? 0;
    }
    const source = pythonRegexSyntax(
      inline ? pattern.slice(inline[0].length) : pattern,
      (flags & RE_FLAGS.VERBOSE) !== 0,
    )
      .replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>')
      .replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
      .replace(/\\A/g, '^')
      .replace(/\\Z/g, '$(?![\\s\\S])');
    let js = 'u';
    if (flags & RE_FLAGS.IGNORECASE) js += 'i';
    if (flags & RE_FLAGS.MULTILINE) js += 'm';
    if (flags & RE_FLAGS.DOTALL) js += 's';
    this.regex = new RegExp(source, js);
  }
  private global(sticky = false): RegExp {
    return new RegExp(this.regex.source, `${this.regex.flags}g${sticky ? 'y' : ''}`);
  }
  match(text: unknown): PyMatch | null {
    const re = this.global(true);
    const m = re.exec(pyStr(text));
    return m ? new PyMatch(m, pyStr(text)) : null;
  }
  fullmatch(text: unknown): PyMatch | null {
    const m = new RegExp(`^(?:${this.regex.source})$`, this.regex.flags).exec(pyStr(text));
    return m ? new PyMatch(m, pyStr(text)) : null;
  }
  search(text: unknown): PyMatch | null {
    const m = this.regex.exec(pyStr(text));
    return m ? new PyMatch(m, pyStr(text)) : null;
  }
  findall(text: unknown): unknown[] {
    return [...pyStr(text).matchAll(this.global())].map((m) =>
      m.length <= 1 ? m[0] : m.length === 2 ? (m[1] ?? '') : tupleOf(...m.slice(1).map((g) => g ?? '')),
    );
  }
  finditer(text: unknown): PyMatch[] {
    return [...pyStr(text).matchAll(this.global())].map((m) => new PyMatch(m, pyStr(text)));
  }
  split(text: unknown, maxsplit: unknown = 0): string[] {
    const s = pyStr(text);
    const out: string[] = [];
    let last = 0;
    let n = 0;
    for (const m of s.matchAll(this.global())) {
      if (Number(maxsplit) > 0 && n >= Number(maxsplit)) break;
      out.push(s.slice(last, m.index), ...m.slice(1).map((g) => g ?? ''));
      last = (m.index ?? 0) + m[0].length;
      n++;
    }
    out.push(s.slice(last));
    return out;
  }
  sub(repl: unknown, text: unknown, count: unknown = 0): string {
    const s = pyStr(text);
    let n = 0;
    return s.replace(this.global(), (...match: unknown[]) => {
      if (Number(count) > 0 && n >= Number(count)) return match[0] as string;
      n++;
      const groupsAt = match.findIndex((x) => typeof x === 'number');
      const m = Object.assign(match.slice(0, groupsAt) as string[], {
        index: match[groupsAt] as number,
        input: s,
        groups: (typeof match.at(-1) === 'object' ? match.at(-1) : undefined) as Record<string, string> | undefined,
      }) as unknown as RegExpExecArray;
      const found = new PyMatch(m, s);
      return typeof repl === 'function' ? pyStr((repl as Fn)(found)) : found.expand(pyStr(repl));
    });
  }
}

class PyMatch {
  constructor(
    private readonly m: RegExpExecArray | RegExpMatchArray,
    readonly string: string,
  ) {}
  group(...args: unknown[]): unknown {
    const which = callArguments(args).positional;
    const one = (g: unknown): unknown => {
      const value = typeof g === 'string' ? this.m.groups?.[g] : this.m[Number(g ?? 0)];
      return value ?? null;
    };
    return which.length <= 1 ? one(which[0]) : which.map(one);
  }
  groups(): unknown[] {
    return tupleOf(...this.m.slice(1).map((g) => g ?? null));
  }
  groupdict(): Record<string, unknown> {
    return { ...(this.m.groups ?? {}) };
  }
  start(): number {
    return this.m.index ?? 0;
  }
  end(): number {
    return (this.m.index ?? 0) + (this.m[0] as string).length;
  }
  span(): number[] {
    return [this.start(), this.end()];
  }
  /** A Python replacement template: `\1`, `\g<1>`, `\g<name>`, `\n`, `\\`. */
  expand(template: string): string {
    return template.replace(/\\(?:g<(\w+)>|(\d{1,2})|([\\nrt]))/g, (_x, named: string, num: string, esc: string) => {
      if (esc !== undefined) return esc === 'n' ? '\n' : esc === 'r' ? '\r' : esc === 't' ? '\t' : '\\';
      const key = named ?? num;
      const value = /^\d+$/.test(key) ? this.m[Number(key)] : this.m.groups?.[key];
      return value ?? '';
    });
  }
  __bool__(): boolean {
    return true;
  }
}

const RE_FLAGS = { IGNORECASE: 2, I: 2, MULTILINE: 8, M: 8, DOTALL: 16, S: 16, VERBOSE: 64, X: 64, ASCII: 256, A: 256 };

const re: Record<string, unknown> = {
  ...RE_FLAGS,
  compile: (pattern: unknown, flags: unknown = 0) => new PyPattern(pyStr(pattern), Number(flags)),
  match: (pattern: unknown, text: unknown, flags: unknown = 0) =>
    new PyPattern(pyStr(pattern), Number(flags)).match(text),
  fullmatch: (pattern: unknown, text: unknown, flags: unknown = 0) =>
    new PyPattern(pyStr(pattern), Number(flags)).fullmatch(text),
  search: (pattern: unknown, text: unknown, flags: unknown = 0) =>
    new PyPattern(pyStr(pattern), Number(flags)).search(text),
  findall: (pattern: unknown, text: unknown, flags: unknown = 0) =>
    new PyPattern(pyStr(pattern), Number(flags)).findall(text),
  finditer: (pattern: unknown, text: unknown, flags: unknown = 0) =>
    new PyPattern(pyStr(pattern), Number(flags)).finditer(text),
  split: (pattern: unknown, text: unknown, maxsplit: unknown = 0, flags: unknown = 0) =>
    new PyPattern(pyStr(pattern), Number(flags)).split(text, maxsplit),
  sub: (...args: unknown[]) => {
    const b = bind(['pattern', 'repl', 'string', 'count', 'flags'], args);
    return new PyPattern(pyStr(b.pattern), Number(b.flags ?? 0)).sub(b.repl, b.string, b.count ?? 0);
  },
  escape: (text: unknown) => pyStr(text).replace(/[.*+?^${}()|[\]\\\-/#&~ ]/g, '\\$&'),
};

function list(value: unknown): unknown[] {
  const it = pyIterable(value);
  return it === undefined || it === null ? [] : [...(it as Iterable<unknown>)];
}

function combinations(pool: unknown[], r: number): unknown[][] {
  if (r === 0) return [[]];
  const out: unknown[][] = [];
  pool.forEach((item, i) => {
    for (const rest of combinations(pool.slice(i + 1), r - 1)) out.push([item, ...rest]);
  });
  return out;
}

function permutations(pool: unknown[], r: number): unknown[][] {
  if (r === 0) return [[]];
  const out: unknown[][] = [];
  pool.forEach((item, i) => {
    for (const rest of permutations([...pool.slice(0, i), ...pool.slice(i + 1)], r - 1)) out.push([item, ...rest]);
  });
  return out;
}

const itertools: Record<string, unknown> = {
  product: (...args: unknown[]) => {
    const { positional, keywords } = callArguments(args);
    const pools = positional.map(list);
    const repeated = Array.from({ length: Number(keywords.repeat ?? 1) }, () => pools).flat();
    return repeated.reduce<unknown[][]>((acc, pool) => acc.flatMap((prefix) => pool.map((x) => [...prefix, x])), [[]]);
  },
  combinations: (pool: unknown, r: unknown) => combinations(list(pool), Number(r)),
  combinations_with_replacement: (pool: unknown, r: unknown) => {
    const items = list(pool);
    const go = (start: number, k: number): unknown[][] =>
      k === 0 ? [[]] : items.slice(start).flatMap((x, i) => go(start + i, k - 1).map((rest) => [x, ...rest]));
    return go(0, Number(r));
  },
  permutations: (pool: unknown, r?: unknown) => {
    const items = list(pool);
    return permutations(items, r === undefined || r === null ? items.length : Number(r));
  },
  chain: Object.assign((...iterables: unknown[]) => callArguments(iterables).positional.flatMap(list), {
    from_iterable: (iterables: unknown) => list(iterables).flatMap(list),
  }),
  islice: (iterable: unknown, ...bounds: unknown[]) => {
    const items = list(iterable);
    const [start, stop, step] = bounds.length === 1 ? [0, bounds[0], 1] : [bounds[0] ?? 0, bounds[1], bounds[2] ?? 1];
    const end = stop === null || stop === undefined ? items.length : Number(stop);
    return items.slice(Number(start), end).filter((_, i) => i % Number(step) === 0);
  },
  accumulate: (iterable: unknown) => {
    let total: number | undefined;
    return list(iterable).map((x) => (total = total === undefined ? Number(x) : total + Number(x)));
  },
  zip_longest: (...args: unknown[]) => {
    const { positional, keywords } = callArguments(args);
    const lists = positional.map(list);
    const length = Math.max(0, ...lists.map((l) => l.length));
    return Array.from({ length }, (_, i) => lists.map((l) => (i < l.length ? l[i] : (keywords.fillvalue ?? null))));
  },
  repeat: (value: unknown, times: unknown) => Array.from({ length: Number(times ?? 1) }, () => value),
  groupby: (iterable: unknown, key?: unknown) => {
    const out: unknown[][] = [];
    for (const item of list(iterable)) {
      const k = typeof key === 'function' ? (key as Fn)(item) : item;
      const last = out.at(-1);
      if (last && pyStr(last[0]) === pyStr(k)) (last[1] as unknown[]).push(item);
      else out.push([k, [item]]);
    }
    return out;
  },
};

/** `modules` as dbt gives it to templates. */
export function pythonModules(): Record<string, unknown> {
  const utc = new PyTimeZone('UTC');
  return {
    datetime: {
      date: dateClass,
      datetime: datetimeClass,
      timedelta: (...args: unknown[]) => new PyTimeDelta(...args),
      timezone: { utc },
      MINYEAR: 1,
      MAXYEAR: 9999,
    },
    pytz: { timezone: (zone: unknown) => new PyTimeZone(pyStr(zone)), utc, UTC: utc },
    re,
    itertools,
  };
}
