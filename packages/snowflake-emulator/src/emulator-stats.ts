import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { PendingUpload } from './execution-context.js';

/** One statement the emulator received. */
export interface StatementRecord {
  readonly queryId: string;
  readonly sessionId: string;
  readonly sqlText: string;
  /** The QUERY_TAG in force for the statement (statement parameter, else the session's); '' when none. */
  readonly queryTag: string;
  /** Would Snowflake have needed (and so resumed) a warehouse for it? */
  readonly needsWarehouse: boolean;
  readonly status: 'succeeded' | 'failed';
  /** Snowflake's error code when it failed. */
  readonly errorCode: string | undefined;
  readonly startedAt: Date;
}

/** A snapshot of what the emulator has seen. */
export interface EmulatorStats {
  readonly requests: number;
  /** Requests per endpoint, with query ids folded: `/queries/{id}/result`, `/session/token-request`, … */
  readonly requestsByPath: Readonly<Record<string, number>>;
  readonly logins: number;
  readonly failedLogins: number;
  readonly statements: readonly StatementRecord[];
  /** Statements that need compute (table scans, DML, COPY, CTAS): each would resume a suspended warehouse. */
  readonly warehouseStatements: number;
  /** Statements Snowflake answers from metadata or the cloud services layer (DDL, SHOW, USE, PUT, LIST, …). */
  readonly metadataStatements: number;
  /** True when at least one statement would have resumed a warehouse. */
  readonly warehouseResumed: boolean;
  /** Files copied into stages by PUT, and their bytes (as they landed in the stage, after compression). */
  readonly putFiles: number;
  readonly putBytes: number;
}

interface Pending extends PendingUpload {
  readonly sessionId: string;
}

/** Counts requests, logins, statements and PUT bytes. */
export class StatsRecorder {
  requests = 0;
  private readonly byPath = new Map<string, number>();
  logins = 0;
  failedLogins = 0;
  private readonly statements: StatementRecord[] = [];
  private putFiles = 0;
  private putBytes = 0;
  private pending: Pending[] = [];

  recordRequest(pathname: string): void {
    this.requests++;
    const folded = pathname
      .replace(/^\/queries\/[^/]+\/(result|abort-request)$/, (_m, tail: string) =>
        pathname.startsWith('/queries/v1/') ? pathname : `/queries/{id}/${tail}`,
      )
      .replace(/^\/monitoring\/queries\/.+$/, '/monitoring/queries/{id}');
    this.byPath.set(folded, (this.byPath.get(folded) ?? 0) + 1);
  }

  recordStatement(record: StatementRecord): void {
    this.statements.push(record);
  }

  /** A PUT was answered; the driver copies the files right after. */
  expectUpload(sessionId: string, upload: PendingUpload): void {
    this.pending.push({ ...upload, sessionId });
  }

  /**
   * Count the bytes of PUTs whose copy has finished: those of a session that sent another request since
   * (the driver copies before it issues the next one), or all of them when `all`.
   */
  settleUploads(sessionId: string | undefined, all = false): void {
    const keep: Pending[] = [];
    for (const p of this.pending) {
      if (!all && p.sessionId !== sessionId) {
        keep.push(p);
        continue;
      }
      for (const file of p.files) {
        const full = path.join(p.directory, file);
        if (existsSync(full)) {
          this.putFiles++;
          this.putBytes += statSync(full).size;
        }
      }
    }
    this.pending = keep;
  }

  snapshot(): EmulatorStats {
    this.settleUploads(undefined, true);
    const warehouseStatements = this.statements.filter((s) => s.needsWarehouse).length;
    return {
      requests: this.requests,
      requestsByPath: Object.fromEntries(this.byPath),
      logins: this.logins,
      failedLogins: this.failedLogins,
      statements: [...this.statements],
      warehouseStatements,
      metadataStatements: this.statements.length - warehouseStatements,
      warehouseResumed: warehouseStatements > 0,
      putFiles: this.putFiles,
      putBytes: this.putBytes,
    };
  }
}
