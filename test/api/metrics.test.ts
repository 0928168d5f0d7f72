/**
 * Metrics over the API: ingestion as rows or columns, non-finite values, resends,
 * malformed points named by their path, history whole or downsampled, summaries.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useServer } from '../helpers/server.js';
import { createRun, finishedRun, UNKNOWN_RUN } from './fixtures.js';

describe('metrics', () => {
  const ctx = useServer();


  const newRun = async (): Promise<string> => (await createRun(ctx.client, finishedRun())).id;
  const history = (id: string, query: string) => ctx.client.get(`/runs/${id}/history?${query}`);
  const full = async (id: string, key: string): Promise<{ steps: number[]; ts: number[]; values: (number | string)[]; total: number }> => {
    const res = await history(id, `key=${encodeURIComponent(key)}&full=true`);
    expect(res.status, res.text).toBe(200);
    return res.json;
  };

  it('takes rows, with default step 0 and default time now', async () => {
    const id = await newRun();
    const before = Date.now();
    const res = await ctx.client.post(`/runs/${id}/metrics`, {
      points: [
        { key: 'loss', value: 1.5, step: 0, ts: 1000 },
        { key: 'loss', value: 1.25, step: 1, ts: 2000 },
        { key: 'acc', value: 0.5 },
      ],
    });
    const after = Date.now();
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ accepted: 3, duplicate: false });
    expect(await full(id, 'loss')).toEqual({ key: 'loss', total: 2, downsampled: false, steps: [0, 1], ts: [1000, 2000], values: [1.5, 1.25] });
    const acc = await full(id, 'acc');
    expect(acc.steps).toEqual([0]);
    expect(acc.values).toEqual([0.5]);
    expect(acc.ts[0]).toBeGreaterThanOrEqual(before);
    expect(acc.ts[0]).toBeLessThanOrEqual(after);
  });

  it('takes columns: one time per point, one time for all, or none; and both forms at once', async () => {
    const id = await newRun();
    const res = await ctx.client.post(`/runs/${id}/metrics`, {
      series: [
        { key: 'a', steps: [0, 1, 2], values: [3, 2, 1], ts: [10, 20, 30] },
        { key: 'b', steps: [5, 6], values: [0.1, 0.2], ts: 99 },
        { key: 'c', steps: [1], values: [7] },
      ],
      points: [{ key: 'a', value: 0.5, step: 3, ts: 40 }],
    });
    expect(res.json).toEqual({ accepted: 7, duplicate: false });
    expect(await full(id, 'a')).toMatchObject({ steps: [0, 1, 2, 3], ts: [10, 20, 30, 40], values: [3, 2, 1, 0.5] });
    expect(await full(id, 'b')).toMatchObject({ steps: [5, 6], ts: [99, 99], values: [0.1, 0.2] });
    expect((await full(id, 'c')).values).toEqual([7]);

    // Later appends add to the series, which comes back in step order.
    await ctx.client.post(`/runs/${id}/metrics`, { series: [{ key: 'b', steps: [2, 9], values: [5, 6], ts: 100 }] });
    expect(await full(id, 'b')).toMatchObject({ total: 4, steps: [2, 5, 6, 9], values: [5, 0.1, 0.2, 6] });
  });

  it('keeps NaN and ±Infinity, sent and returned as strings', async () => {
    const id = await newRun();
    const res = await ctx.client.post(`/runs/${id}/metrics`, {
      series: [{ key: 'odd', steps: [0, 1, 2, 3], values: ['NaN', 'Infinity', '-Infinity', 2], ts: 1 }],
      points: [{ key: 'nan', value: 1, step: 0, ts: 1 }, { key: 'nan', value: 'NaN', step: 1, ts: 1 }],
    });
    expect(res.status).toBe(200);
    expect((await full(id, 'odd')).values).toEqual(['NaN', 'Infinity', '-Infinity', 2]);
    expect((await full(id, 'nan')).values).toEqual([1, 'NaN']);
    const summaries = (await ctx.client.get(`/runs/${id}/metrics`)).json.metrics;
    expect(summaries.odd).toEqual({ last: 2, lastStep: 3, lastTs: 1, min: '-Infinity', max: 'Infinity', count: 4 });
    expect(summaries.nan).toEqual({ last: 'NaN', lastStep: 1, lastTs: 1, min: 1, max: 1, count: 2 });
  });

  it('keeps several values logged at one step', async () => {
    const id = await newRun();
    await ctx.client.post(`/runs/${id}/metrics`, { points: [{ key: 'm', value: 1, step: 5, ts: 1 }, { key: 'm', value: 2, step: 5, ts: 2 }] });
    await ctx.client.post(`/runs/${id}/metrics`, { series: [{ key: 'm', steps: [5, 4], values: [3, 0], ts: [3, 4] }] });
    const h = await full(id, 'm');
    expect(h.total).toBe(4);
    expect(h.steps).toEqual([4, 5, 5, 5]);
    expect([...h.values].sort()).toEqual([0, 1, 2, 3]);
    expect(h.values[0]).toBe(0);
    expect((await ctx.client.get(`/runs/${id}/metrics`)).json.metrics.m).toMatchObject({ count: 4, lastStep: 5, last: 3, min: 0, max: 3 });
  });

  it('refuses a malformed point with 400 naming its path, and stores nothing of the request', async () => {
    const id = await newRun();
    const cases: { body: unknown; field: string }[] = [
      { body: { series: [{ key: 'x', steps: [0, 1, 2], values: [1, 2, 'oops'] }] }, field: 'series[0].values[2]' },
      { body: { series: [{ key: 'x', steps: [0, 1], values: [1, 2] }, { key: 'y', steps: [0, 0.5], values: [1, 2] }] }, field: 'series[1].steps[1]' },
      { body: { series: [{ key: 'x', steps: [0, 1], values: [1] }] }, field: 'series[0].steps' },
      { body: { series: [{ key: 'x', steps: [0], values: [1], ts: [-5] }] }, field: 'series[0].ts[0]' },
      { body: { points: [{ key: 'x', value: 1 }, { key: 'x', value: 1, step: 1.5 }] }, field: 'points[1].step' },
      { body: { points: [{ key: '', value: 1 }] }, field: 'points[0].key' },
      { body: { points: [{ key: 'x', value: null }] }, field: 'points[0].value' },
      { body: { points: [{ key: 'x', value: 'nan' }] }, field: 'points[0].value' },
      { body: { points: 'x' }, field: 'points' },
      { body: {}, field: 'body' },
      { body: [1, 2], field: 'body' },
      { body: { points: [{ key: 'x', value: 1 }], writer: { id: 'w', seq: -1 } }, field: 'writer' },
    ];
    for (const { body, field } of cases) {
      const res = await ctx.client.post(`/runs/${id}/metrics`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.code).toBe('REPRISE_ERR_REQUEST_INVALID');
      expect(res.json.error.message, JSON.stringify(body)).toContain(field);
      expect(res.json.error.details.field).toBe(field);
    }
    const h = await history(id, 'key=x');
    expect(h.status).toBe(404);
    expect(h.json.error.code).toBe('REPRISE_ERR_METRIC_NOT_FOUND');
    expect((await ctx.client.get(`/runs/${id}/metrics`)).json.metrics).toEqual({});
  });

  it('skips a resend of an applied writer seq (duplicate: true) and stores no extra point', async () => {
    const id = await newRun();
    const body = (seq: number, writer = 'runner-1') => ({
      series: [{ key: 'loss', steps: [seq * 10, seq * 10 + 1], values: [seq, seq + 0.5], ts: 1 }],
      writer: { id: writer, seq },
    });
    expect((await ctx.client.post(`/runs/${id}/metrics`, body(1))).json).toEqual({ accepted: 2, duplicate: false });
    expect((await ctx.client.post(`/runs/${id}/metrics`, body(1))).json).toEqual({ accepted: 0, duplicate: true });
    expect((await ctx.client.post(`/runs/${id}/metrics`, body(2))).json).toEqual({ accepted: 2, duplicate: false });
    // An older seq arriving late was applied before it.
    expect((await ctx.client.post(`/runs/${id}/metrics`, body(1))).json).toEqual({ accepted: 0, duplicate: true });
    expect((await ctx.client.post(`/runs/${id}/metrics`, body(2))).json).toEqual({ accepted: 0, duplicate: true });
    // Another writer has its own numbering.
    expect((await ctx.client.post(`/runs/${id}/metrics`, body(1, 'runner-2'))).json).toEqual({ accepted: 2, duplicate: false });
    const h = await full(id, 'loss');
    expect(h.total).toBe(6);
    expect(h.steps).toEqual([10, 10, 11, 11, 20, 21]);
    expect((await ctx.client.get(`/runs/${id}/metrics`)).json.metrics.loss.count).toBe(6);
  });

  describe('a long series', () => {
    const N = 100_000;
    const SPIKE_STEP = 61_234;
    const DIP_STEP = 12_345;
    let id: string;
    let values: number[];

    beforeAll(async () => {
      id = await newRun();
      values = Array.from({ length: N }, (_, i) => (i === SPIKE_STEP ? 1000 : i === DIP_STEP ? -1000 : Math.sin(i / 500) + (i % 13) / 100));
      const steps = Array.from({ length: N }, (_, i) => i);
      const ts = steps.map((s) => 1_700_000_000_000 + s);
      // Sent in two requests, the second half first: the history is in step order whatever the arrival.
      const half = N / 2;
      for (const [from, to] of [[half, N], [0, half]] as const) {
        const res = await ctx.client.post(`/runs/${id}/metrics`, { series: [{ key: 'loss', steps: steps.slice(from, to), values: values.slice(from, to), ts: ts.slice(from, to) }] });
        expect(res.json).toEqual({ accepted: to - from, duplicate: false });
      }
    });

    it('downsamples to ?points, keeping the spike, the dip, the first and the last point', async () => {
      const res = await history(id, 'key=loss&points=500');
      expect(res.status).toBe(200);
      const h = res.json;
      expect(h.total).toBe(N);
      expect(h.downsampled).toBe(true);
      expect(h.steps.length).toBeLessThanOrEqual(500);
      expect(h.steps.length).toBeGreaterThan(100);
      expect(h.values.length).toBe(h.steps.length);
      expect(h.ts.length).toBe(h.steps.length);
      expect(h.steps[0]).toBe(0);
      expect(h.values[0]).toBe(values[0]);
      expect(h.steps[h.steps.length - 1]).toBe(N - 1);
      expect(h.values[h.values.length - 1]).toBe(values[N - 1]);
      expect(h.values).toContain(1000);
      expect(h.values).toContain(-1000);
      expect(h.steps[h.values.indexOf(1000)]).toBe(SPIKE_STEP);
      // Every kept point is a real one, in step order.
      for (let i = 0; i < h.steps.length; i++) {
        expect(h.values[i]).toBe(values[h.steps[i]]);
        if (i > 0) expect(h.steps[i]).toBeGreaterThan(h.steps[i - 1]);
      }
    });

    it('downsamples with lttb too, keeping the ends', async () => {
      const h = (await history(id, 'key=loss&points=300&method=lttb')).json;
      expect(h.downsampled).toBe(true);
      expect(h.steps.length).toBeLessThanOrEqual(300);
      expect(h.steps[0]).toBe(0);
      expect(h.steps[h.steps.length - 1]).toBe(N - 1);
    });

    it('downsamples to 1000 points by default', async () => {
      const h = (await history(id, 'key=loss')).json;
      expect(h.downsampled).toBe(true);
      expect(h.steps.length).toBeLessThanOrEqual(1000);
      expect(h.values).toContain(1000);
    });

    it('gives every point with full=true, in step order', async () => {
      const h = await full(id, 'loss');
      expect(h.total).toBe(N);
      expect(h.steps.length).toBe(N);
      for (let i = 0; i < N; i++) {
        if (h.steps[i] !== i || h.values[i] !== values[i] || h.ts[i] !== 1_700_000_000_000 + i) {
          throw new Error(`point ${i}: got step ${h.steps[i]}, value ${h.values[i]}, ts ${h.ts[i]}`);
        }
      }
    });

    it('does not downsample a series shorter than ?points', async () => {
      const h = (await history(id, `key=loss&points=${N}`)).json;
      expect(h.downsampled).toBe(false);
      expect(h.steps.length).toBe(N);
    });

    it('refuses a points limit under 2', async () => {
      const res = await history(id, 'key=loss&points=1');
      expect(res.status).toBe(400);
      expect(res.json.error.message).toContain('query.points');
    });
  });

  it('answers 404 REPRISE_ERR_METRIC_NOT_FOUND for an unknown key, naming the known ones', async () => {
    const id = await newRun();
    await ctx.client.post(`/runs/${id}/metrics`, { points: [{ key: 'loss', value: 1 }, { key: 'acc', value: 1 }] });
    const res = await history(id, 'key=lost');
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('REPRISE_ERR_METRIC_NOT_FOUND');
    expect(res.json.error.message).toContain('"lost"');
    expect(res.json.error.details.known.sort()).toEqual(['acc', 'loss']);
    expect((await history(UNKNOWN_RUN, 'key=loss')).json.error.code).toBe('REPRISE_ERR_RUN_NOT_FOUND');
    expect((await ctx.client.post(`/runs/${UNKNOWN_RUN}/metrics`, { points: [{ key: 'a', value: 1 }] })).status).toBe(404);
  });

  it('summarises the final metrics of a run and of many runs', async () => {
    const a = await newRun();
    const b = await newRun();
    const quiet = await newRun();
    await ctx.client.post(`/runs/${a}/metrics`, { series: [{ key: 'loss', steps: [0, 1, 2], values: [0.9, 0.3, 0.5], ts: 1 }, { key: 'acc', steps: [2], values: [0.8], ts: 1 }] });
    await ctx.client.post(`/runs/${b}/metrics`, { points: [{ key: 'loss', value: 2, step: 7, ts: 1 }] });

    const one = await ctx.client.get(`/runs/${a}/metrics`);
    expect(one.status).toBe(200);
    expect(one.json).toEqual({
      metrics: {
        loss: { last: 0.5, lastStep: 2, lastTs: 1, min: 0.3, max: 0.9, count: 3 },
        acc: { last: 0.8, lastStep: 2, lastTs: 1, min: 0.8, max: 0.8, count: 1 },
      },
    });
    expect((await ctx.client.get(`/runs/${a}`)).json.run.metrics).toEqual(one.json.metrics);

    const many = await ctx.client.post('/metric-summaries', { runIds: [a, b.toUpperCase(), quiet, UNKNOWN_RUN] });
    expect(many.status).toBe(200);
    expect(many.json.summaries[a]).toEqual(one.json.metrics);
    expect(many.json.summaries[b]).toEqual({ loss: { last: 2, lastStep: 7, lastTs: 1, min: 2, max: 2, count: 1 } });
    expect(many.json.summaries[quiet] ?? {}).toEqual({});
    expect(many.json.summaries[UNKNOWN_RUN] ?? {}).toEqual({});
  });

  describe('histograms and notes', () => {
    it('stores histogram points in each form, lists the keys and samples a long series evenly', async () => {
      const id = await newRun();
      const res = await ctx.client.post(`/runs/${id}/histograms`, {
        histograms: [
          { key: 'w', step: 0, ts: 10, buckets: [[0, 1, 2], [1, 2, 3]], stats: { min: 0, max: 2, count: 5, sum: 5, sumSquares: 7 } },
          { key: 'w', step: 1, ts: 20, edges: [0, 2, 4], counts: [1, 1] },
          { key: 'v', step: 3, ts: 30, values: [1, 2, 3, 'NaN'], bins: 2 },
        ],
      });
      expect(res.json).toEqual({ accepted: 3 });
      expect((await ctx.client.get(`/runs/${id}/histograms`)).json.histograms).toEqual([
        { key: 'v', count: 1, firstStep: 3, lastStep: 3, lastTs: 30 },
        { key: 'w', count: 2, firstStep: 0, lastStep: 1, lastTs: 20 },
      ]);
      const w = await ctx.client.get(`/runs/${id}/histograms/history?key=w`);
      expect(w.json).toEqual({
        key: 'w',
        total: 2,
        points: [
          { step: 0, ts: 10, buckets: [[0, 1, 2], [1, 2, 3]], stats: { min: 0, max: 2, count: 5, sum: 5, sumSquares: 7 } },
          { step: 1, ts: 20, buckets: [[0, 2, 1], [2, 4, 1]], stats: null },
        ],
      });
      expect((await ctx.client.get(`/runs/${id}/histograms/history?key=v`)).json.points[0]).toEqual({
        step: 3,
        ts: 30,
        buckets: [[1, 2, 1], [2, 3, 2]],
        stats: { min: 1, max: 3, count: 3, sum: 6, sumSquares: 14 },
      });

      // 250 steps: 100 by default, spread evenly with the first and the last; all with full=true.
      await ctx.client.post(`/runs/${id}/histograms`, { histograms: Array.from({ length: 250 }, (_, s) => ({ key: 'long', step: s, values: [s] })) });
      const sampled = (await ctx.client.get(`/runs/${id}/histograms/history?key=long`)).json;
      expect(sampled.total).toBe(250);
      expect(sampled.points).toHaveLength(100);
      expect([sampled.points[0].step, sampled.points[99].step]).toEqual([0, 249]);
      expect((await ctx.client.get(`/runs/${id}/histograms/history?key=long&points=5`)).json.points.map((p: any) => p.step)).toEqual([0, 62, 125, 187, 249]);
      expect((await ctx.client.get(`/runs/${id}/histograms/history?key=long&full=true`)).json.points).toHaveLength(250);

      const lost = await ctx.client.get(`/runs/${id}/histograms/history?key=lost`);
      expect(lost.status).toBe(404);
      expect(lost.json.error.code).toBe('REPRISE_ERR_METRIC_NOT_FOUND');
      expect(lost.json.error.details.known).toEqual(['long', 'v', 'w']);
      expect((await ctx.client.post(`/runs/${UNKNOWN_RUN}/histograms`, { histograms: [{ key: 'a', step: 0, values: [1] }] })).json.error.code).toBe('REPRISE_ERR_RUN_NOT_FOUND');
    });

    it('refuses a malformed histogram or note with 400 naming its path, and stores nothing of the request', async () => {
      const id = await newRun();
      const cases: { path: string; body: unknown; field: string }[] = [
        { path: 'histograms', body: { histograms: [{ key: 'h', step: 0, values: [1] }, { key: 'h', step: 1, buckets: [[0, 1]] }] }, field: 'histograms[1].buckets[0]' },
        { path: 'histograms', body: { histograms: [{ key: 'h', step: 0, edges: [0, 1], counts: [1, 2] }] }, field: 'histograms[0].edges' },
        { path: 'histograms', body: { histograms: [{ key: 'h', step: 1.5, values: [1] }] }, field: 'histograms[0].step' },
        { path: 'histograms', body: { points: [] }, field: 'histograms' },
        { path: 'notes', body: { notes: [{ key: 'n', step: 0, text: 'ok' }, { key: 'n', text: 5 }] }, field: 'notes[1].text' },
        { path: 'notes', body: { notes: [{ key: 'n', text: 'x'.repeat(70_000) }] }, field: 'notes[0].text' },
      ];
      for (const { path, body, field } of cases) {
        const res = await ctx.client.post(`/runs/${id}/${path}`, body);
        expect(res.status, field).toBe(400);
        expect(res.json.error.code).toBe('REPRISE_ERR_REQUEST_INVALID');
        expect(res.json.error.message).toContain(field);
      }
      expect((await ctx.client.get(`/runs/${id}/histograms`)).json.histograms).toEqual([]);
      expect((await ctx.client.get(`/runs/${id}/notes`)).json.notes).toEqual([]);
    });

    it('keeps notes by key and step, the text as written', async () => {
      const id = await newRun();
      await ctx.client.post(`/runs/${id}/notes`, {
        notes: [
          { key: 'b', step: 2, ts: 5, text: '<b>kept</b>\n  as is' },
          { key: 'a', step: 1, ts: 6, text: 'first' },
          { key: 'b', step: 1, ts: 7, text: 'earlier step' },
        ],
      });
      expect((await ctx.client.get(`/runs/${id}/notes`)).json.notes).toEqual([
        { key: 'a', step: 1, ts: 6, text: 'first' },
        { key: 'b', step: 1, ts: 7, text: 'earlier step' },
        { key: 'b', step: 2, ts: 5, text: '<b>kept</b>\n  as is' },
      ]);
      expect((await ctx.client.get(`/runs/${id}/notes?key=a`)).json.notes.map((n: any) => n.text)).toEqual(['first']);
    });
  });
});
