import { existsSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CsvFileFormat } from './sql/file-format.js';

/** A named internal stage. */
export interface StageRecord {
  readonly database: string;
  readonly schema: string;
  readonly name: string;
  readonly temporary: boolean;
  /** Session that owns a temporary stage. */
  readonly sessionId: string | undefined;
  readonly fileFormat: CsvFileFormat | undefined;
  readonly createdOn: string;
}

/** A named file format. */
export interface FileFormatRecord {
  readonly database: string;
  readonly schema: string;
  readonly name: string;
  readonly format: CsvFileFormat;
  readonly temporary: boolean;
  readonly sessionId: string | undefined;
  readonly createdOn: string;
}

/** What COPY remembers about a file it loaded into a table (Snowflake keeps this load metadata for 64 days). */
export interface LoadRecord {
  readonly md5: string;
  readonly loadedAt: string;
}

interface MetadataFile {
  stages: StageRecord[];
  fileFormats: FileFormatRecord[];
  /** `DB.SCHEMA.TABLE` → stage file path → load record. */
  loads: Record<string, Record<string, LoadRecord>>;
  /** `[DB, SCHEMA, TABLE]` or `[DB, SCHEMA, TABLE, COLUMN]` (JSON) → the object's COMMENT. */
  comments?: Record<string, string>;
}

/** A change to the comments of a table and its columns, applied once the DDL that carries it has succeeded. */
export type CommentChange =
  | { readonly type: 'table'; readonly text: string | null }
  | { readonly type: 'column'; readonly column: string; readonly text: string | null }
  | { readonly type: 'drop-column'; readonly column: string }
  | { readonly type: 'rename-column'; readonly from: string; readonly to: string };

interface TableName {
  readonly database: string;
  readonly schema: string;
  readonly name: string;
}

const key = (database: string, schema: string, name: string): string => JSON.stringify([database, schema, name]);

/** Emulator objects DuckDB does not hold — stages, file formats, COPY load history — kept in a JSON file. */
export class MetadataStore {
  private readonly file: string;
  private readonly stages = new Map<string, StageRecord>();
  private readonly formats = new Map<string, FileFormatRecord>();
  private loads: Record<string, Record<string, LoadRecord>> = {};
  private comments = new Map<string, string>();
  private writing: Promise<void> = Promise.resolve();

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'emulator-metadata.json');
    if (existsSync(this.file)) {
      const data = JSON.parse(readFileSync(this.file, 'utf8')) as MetadataFile;
      // temporary objects do not survive a restart, as sessions do not
      for (const s of data.stages) if (!s.temporary) this.stages.set(key(s.database, s.schema, s.name), s);
      for (const f of data.fileFormats) if (!f.temporary) this.formats.set(key(f.database, f.schema, f.name), f);
      this.loads = data.loads;
      this.comments = new Map(Object.entries(data.comments ?? {}));
    }
  }

  stage(database: string, schema: string, name: string): StageRecord | undefined {
    return this.stages.get(key(database, schema, name));
  }

  listStages(): StageRecord[] {
    return [...this.stages.values()];
  }

  putStage(stage: StageRecord): Promise<void> {
    this.stages.set(key(stage.database, stage.schema, stage.name), stage);
    return this.save();
  }

  deleteStage(database: string, schema: string, name: string): Promise<void> {
    this.stages.delete(key(database, schema, name));
    return this.save();
  }

  fileFormat(database: string, schema: string, name: string): FileFormatRecord | undefined {
    return this.formats.get(key(database, schema, name));
  }

  listFileFormats(): FileFormatRecord[] {
    return [...this.formats.values()];
  }

  putFileFormat(format: FileFormatRecord): Promise<void> {
    this.formats.set(key(format.database, format.schema, format.name), format);
    return this.save();
  }

  deleteFileFormat(database: string, schema: string, name: string): Promise<void> {
    this.formats.delete(key(database, schema, name));
    return this.save();
  }

  /** Forget a session's temporary stages and file formats; returns the stages removed. */
  dropSessionObjects(sessionId: string): StageRecord[] {
    const removed: StageRecord[] = [];
    for (const [k, s] of this.stages) {
      if (s.sessionId === sessionId) {
        this.stages.delete(k);
        removed.push(s);
      }
    }
    for (const [k, f] of this.formats) if (f.sessionId === sessionId) this.formats.delete(k);
    return removed;
  }

  /** Drop everything under a database or schema (when it is dropped). */
  dropContainer(database: string, schema?: string): Promise<void> {
    const matches = (d: string, s: string): boolean => d === database && (schema === undefined || s === schema);
    for (const [k, s] of this.stages) if (matches(s.database, s.schema)) this.stages.delete(k);
    for (const [k, f] of this.formats) if (matches(f.database, f.schema)) this.formats.delete(k);
    for (const tableKey of Object.keys(this.loads)) {
      const [d, s] = JSON.parse(tableKey) as [string, string, string];
      if (matches(d, s)) delete this.loads[tableKey];
    }
    for (const commentKey of [...this.comments.keys()]) {
      const [d, s] = JSON.parse(commentKey) as string[];
      if (matches(d as string, s as string)) this.comments.delete(commentKey);
    }
    return this.save();
  }

  /** The COMMENT of a table or view, if one was set. */
  tableComment(database: string, schema: string, table: string): string | undefined {
    return this.comments.get(key(database, schema, table));
  }

  /** The COMMENT of a column, if one was set. */
  columnComment(database: string, schema: string, table: string, column: string): string | undefined {
    return this.comments.get(JSON.stringify([database, schema, table, column]));
  }

  /** Apply comment changes of a DDL statement that succeeded. */
  changeComments(table: TableName, changes: readonly CommentChange[]): Promise<void> {
    if (changes.length === 0) return Promise.resolve();
    const columnKey = (column: string): string => JSON.stringify([table.database, table.schema, table.name, column]);
    const set = (k: string, text: string | null): void => {
      if (text === null || text === '') this.comments.delete(k);
      else this.comments.set(k, text);
    };
    for (const change of changes) {
      if (change.type === 'table') set(key(table.database, table.schema, table.name), change.text);
      else if (change.type === 'column') set(columnKey(change.column), change.text);
      else if (change.type === 'drop-column') this.comments.delete(columnKey(change.column));
      else {
        const text = this.comments.get(columnKey(change.from));
        this.comments.delete(columnKey(change.from));
        if (text !== undefined) this.comments.set(columnKey(change.to), text);
      }
    }
    return this.save();
  }

  /** DROP and CREATE OR REPLACE forget a table's comments (and its columns'). */
  forgetComments(database: string, schema: string, table: string): Promise<void> {
    const removed = this.takeComments({ database, schema, name: table });
    return removed.size === 0 ? Promise.resolve() : this.save();
  }

  /** Move a table's comments with a rename (or a swap, in three renames). */
  renameComments(from: TableName, to: TableName): Promise<void> {
    const moved = this.takeComments(from);
    this.takeComments(to);
    for (const [rest, text] of moved)
      this.comments.set(JSON.stringify([to.database, to.schema, to.name, ...rest]), text);
    return this.save();
  }

  /** Remove and return the comments of a table: key parts after the table name (none, or the column) → text. */
  private takeComments(table: TableName): Map<string[], string> {
    const taken = new Map<string[], string>();
    for (const [k, text] of [...this.comments]) {
      const parts = JSON.parse(k) as string[];
      if (parts[0] === table.database && parts[1] === table.schema && parts[2] === table.name) {
        taken.set(parts.slice(3), text);
        this.comments.delete(k);
      }
    }
    return taken;
  }

  loadRecord(database: string, schema: string, table: string, file: string): LoadRecord | undefined {
    return this.loads[key(database, schema, table)]?.[file];
  }

  recordLoads(database: string, schema: string, table: string, files: ReadonlyMap<string, LoadRecord>): Promise<void> {
    const k = key(database, schema, table);
    const entry = (this.loads[k] ??= {});
    for (const [file, record] of files) entry[file] = record;
    return this.save();
  }

  /** TRUNCATE, DROP and CREATE OR REPLACE forget a table's load metadata, as in Snowflake. */
  forgetLoads(database: string, schema: string, table: string): Promise<void> {
    const k = key(database, schema, table);
    if (!(k in this.loads)) return Promise.resolve();
    delete this.loads[k];
    return this.save();
  }

  /** Move a table's load metadata with a rename. */
  renameLoads(
    from: { database: string; schema: string; name: string },
    to: { database: string; schema: string; name: string },
  ): Promise<void> {
    const a = key(from.database, from.schema, from.name);
    const b = key(to.database, to.schema, to.name);
    const moved = this.loads[a];
    delete this.loads[a];
    if (moved) this.loads[b] = moved;
    else delete this.loads[b];
    return this.save();
  }

  /** Wait for pending writes. */
  flush(): Promise<void> {
    return this.writing;
  }

  private save(): Promise<void> {
    const data: MetadataFile = {
      stages: [...this.stages.values()].filter((s) => !s.temporary),
      fileFormats: [...this.formats.values()].filter((f) => !f.temporary),
      loads: this.loads,
      comments: Object.fromEntries(this.comments),
    };
    const text = JSON.stringify(data, null, 2);
    this.writing = this.writing.then(async () => {
      const tmp = `${this.file}.tmp`;
      await writeFile(tmp, text);
      await rename(tmp, this.file);
    });
    return this.writing;
  }
}
