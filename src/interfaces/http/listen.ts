/**
 * @module interfaces/http/listen
 * Starting the server on an address: without authentication, loopback only, since anyone
 * who can reach the port could read and write every run; with it, any address.
 */
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { RepriseError } from '../../core/errors.js';

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

export function checkListenHost(host: string, auth: boolean): void {
  if (!auth && !isLoopback(host)) {
    throw new RepriseError('REPRISE_ERR_SERVER_HOST_REFUSED', `--host ${host}: without --auth the server listens on loopback only (127.0.0.1, ::1, localhost), since anyone reaching it could read and write every run`, {
      hint: 'turn authentication on (reprise server --auth, after reprise users add NAME --role admin), or reach it through an SSH tunnel: ssh -L 7878:127.0.0.1:7878 <this machine>',
      details: { host },
    });
  }
}

/** Listens; resolves to the URL it can be reached at (the port chosen when 0 was asked). */
export async function listen(app: FastifyInstance, host: string, port: number, auth: boolean): Promise<string> {
  checkListenHost(host, auth);
  try {
    await app.listen({ host, port });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new RepriseError('REPRISE_ERR_SERVER_ADDRESS_IN_USE', `${host}:${port} is taken by another process`, {
        hint: 'pick another with --port, or stop the other server',
        details: { host, port },
      });
    }
    throw e;
  }
  const addr = app.server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${shown}:${actual}`;
}
