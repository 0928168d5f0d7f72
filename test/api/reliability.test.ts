/**
 * What survives the server's death: every metric point it acknowledged survives a
 * SIGKILL in the middle of ingestion, and runs whose driving process died while the
 * server was down are marked lost when it starts again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { api, removeHome, startServer, tempHome, waitUntil, type RunningServer } from '../helpers/server.js';
import { createRun, finishedRun, makeRunRecord } from './fixtures.js';

const BATCH = 50;
const ACKS_BEFORE_KILL = 300;
const SENDERS = 8;

/** The process start time as Linux reports it (field 22 of /proc/<pid>/stat), '' where there is no /proc. */
function startTimeOf(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

describe('reliability', () => {
  const homes: string[] = [];
  const servers: RunningServer[] = [];
  const children: ChildProcess[] = [];

  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await exited(c);
    }
    for (const s of servers.splice(0)) await s.stop('SIGKILL');
    for (const h of homes.splice(0)) removeHome(h);
  });

  const serve = async (home: string): Promise<RunningServer> => {
    const s = await startServer({ home });
    servers.push(s);
    return s;
  };

  it('loses no acknowledged metric point when killed with SIGKILL during ingestion', async () => {
    const home = tempHome();
    homes.push(home);
    const first = await serve(home);
    const run = await createRun(api(first.url), finishedRun({ name: 'ingest-under-fire' }));
    const url = `${first.url}/api/v1/runs/${run.id}/metrics`;

    const sent = new Set<number>();
    const acked = new Set<number>();
    let next = 0;
    let inFlight = 0;
    let inFlightAtKill = -1;
    let killed = false;
    const valueOf = (step: number): number => step * 0.5 - 7;

    // Each sender keeps sending until a request of its own fails after the kill, so
    // requests are on their way while the process dies.
    const sender = async (): Promise<void> => {
      for (;;) {
        const n = next++;
        const steps = Array.from({ length: BATCH }, (_, i) => n * BATCH + i);
        const body = JSON.stringify({ series: [{ key: 'loss', steps, values: steps.map(valueOf), ts: 1_700_000_000_000 + n }] });
        sent.add(n);
        inFlight++;
        try {
          const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
          const json = (await res.json()) as { accepted?: number };
          if (res.status === 200 && json.accepted === BATCH) acked.add(n);
          else if (!killed) throw new Error(`batch ${n}: answered ${res.status} ${JSON.stringify(json)}`);
        } catch (e) {
          // Connections cut by the kill fail; anything else before it is a real failure.
          if (!killed) throw e;
          return;
        } finally {
          inFlight--;
        }
        if (!killed && acked.size >= ACKS_BEFORE_KILL) {
          killed = true;
          inFlightAtKill = inFlight;
          first.process.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: SENDERS }, sender));
    const res = await first.stop();
    expect(res.signal).toBe('SIGKILL');
    expect(acked.size).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);
    // The kill came while other requests were still waiting for their answer.
    expect(inFlightAtKill).toBeGreaterThan(0);

    const second = await serve(home);
    const h = await api(second.url).get(`/runs/${run.id}/history?key=loss&full=true`);
    expect(h.status, h.text).toBe(200);
    const steps: number[] = h.json.steps;
    const values: number[] = h.json.values;
    expect(h.json.total).toBe(steps.length);

    const stored = new Set<number>();
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      if (stored.has(step)) throw new Error(`step ${step} stored twice`);
      if (values[i] !== valueOf(step)) throw new Error(`step ${step}: stored ${values[i]}, sent ${valueOf(step)}`);
      stored.add(step);
    }
    const batches = new Map<number, number>();
    for (const step of stored) {
      const n = Math.floor(step / BATCH);
      batches.set(n, (batches.get(n) ?? 0) + 1);
    }
    // Every acknowledged batch is whole.
    const missing = [...acked].filter((n) => batches.get(n) !== BATCH);
    expect(missing, 'acknowledged batches not (wholly) stored').toEqual([]);
    // Nothing that was not sent; no batch in part.
    const unsent = [...batches.keys()].filter((n) => !sent.has(n));
    expect(unsent, 'stored batches never sent').toEqual([]);
    const partial = [...batches].filter(([, count]) => count !== BATCH).map(([n]) => n);
    expect(partial, 'batches stored in part').toEqual([]);
    expect(steps.length).toBe(batches.size * BATCH);
    // The summary agrees with the series.
    const summary = (await api(second.url).get(`/runs/${run.id}/metrics`)).json.metrics.loss;
    expect(summary.count).toBe(steps.length);
    expect(summary.lastStep).toBe(Math.max(...steps));
  });

  it('marks lost, on restart, a running run whose process died while the server was down', async () => {
    const home = tempHome();
    homes.push(home);
    const first = await serve(home);
    const client = api(first.url);

    const doomed = spawn('sleep', ['60'], { stdio: 'ignore' });
    const survivor = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(doomed, survivor);
    await waitUntil('the sleep processes to start', () => doomed.pid !== undefined && survivor.pid !== undefined);
    if (process.platform === 'linux') expect(startTimeOf(doomed.pid!)).not.toBe('');

    const here = hostname();
    const now = Date.now();
    const runFor = (pid: number, name: string) =>
      makeRunRecord({ name, status: 'running', host: here, pid, pidStart: startTimeOf(pid), createdAt: now, startedAt: now, endedAt: null, heartbeatAt: now });
    const lost = await createRun(client, runFor(doomed.pid!, 'will-be-lost'));
    const alive = await createRun(client, runFor(survivor.pid!, 'still-running'));

    // While both processes live, both runs are running.
    expect((await client.get(`/runs/${lost.id}`)).json.run.status).toBe('running');
    expect((await client.get(`/runs/${alive.id}`)).json.run.status).toBe('running');

    const stopped = await first.stop();
    expect(stopped.code).toBe(0);
    doomed.kill('SIGKILL');
    await exited(doomed);

    const second = await serve(home);
    // Settled when the server starts, before anyone asks for the run.
    const db = new Database(join(home, 'reprise.db'), { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare('select status from runs where id = ?').get(lost.id) as { status: string } | undefined;
      expect(row?.status).toBe('lost');
    } finally {
      db.close();
    }

    const got = (await api(second.url).get(`/runs/${lost.id}`)).json.run;
    expect(got.status).toBe('lost');
    expect(got.endedAt).toBe(now);
    expect(got.manifest.status).toBe('lost');
    expect(got.manifest.failure.message).toContain(`pid ${doomed.pid}`);
    expect(got.manifest.failure.message).toContain(here);
    expect(got.manifest.failure.stage).toBe('train');

    expect((await api(second.url).get(`/runs/${alive.id}`)).json.run.status).toBe('running');
    const listed = await api(second.url).get(`/runs?status=lost`);
    expect(listed.json.runs.map((r: any) => r.id)).toEqual([lost.id]);
  });
});
