/**
 * @module adapters/metadata-store/postgres/postgres-connection
 * The store's pool of connections to PostgreSQL and the one place where the driver's
 * errors are judged. A pool's connections keep the store's tables on their search path
 * and read int8 and numeric as JavaScript numbers (times in ms and counts, all far below
 * 2^53), for this pool alone. Every query goes through `guardPool`: a connection that is
 * refused, lost or shut down by an administrator becomes REPRISE_ERR_STORE_UNAVAILABLE
 * (the API answers 503 and runners retry from their outbox); any other error goes
 * through as it is.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import { RepriseError } from '../../../core/errors.js';
import { parsePostgresUrl, type PostgresUrl } from './postgres-url.js';

/** How long a connection may take to open: a server that is down is reported, not waited for. */
const CONNECT_TIMEOUT_MS = 5_000;
/** An idle connection is closed after this long; the pool opens another when needed. */
const IDLE_TIMEOUT_MS = 30_000;
const DEFAULT_POOL_SIZE = 10;

/** SQLSTATEs that say the server cannot be used right now, not that the statement is wrong: connection exceptions, shutdowns, too many connections. */
const UNAVAILABLE_STATES = /^(08|57P0[1-3]|53300)/;
/** Node's socket errors: the server is not there, or went away. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);
/** The driver's own words when a connection ends or never opens. */
const DRIVER_GONE = /connection terminated|connection error|not queryable|timeout exceeded when trying to connect|connection ended|server closed the connection/i;
/** A transaction that lost to a concurrent one (serialization failure, deadlock): run again. */
const RETRY_STATES = new Set(['40001', '40P01']);
const RETRY_ATTEMPTS = 5;

// PostgreSQL's type OIDs (pg_type.oid), fixed: int8, numeric.
const INT8_OID = 20;
const NUMERIC_OID = 1700;

const TYPES = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID || oid === NUMERIC_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text'),
} as unknown as pg.CustomTypesConfig;

export interface StoreConnection {
  readonly url: PostgresUrl;
  readonly schema: string;
  /** The driver's pool, for closing it. */
  readonly pool: pg.Pool;
  /** The same pool as kysely's dialect takes it, every error judged on its way out. */
  readonly guarded: PostgresPool;
}

/** A pool for the store at `url` (checked: REPRISE_ERR_STORE_URL_INVALID), its connections on `schema`. Connects lazily. */
export function openPool(url: string, schema: string, poolSize = DEFAULT_POOL_SIZE): StoreConnection {
  const parsed = parsePostgresUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    keepAlive: true,
    application_name: 'reprise',
    types: TYPES,
  });
  // A connection the server drops while idle must not take the process down; the next query opens another.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    // While a connection is lent out its errors reach the query that is waiting; the event itself must not crash the process.
    client.on('error', () => undefined);
    // Queued before any query of the borrower, so every statement sees the store's tables.
    // No JIT: compiling costs more than the store's short queries take, which large tables' cost estimates would trigger it for.
    client.query(`SET search_path TO ${quoteIdent(schema)}; SET jit = off`).catch(() => undefined);
  });
  return { url: parsed, schema, pool, guarded: guardPool(pool, parsed) };
}

/** `name` as a quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Whether an error says that the server cannot be reached or the connection is gone. */
export function isConnectionFailure(e: unknown): boolean {
  if (e instanceof pg.DatabaseError) return UNAVAILABLE_STATES.test(e.code ?? '');
  if (e instanceof AggregateError) return e.errors.some(isConnectionFailure);
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  return DRIVER_GONE.test(e.message);
}

/** REPRISE_ERR_STORE_UNAVAILABLE naming the server and database, with the driver's reason and never the password. */
export function storeUnavailable(url: PostgresUrl, e: unknown): RepriseError {
  return new RepriseError(
    'REPRISE_ERR_STORE_UNAVAILABLE',
    `the metadata store's PostgreSQL server at ${url.address} (database ${JSON.stringify(url.database)}) cannot be used: ${reasonOf(url, e)}`,
    {
      hint: 'check that the server is running and reachable from here; requests can be retried once it is',
      details: { address: url.address, database: url.database, url: url.redacted },
      cause: e,
    },
  );
}

/** The driver's words, each once, with the password scrubbed out. */
function reasonOf(url: PostgresUrl, e: unknown): string {
  const errors = e instanceof AggregateError && e.errors.length > 0 ? e.errors : [e];
  let text = errors
    .map((x: unknown) => (x instanceof Error ? x.message || (x as { code?: string }).code || x.name : String(x)))
    .filter((m, i, all) => m !== '' && all.indexOf(m) === i)
    .join('; ');
  if (url.password) text = text.split(url.password).join('***');
  return text || 'no reason given';
}

/**
 * The pool as kysely's dialect takes it: connecting, and every query, turn a lost or
 * refused connection into REPRISE_ERR_STORE_UNAVAILABLE; a connection that failed so is
 * thrown away when released rather than lent again.
 */
function guardPool(pool: pg.Pool, url: PostgresUrl): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (e) {
        // Whatever stops a connection from opening (refused, a wrong password, no such database) makes the store unusable.
        throw storeUnavailable(url, e);
      }
      let broken = false;
      const guarded = {
        async query<R>(text: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>> {
          try {
            return (await client.query(text, parameters as unknown[])) as unknown as PostgresQueryResult<R>;
          } catch (e) {
            if (!isConnectionFailure(e)) throw e;
            broken = true;
            throw storeUnavailable(url, e);
          }
        },
        release(destroy?: boolean): void {
          client.release(destroy === true || broken ? true : undefined);
        },
      };
      return guarded as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}

/** Runs `tx` (a whole transaction) again when it lost to a concurrent one, a few times, after a short random pause. */
export async function retryConflicts<T>(tx: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await tx();
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (attempt >= RETRY_ATTEMPTS || typeof code !== 'string' || !RETRY_STATES.has(code)) throw e;
      await sleep(5 + Math.random() * 20 * attempt);
    }
  }
}
