/**
 * A database of its own for a test, on the test PostgreSQL server (scripts/ensure-postgres.sh
 * starts it; REPRISE_TEST_PG_URL names another). Dropped, with whatever still holds it,
 * when the test is done.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_URL = process.env.REPRISE_TEST_PG_URL ?? 'postgres://reprise@127.0.0.1:54329/reprise_test';

export interface TestDatabase {
  readonly name: string;
  /** The URL of the new database (the server's, with another database name). */
  readonly url: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    throw new Error(`the test PostgreSQL at ${PG_URL} is not usable (start it with bash scripts/ensure-postgres.sh): ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function freshDatabase(): Promise<TestDatabase> {
  const name = `reprise_t_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return {
    name,
    url: u.toString(),
    drop: () => admin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  };
}
