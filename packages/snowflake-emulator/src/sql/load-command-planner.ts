import { SnowflakeEmulatorError } from '../emulator-error.js';
import { translateExpressionNodes } from './expression-translator.js';
import { optionFlag, optionText, parseFileFormatSpec, readOptions, type FileFormatSpec } from './file-format.js';
import { NodeReader } from './node-reader.js';
import { resolveName } from './object-name.js';
import { parseStageRef } from './stage-ref.js';
import type { StageRef, StatementPlan } from './statement-plan.js';
import type { PlannerContext } from './statement-planner.js';
import {
  identifierOf,
  isOp,
  isWord,
  quoteIdent,
  render,
  significant,
  splitOnCommas,
  type GroupNode,
  type SqlNode,
} from './syntax-tree.js';

// PUT, GET, LIST/REMOVE stage references and COPY INTO planning.

export function readStage(reader: NodeReader): StageRef {
  const node = reader.take();
  if (node?.type === 'token' && node.token.kind === 'stage') return parseStageRef(node.token.text);
  if (node?.type === 'token' && node.token.kind === 'string' && node.token.value.startsWith('@'))
    return parseStageRef(node.token.value);
  throw SnowflakeEmulatorError.sql(
    '001003',
    '42000',
    `SQL compilation error:\nexpected a stage reference (@stage), found ${node ? render([node]).trim() : 'end of statement'}.`,
  );
}

/** Split `PUT file://path @stage options` by hand: a `file://` path is not SQL (it may hold `//`, `*`, quotes). */
function splitPutGet(sql: string, command: string): { first: string; second: string; rest: string } {
  let text = sql.trim().replace(/;\s*$/, '');
  text = text.slice(command.length).trimStart();
  const readPart = (): string => {
    if (text.startsWith("'")) {
      const close = text.indexOf("'", 1);
      if (close < 0)
        throw SnowflakeEmulatorError.sql(
          '001003',
          '42000',
          `SQL compilation error:\nunterminated string in ${command}.`,
        );
      const part = text.slice(1, close);
      text = text.slice(close + 1).trimStart();
      return part;
    }
    const m = /^[^\s']+/.exec(text);
    const part = m ? m[0] : '';
    text = text.slice(part.length).trimStart();
    return part;
  };
  const first = readPart();
  const second = readPart();
  return { first, second, rest: text };
}

function commandOptions(rest: string): Map<string, string> {
  const options = new Map<string, string>();
  const re = /([A-Za-z_]+)\s*=\s*('([^']*)'|[^\s]+)/g;
  for (let m = re.exec(rest); m !== null; m = re.exec(rest)) {
    options.set((m[1] as string).toUpperCase(), m[3] ?? (m[2] as string));
  }
  return options;
}

export function planPut(sql: string): StatementPlan {
  const { first, second, rest } = splitPutGet(sql, 'PUT');
  if (!/^file:\/\//i.test(first)) {
    throw SnowflakeEmulatorError.sql(
      '001003',
      '42000',
      `SQL compilation error:\nPUT needs a file:// source, got '${first}'.`,
    );
  }
  const source = first.replace(/^file:\/\//i, '');
  const stage = parseStageRef(second);
  const options = commandOptions(rest);
  const bool = (key: string, fallback: boolean): boolean => {
    const v = options.get(key);
    return v === undefined ? fallback : v.toUpperCase() === 'TRUE';
  };
  const sourceCompression = (options.get('SOURCE_COMPRESSION') ?? 'AUTO_DETECT').toLowerCase();
  const known = ['auto_detect', 'gzip', 'bz2', 'brotli', 'zstd', 'deflate', 'raw_deflate', 'none'];
  if (!known.includes(sourceCompression)) {
    throw SnowflakeEmulatorError.sql(
      '001003',
      '42000',
      `SQL compilation error:\ninvalid value '${sourceCompression}' for SOURCE_COMPRESSION.`,
    );
  }
  return {
    kind: 'put',
    source,
    stage,
    autoCompress: bool('AUTO_COMPRESS', true),
    sourceCompression,
    parallel: Number(options.get('PARALLEL') ?? 4),
    overwrite: bool('OVERWRITE', false),
  };
}

export function planGet(sql: string): StatementPlan {
  const { first, second, rest } = splitPutGet(sql, 'GET');
  const stage = parseStageRef(first);
  if (!/^file:\/\//i.test(second)) {
    throw SnowflakeEmulatorError.sql(
      '001003',
      '42000',
      `SQL compilation error:\nGET needs a file:// target, got '${second}'.`,
    );
  }
  return {
    kind: 'get',
    stage,
    target: second.replace(/^file:\/\//i, ''),
    pattern: commandOptions(rest).get('PATTERN'),
  };
}

export function planCopy(reader: NodeReader, context: PlannerContext): StatementPlan {
  reader.expectWord('COPY');
  reader.expectWord('INTO');
  const next = reader.peek();
  if (next?.type === 'token' && (next.token.kind === 'stage' || next.token.kind === 'string')) {
    throw SnowflakeEmulatorError.unsupported('COPY INTO <location> (unloading)');
  }
  const target = resolveName(reader.expectName(), context, 'COPY');
  const columnGroup = reader.acceptGroup();
  const columns = columnGroup
    ? splitOnCommas(columnGroup.children).map((c) => {
        const id = identifierOf(significant(c)[0]);
        if (id === undefined) throw reader.unexpected('expected a column name');
        return id;
      })
    : undefined;
  let stage: StageRef;
  let transform: string[] | undefined;
  let transformWidth = 0;
  if (reader.acceptWord('FROM')) {
    const group = reader.acceptGroup();
    if (group) {
      const parsed = parseCopyTransform(group, context);
      stage = parsed.stage;
      transform = parsed.expressions;
      transformWidth = parsed.width;
    } else {
      stage = readStage(reader);
    }
  } else {
    // COPY INTO t … with no FROM loads the table's own stage
    stage = { kind: 'table', name: [target.database, target.schema, target.name], path: '', text: `@%${target.name}` };
  }
  const options = readOptions(reader);
  reader.expectEnd();
  let files: string[] | undefined;
  const filesOption = options.get('FILES');
  if (filesOption) {
    if (filesOption.kind === 'list') files = filesOption.value;
    else if (filesOption.kind === 'string') files = [filesOption.value];
    else
      throw SnowflakeEmulatorError.sql(
        '001003',
        '42000',
        "SQL compilation error:\nFILES must be a list of strings: FILES = ('a.csv', …).",
      );
  }
  let fileFormat: FileFormatSpec | undefined;
  const ff = options.get('FILE_FORMAT');
  if (ff) {
    if (ff.kind !== 'group')
      throw SnowflakeEmulatorError.sql(
        '001003',
        '42000',
        'SQL compilation error:\nFILE_FORMAT must be ( FORMAT_NAME = … ) or ( TYPE = CSV … ).',
      );
    fileFormat = parseFileFormatSpec(ff.nodes);
  }
  const onErrorText = (optionText(options, 'ON_ERROR') ?? 'ABORT_STATEMENT').toUpperCase();
  let onError: 'ABORT_STATEMENT' | 'CONTINUE' | 'SKIP_FILE';
  if (onErrorText === 'ABORT_STATEMENT' || onErrorText === 'CONTINUE' || onErrorText === 'SKIP_FILE')
    onError = onErrorText;
  else throw SnowflakeEmulatorError.unsupported(`ON_ERROR = ${onErrorText}`);
  for (const key of options.keys()) {
    if (
      ![
        'FILES',
        'PATTERN',
        'FILE_FORMAT',
        'ON_ERROR',
        'PURGE',
        'FORCE',
        'SIZE_LIMIT',
        'RETURN_FAILED_ONLY',
        'ENFORCE_LENGTH',
        'TRUNCATECOLUMNS',
        'LOAD_UNCERTAIN_FILES',
      ].includes(key)
    ) {
      throw SnowflakeEmulatorError.unsupported(`COPY option ${key}`);
    }
  }
  return {
    kind: 'copy-into',
    target,
    columns,
    stage,
    transform,
    transformWidth,
    files,
    pattern: optionText(options, 'PATTERN'),
    fileFormat,
    onError,
    purge: optionFlag(options, 'PURGE', false),
    force: optionFlag(options, 'FORCE', false),
  };
}

/** Scratch columns of copy-loader.ts that stand for Snowflake's metadata columns of a staged file. */
export const METADATA_COLUMNS: Readonly<Record<string, string>> = {
  METADATA$FILENAME: '__metadata$filename',
  METADATA$FILE_ROW_NUMBER: '__metadata$file_row_number',
};

/**
 * `( SELECT $1, PARSE_JSON($2), METADATA$FILENAME FROM @stage [alias] )`: the expressions, with `$n` as column
 * `c<n>` and the metadata columns as the scratch columns that hold them; `width` is the highest `n` read.
 */
function parseCopyTransform(
  group: GroupNode,
  context: PlannerContext,
): { stage: StageRef; expressions: string[]; width: number } {
  const nodes = group.children;
  const reader = new NodeReader(nodes);
  reader.expectWord('SELECT');
  const fromAt = nodes.findIndex((n) => isWord(n, 'FROM'));
  if (fromAt < 0) throw reader.unexpected('expected FROM @stage');
  const items = splitOnCommas(nodes.slice(reader.index, fromAt));
  const after = new NodeReader(nodes, fromAt + 1);
  const stage = readStage(after);
  const alias = identifierOf(after.peek());
  if (alias !== undefined) after.take();
  after.expectEnd();
  const width = { max: 0 };
  const expressions = items.map((item) =>
    render(translateExpressionNodes(replacePositional(item, alias, width), context.translation)).trim(),
  );
  return { stage, expressions, width: width.max };
}

function replacePositional(nodes: readonly SqlNode[], alias: string | undefined, width: { max: number }): SqlNode[] {
  const out: SqlNode[] = [];
  // `t.$1` / `t.METADATA$FILENAME` → drop the alias qualifier
  const dropQualifier = (): void => {
    if (
      alias !== undefined &&
      out.length >= 2 &&
      isOp(out[out.length - 1], '.') &&
      identifierOf(out[out.length - 2]) === alias
    )
      out.splice(-2);
  };
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i] as SqlNode;
    if (n.type === 'group') {
      out.push({ ...n, children: replacePositional(n.children, alias, width) });
      continue;
    }
    if (n.type === 'token' && n.token.kind === 'positional') {
      dropQualifier();
      width.max = Math.max(width.max, Number(n.token.value));
      out.push({ type: 'raw', text: quoteIdent(`c${n.token.value}`) });
      continue;
    }
    const metadata = n.type === 'token' && n.token.kind === 'word' ? METADATA_COLUMNS[n.token.value] : undefined;
    if (metadata !== undefined) {
      dropQualifier();
      out.push({ type: 'raw', text: quoteIdent(metadata) });
      continue;
    }
    out.push(n);
  }
  return out;
}
