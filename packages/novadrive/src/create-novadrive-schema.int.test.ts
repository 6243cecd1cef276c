import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNovaDriveSchema } from './create-novadrive-schema.js';
import { NovaDriveError } from './novadrive-error.js';
import { NOVADRIVE_FOREIGN_KEYS, NOVADRIVE_PRIMARY_KEYS, NOVADRIVE_TABLES } from './novadrive-tables.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('novadrive_schema');
});
afterAll(() => db.drop());

describe('createNovaDriveSchema', () => {
  it('creates the seven tables with the documented columns, keys and indexes', async () => {
    await db.withClient(async (client) => {
      const result = await createNovaDriveSchema(client);
      expect(result).toEqual({ schema: 'public', tables: NOVADRIVE_TABLES, dropped: [] });

      const columns = await client.query<{ table_name: string; column_name: string; type: string; not_null: boolean }>(
        `SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum`,
      );
      const describe = (table: string) =>
        columns.rows
          .filter((r) => r.table_name === table)
          .map((r) => `${r.column_name} ${r.type}${r.not_null ? ' not null' : ''}`);
      expect(describe('veiculos')).toEqual([
        'id_veiculos integer not null',
        'nome character varying(255) not null',
        'tipo character varying(100) not null',
        'valor numeric(10,2) not null',
        'data_atualizacao timestamp without time zone',
        'data_inclusao timestamp without time zone',
      ]);
      expect(describe('estados')).toEqual([
        'id_estados integer not null',
        'estado character varying(100) not null',
        'sigla character(2) not null',
        'data_inclusao timestamp without time zone',
        'data_atualizacao timestamp without time zone',
      ]);
      expect(describe('clientes')).toEqual([
        'id_clientes integer not null',
        'cliente character varying(255) not null',
        'endereco text not null',
        'id_concessionarias integer not null',
        'data_inclusao timestamp without time zone',
        'data_atualizacao timestamp without time zone',
      ]);
      expect(describe('vendas')).toEqual([
        'id_vendas integer not null',
        'id_veiculos integer not null',
        'id_concessionarias integer not null',
        'id_vendedores integer not null',
        'id_clientes integer not null',
        'valor_pago numeric(10,2) not null',
        'data_venda timestamp without time zone',
        'data_inclusao timestamp without time zone',
        'data_atualizacao timestamp without time zone',
      ]);
      for (const table of ['cidades', 'concessionarias', 'vendedores']) expect(describe(table)).toHaveLength(5);

      const constraints = await client.query<{ table_name: string; contype: string; definition: string }>(
        `SELECT conrelid::regclass::text AS table_name, contype, pg_get_constraintdef(oid) AS definition
         FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype IN ('p', 'f') ORDER BY 1, 3`,
      );
      for (const table of NOVADRIVE_TABLES) {
        expect(constraints.rows).toContainEqual({
          table_name: table,
          contype: 'p',
          definition: `PRIMARY KEY (${NOVADRIVE_PRIMARY_KEYS[table]})`,
        });
      }
      const foreign = constraints.rows.filter((row) => row.contype === 'f');
      expect(foreign).toHaveLength(8);
      for (const key of NOVADRIVE_FOREIGN_KEYS) {
        expect(foreign).toContainEqual({
          table_name: key.table,
          contype: 'f',
          definition: `FOREIGN KEY (${key.column}) REFERENCES ${key.references}(${key.referencedColumn})`,
        });
      }

      const indexes = await client.query<{ tablename: string; indexdef: string }>(
        `SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'`,
      );
      for (const table of NOVADRIVE_TABLES) {
        expect(indexes.rows.map((r) => r.indexdef)).toContain(
          `CREATE INDEX ${table}_data_atualizacao_idx ON public.${table} USING btree (data_atualizacao)`,
        );
      }

      // Identity keys: a row inserted without an id gets one.
      const inserted = await client.query<{ id_estados: number }>(
        `INSERT INTO estados (estado, sigla) VALUES ('Teste', 'TT') RETURNING id_estados`,
      );
      expect(inserted.rows[0]?.id_estados).toBe(1);
    });
  });

  it('refuses to overwrite existing tables unless asked to replace them', async () => {
    await db.withClient(async (client) => {
      const error = await createNovaDriveSchema(client).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NovaDriveError);
      expect((error as NovaDriveError).code).toBe('TABLES_EXIST');
      expect((error as NovaDriveError).message).toMatch(/public\.veiculos.*replace: true/);

      const replaced = await createNovaDriveSchema(client, { replace: true });
      expect(replaced.dropped).toEqual(NOVADRIVE_TABLES);
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM estados');
      expect(rows[0]?.n).toBe(0);
    });
  });

  it('works in another schema and leaves nothing behind when replacing fails', async () => {
    await db.withClient(async (client) => {
      await createNovaDriveSchema(client, { schema: 'Nova Drive' });
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'Nova Drive'`,
      );
      expect(rows[0]?.n).toBe(7);

      await client.query(`CREATE VIEW "Nova Drive".recent_sales AS SELECT * FROM "Nova Drive".vendas`);
      const error = await createNovaDriveSchema(client, { schema: 'Nova Drive', replace: true }).catch(
        (e: unknown) => e,
      );
      expect((error as NovaDriveError).code).toBe('STATEMENT_FAILED');
      expect((error as NovaDriveError).message).toMatch(/could not drop Nova Drive\.vendas.*depend/);
      const after = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'Nova Drive'`,
      );
      expect(after.rows[0]?.n).toBe(7);
    });
  });
});
