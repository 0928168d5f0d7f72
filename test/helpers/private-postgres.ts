/**
 * A PostgreSQL server of a test's own, in a temporary folder on a free port, that the
 * test may stop and start again (the shared test server must stay up for the others).
 * Made with the binaries scripts/ensure-postgres.sh installs; run as the postgres user
 * when the tests run as root, as PostgreSQL requires.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  readonly url: string;
  stop(): void;
  start(): void;
  /** Stops it and removes its folder. */
  remove(): void;
}

function binDir(): string {
  const found = readdirSync('/usr/lib/postgresql', { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join('/usr/lib/postgresql', d.name, 'bin'))
    .filter((d) => existsSync(join(d, 'initdb')))
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  if (found.length === 0) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql: run bash scripts/ensure-postgres.sh');
  return found.at(-1)!;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'reprise-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const port = await freePort();
  const as = (cmd: string, args: string[]): void => {
    const [file, argv] = root ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] : [join(bin, cmd), args];
    execFileSync(file, argv, { stdio: 'pipe' });
  };
  as('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C']);
  writeFileSync(join(dir, 'extra.conf'), `port = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${dir}'\nfsync = off\n`);
  chmodSync(join(dir, 'extra.conf'), 0o644);
  execFileSync('sh', ['-c', `echo "include '${join(dir, 'extra.conf')}'" >> ${join(data, 'postgresql.conf')}`], { stdio: 'pipe' });
  const start = (): void => as('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  const stop = (): void => as('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop,
    start,
    remove: () => {
      try {
        stop();
      } catch {
        // Stopped already.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
