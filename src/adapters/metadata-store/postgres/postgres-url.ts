/**
 * @module adapters/metadata-store/postgres/postgres-url
 * A PostgreSQL store's URL read before anything connects: `postgres://` or
 * `postgresql://`, and what messages may say of it (host, port, database, the URL with
 * its password masked). It loads no driver, so a composition root can check a URL cheaply.
 */
import { RepriseError } from '../../../core/errors.js';

export interface PostgresUrl {
  /** Host and port as messages name them, e.g. `db.internal:5432`. */
  readonly address: string;
  readonly database: string;
  readonly user: string | null;
  /** The URL with any password (in the user-info or a `password` parameter) as `***`. */
  readonly redacted: string;
  /** The password as given, for scrubbing it out of the driver's words; '' when none. */
  readonly password: string;
}

const DEFAULT_PORT = 5432;

/**
 * Reads a store URL. Anything but `postgres://` or `postgresql://` with a readable
 * authority is REPRISE_ERR_STORE_URL_INVALID, the URL masked in the message.
 */
export function parsePostgresUrl(url: string): PostgresUrl {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    u = undefined;
  }
  if (!u || (scheme !== 'postgres' && scheme !== 'postgresql')) {
    const shown = maskPassword(url);
    throw new RepriseError('REPRISE_ERR_STORE_URL_INVALID', `metadata store URL ${JSON.stringify(shown)} is not a PostgreSQL URL`, {
      hint: 'write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE (or postgresql://...)',
      details: { url: shown },
    });
  }
  const password = safeDecode(u.password || u.searchParams.get('password') || '');
  // A socket folder given as ?host=/run/postgresql stands for the host.
  const host = u.hostname || u.searchParams.get('host') || 'localhost';
  const port = u.port || u.searchParams.get('port') || String(DEFAULT_PORT);
  const user = safeDecode(u.username || u.searchParams.get('user') || '') || null;
  const database = safeDecode(u.pathname.replace(/^\//, '')) || user || 'postgres';
  return { address: `${host}:${port}`, database, user, redacted: maskPassword(url), password };
}

/** Throws REPRISE_ERR_STORE_URL_INVALID unless `url` is a PostgreSQL URL: what a composition root calls before choosing this store. */
export function checkStoreUrl(url: string): void {
  parsePostgresUrl(url);
}

/** `url` with its password replaced by `***`, whatever else is wrong with it. */
export function maskPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) if (key.toLowerCase() === 'password') u.searchParams.set(key, '***');
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
