import { existsSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CsvFileFormat } from './sql/file-format.js';
import type { QualifiedName } from './sql/object-name.js';

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
  /** `[DB, SCHEMA, NAME]` (JSON) → the privileges granted on that table or view. */
  grants?: Record<string, GrantRecord[]>;
}

/** A privilege granted on a table or view (`GRANT SELECT ON VIEW v TO ROLE r`). */
export interface GrantRecord {
  readonly privilege: string;
  /** `ROLE` (database roles and shares are not modelled). */
  readonly granteeType: 'ROLE';
  readonly grantee: string;
  readonly grantedBy: string;
  readonly createdOn: string;
}

/** A change to the comments of a table and its columns, applied once the DDL that carries it has succeeded. */
export type CommentChange =
  | { readonly type: 'table'; readonly text: string | null }
  | { readonly type: 'column'; readonly column: string; readonly text: string | null }
  | { readonly type: 'drop-column'; readonly column: string }
  | { readonly type: 'rename-column'; readonly from: string; readonly to: string };

const key = (database: string, schema: string, name: string): string => JSON.stringify([database, schema, name]);

/**
 * The named objects of one kind (stages, file formats) that live in a schema, by name. `put` and `delete` save
 * the metadata file; the other changes leave saving to their caller.
 */
export class SchemaObjects<T extends QualifiedName> {
  private readonly byName = new Map<string, T>();

  constructor(private readonly save: () => Promise<void>) {}

  get(name: QualifiedName): T | undefined {
    return this.byName.get(key(name.database, name.schema, name.name));
  }

  list(): T[] {
    return [...this.byName.values()];
  }

  put(object: T): Promise<void> {
    this.byName.set(key(object.database, object.schema, object.name), object);
    return this.save();
  }

  delete(name: QualifiedName): Promise<void> {
    this.byName.delete(key(name.database, name.schema, name.name));
    return this.save();
  }

  /** Hold these objects, without saving (what the metadata file already has). */
  restore(objects: Iterable<T>): void {
    for (const o of objects) this.byName.set(key(o.database, o.schema, o.name), o);
  }

  /** Forget the objects the predicate picks, without saving; returns them. */
  removeWhere(predicate: (object: T) => boolean): T[] {
    const removed: T[] = [];
    for (const [k, o] of this.byName) {
      if (predicate(o)) {
        this.byName.delete(k);
        removed.push(o);
      }
    }
    return removed;
  }
}

/** Emulator objects DuckDB does not hold — stages, file formats, COPY load history — kept in a JSON file. */
export class MetadataStore {
  readonly stages = new SchemaObjects<StageRecord>(() => this.save());
  readonly fileFormats = new SchemaObjects<FileFormatRecord>(() => this.save());
  private readonly file: string;
  private loads: Record<string, Record<string, LoadRecord>> = {};
  private comments = new Map<string, string>();
  private grants = new Map<string, GrantRecord[]>();
  private writing: Promise<void> = Promise.resolve();

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'emulator-metadata.json');
    if (existsSync(this.file)) {
      const data = JSON.parse(readFileSync(this.file, 'utf8')) as MetadataFile;
      // temporary objects do not survive a restart, as sessions do not
      this.stages.restore(data.stages.filter((s) => !s.temporary));
      this.fileFormats.restore(data.fileFormats.filter((f) => !f.temporary));
      this.loads = data.loads;
      this.comments = new Map(Object.entries(data.comments ?? {}));
      this.grants = new Map(Object.entries(data.grants ?? {}));
    }
  }

  /** Forget a session's temporary stages and file formats; returns the stages removed. */
  dropSessionObjects(sessionId: string): StageRecord[] {
    const removed = this.stages.removeWhere((s) => s.sessionId === sessionId);
    this.fileFormats.removeWhere((f) => f.sessionId === sessionId);
    return removed;
  }

  /** Drop everything under a database or schema (when it is dropped). */
  dropContainer(database: string, schema?: string): Promise<void> {
    const matches = (d: string, s: string): boolean => d === database && (schema === undefined || s === schema);
    this.stages.removeWhere((s) => matches(s.database, s.schema));
    this.fileFormats.removeWhere((f) => matches(f.database, f.schema));
    for (const tableKey of Object.keys(this.loads)) {
      const [d, s] = JSON.parse(tableKey) as [string, string, string];
      if (matches(d, s)) delete this.loads[tableKey];
    }
    for (const objectKey of [...this.grants.keys()]) {
      const [d, s] = JSON.parse(objectKey) as [string, string, string];
      if (matches(d, s)) this.grants.delete(objectKey);
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
  changeComments(table: QualifiedName, changes: readonly CommentChange[]): Promise<void> {
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
  renameComments(from: QualifiedName, to: QualifiedName): Promise<void> {
    const moved = this.takeComments(from);
    this.takeComments(to);
    for (const [rest, text] of moved)
      this.comments.set(JSON.stringify([to.database, to.schema, to.name, ...rest]), text);
    return this.save();
  }

  /** Remove and return the comments of a table: key parts after the table name (none, or the column) → text. */
  private takeComments(table: QualifiedName): Map<string[], string> {
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
  renameLoads(from: QualifiedName, to: QualifiedName): Promise<void> {
    const a = key(from.database, from.schema, from.name);
    const b = key(to.database, to.schema, to.name);
    const moved = this.loads[a];
    delete this.loads[a];
    if (moved) this.loads[b] = moved;
    else delete this.loads[b];
    return this.save();
  }

  /** The privileges granted on a table or view. */
  grantsOn(object: QualifiedName): readonly GrantRecord[] {
    return this.grants.get(key(object.database, object.schema, object.name)) ?? [];
  }

  /** GRANT (a privilege already granted to the grantee changes nothing) or REVOKE. */
  changeGrant(object: QualifiedName, action: 'grant' | 'revoke', grant: GrantRecord): Promise<void> {
    const k = key(object.database, object.schema, object.name);
    const others = (this.grants.get(k) ?? []).filter(
      (g) => !(g.privilege === grant.privilege && g.grantee === grant.grantee && g.granteeType === grant.granteeType),
    );
    const same = (this.grants.get(k) ?? []).find(
      (g) => g.privilege === grant.privilege && g.grantee === grant.grantee && g.granteeType === grant.granteeType,
    );
    const next = action === 'grant' ? [...others, same ?? grant] : others;
    if (next.length > 0) this.grants.set(k, next);
    else this.grants.delete(k);
    return this.save();
  }

  /**
   * DROP, and CREATE OR REPLACE without COPY GRANTS, forget an object's grants
   * (https://docs.snowflake.com/en/sql-reference/sql/create-table, COPY GRANTS).
   */
  forgetGrants(object: QualifiedName): Promise<void> {
    if (!this.grants.delete(key(object.database, object.schema, object.name))) return Promise.resolve();
    return this.save();
  }

  /** A rename moves an object's grants (whatever the new name held before goes). */
  renameGrants(from: QualifiedName, to: QualifiedName): Promise<void> {
    const a = key(from.database, from.schema, from.name);
    const b = key(to.database, to.schema, to.name);
    const moved = this.grants.get(a);
    this.grants.delete(a);
    if (moved) this.grants.set(b, moved);
    else this.grants.delete(b);
    return this.save();
  }

  /** Wait for pending writes. */
  flush(): Promise<void> {
    return this.writing;
  }

  private save(): Promise<void> {
    const data: MetadataFile = {
      stages: this.stages.list().filter((s) => !s.temporary),
      fileFormats: this.fileFormats.list().filter((f) => !f.temporary),
      loads: this.loads,
      comments: Object.fromEntries(this.comments),
      grants: Object.fromEntries(this.grants),
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
