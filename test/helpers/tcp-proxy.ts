/**
 * A TCP proxy on loopback that a test can cut and restore, as a server going away and
 * coming back looks to its clients: open connections reset, new ones refused, then
 * accepted again on the same port.
 */
import { createServer, Socket, type Server } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Closes the port and every connection through it. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
}

export async function startProxy(host: string, port: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = async (on: number): Promise<number> => {
    server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(port, host);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => s.destroy());
        s.on('close', () => {
          sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(on, '127.0.0.1', resolve);
    });
    return (server.address() as { port: number }).port;
  };
  const bound = await listen(0);
  return {
    port: bound,
    cut: async () => {
      const s = server;
      server = undefined;
      for (const c of sockets) c.destroy();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    restore: async () => {
      if (!server) await listen(bound);
    },
  };
}
