/**
 * @module test/kubernetes/fake-api-server
 * A stand-in for a Kubernetes API server: it answers each request from a scenario, with
 * the recorded responses of `recorded/` (shapes of the real API, not taken from a live
 * cluster; `recorded/README.md` says where they come from), and keeps every request it
 * was sent for the test to check. No cluster can run where the tests run.
 *
 * A scenario maps `METHOD /path` (no query) to the answers that request gets, in order;
 * the last one repeats. A request the scenario does not expect is answered 500 with a
 * Status saying so, and listed in `unexpected`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RECORDED = fileURLToPath(new URL('recorded', import.meta.url));

/** A recorded response body, parsed. */
export function recorded(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(RECORDED, `${name}.json`), 'utf8')) as Record<string, unknown>;
}

export interface Answer {
  readonly status: number;
  /** Sent as application/json. */
  readonly json?: unknown;
  /** Sent as text/plain (a pod's log). */
  readonly text?: string;
}

/** A recorded response: a Status object is sent with its own code, anything else with `status` (200 by default). */
export function answer(name: string, status?: number): Answer {
  const json = recorded(name);
  const code = json.kind === 'Status' && typeof json.code === 'number' ? json.code : 200;
  return { status: status ?? code, json };
}

export type Scenario = Record<string, readonly Answer[]>;

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingHttpHeaders;
  /** The body parsed as JSON; its text when it is not JSON; undefined when empty. */
  readonly body: unknown;
}

export interface FakeApiServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Requests the scenario had no answer for (`METHOD /path`). */
  readonly unexpected: string[];
  /** Replaces the scenario (the requests so far are kept). */
  play(scenario: Scenario): void;
  close(): Promise<void>;
}

export async function startFakeApiServer(scenario: Scenario = {}): Promise<FakeApiServer> {
  let queues = new Map<string, Answer[]>();
  const requests: RecordedRequest[] = [];
  const unexpected: string[] = [];
  const play = (s: Scenario): void => {
    queues = new Map(Object.entries(s).map(([k, v]) => [k, [...v]]));
  };
  play(scenario);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://fake');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = undefined;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      requests.push({ method: req.method ?? '', path: u.pathname, query: Object.fromEntries(u.searchParams), headers: req.headers, body });
      const key = `${req.method} ${u.pathname}`;
      const queue = queues.get(key);
      const next = queue && queue.length > 1 ? queue.shift() : queue?.[0];
      if (!next) {
        unexpected.push(key);
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `the fake API server has no answer for ${key}`, reason: 'InternalError', code: 500 }));
        return;
      }
      if (next.text !== undefined) {
        res.writeHead(next.status, { 'content-type': 'text/plain' });
        res.end(next.text);
      } else {
        res.writeHead(next.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(next.json ?? {}));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    unexpected,
    play,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A URL where nothing listens: a port just bound and released. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export const FAKE_TOKEN = 'fake-bearer-token-3k9Qz';

/**
 * Writes a kubeconfig for `url` into `dir`: one cluster, a user with a bearer token, and a
 * context whose namespace is `namespace`, plus a second context on the same cluster.
 * `insecure-skip-tls-verify` is set because the fake server speaks plain HTTP, which the
 * client refuses otherwise.
 */
export function writeKubeconfig(dir: string, url: string, namespace = 'ml'): string {
  const path = join(dir, 'kubeconfig.yaml');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: fake',
      '  cluster:',
      `    server: ${url}`,
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: reprise-server',
      '  user:',
      `    token: ${FAKE_TOKEN}`,
      'contexts:',
      '- name: fake',
      '  context:',
      '    cluster: fake',
      '    user: reprise-server',
      `    namespace: ${namespace}`,
      '- name: fake-other',
      '  context:',
      '    cluster: fake',
      '    user: reprise-server',
      '    namespace: other',
      'current-context: fake',
      '',
    ].join('\n'),
  );
  return path;
}
