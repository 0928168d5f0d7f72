/**
 * @module adapters/metadata-store/postgres/postgres-migrate
 * Brings a PostgreSQL store's schema to the version this build knows. Everything runs in
 * one transaction under an advisory lock held to its end, so servers starting together
 * against one database migrate once: the others wait, then find nothing left to do. A
 * store whose recorded version is newer than this build is refused, untouched.
 */
import { CompiledQuery, sql, type Kysely } from 'kysely';
import { RepriseError } from '../../../core/errors.js';
import { quoteIdent, type StoreConnection } from './postgres-connection.js';
import { POSTGRES_MIGRATIONS, type PostgresMigration, type PostgresTables } from './postgres-schema.js';

/** The advisory lock's first key, Reprise's own; the second is the schema's hash, so stores in other schemas do not wait. */
const MIGRATION_LOCK = 0x52505253;

/** Applies the pending migrations; the versions before and after. */
export async function migrate(
  db: Kysely<PostgresTables>,
  conn: StoreConnection,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<{ from: number; to: number }> {
  const latest = migrations.length;
  return db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK}::int4, hashtext(${conn.schema}))`.execute(tx);
    const exists = await sql<{ one: number }>`select 1 as one from pg_namespace where nspname = ${conn.schema}`.execute(tx);
    if (exists.rows.length === 0) await sql.raw(`CREATE SCHEMA ${quoteIdent(conn.schema)}`).execute(tx);
    await sql.raw(`SET LOCAL search_path TO ${quoteIdent(conn.schema)}`).execute(tx);
    await sql`create table if not exists schema_migrations (version integer primary key, applied_at bigint not null)`.execute(tx);
    const row = await tx.selectFrom('schema_migrations').select((eb) => eb.fn.max('version').as('v')).executeTakeFirst();
    const from = row?.v ?? 0;
    if (from > latest) {
      throw new RepriseError(
        'REPRISE_ERR_STORE_SCHEMA_NEWER',
        `the metadata store in schema ${JSON.stringify(conn.schema)} of database ${JSON.stringify(conn.url.database)} at ${conn.url.address} was written by a newer Reprise (schema ${from}, this one knows ${latest})`,
        { hint: 'upgrade Reprise', details: { schema: conn.schema, database: conn.url.database, version: from, known: latest } },
      );
    }
    for (let v = from; v < latest; v++) {
      const m = migrations[v]!;
      if (typeof m === 'string') await sql.raw(m).execute(tx);
      else await m(async (text, values = []) => (await tx.executeQuery(CompiledQuery.raw(text, [...values]))).rows);
      await tx.insertInto('schema_migrations').values({ version: v + 1, applied_at: Date.now() }).execute();
    }
    return { from, to: Math.max(from, latest) };
  });
}
