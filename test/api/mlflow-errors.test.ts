/**
 * The MLflow-compatible API's answers to bad input, as MLflow's client reads them: the
 * HTTP status that decides whether the client raises at once or retries, an
 * `{error_code, message}` body whose code the client maps to its exception, and a message
 * that names what is wrong. Plain fetch against a real server, as the client's requests
 * travel; a refused write leaves nothing behind.
 */
import { describe, expect, it } from 'vitest';
import { rawRequest, useServer } from '../helpers/server.js';

const UNKNOWN_RUN = '01aaaaaaaaaaaaaaaaaaaaaaaa';

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  readonly json: any;
}

describe('the MLflow API refusing bad input', () => {
  const ctx = useServer();
  const base = (): string => ctx.server.url;

  /** One request as MLflow's client sends it: fields as a JSON body, or a raw body with its own content type. */
  async function call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Answer> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      init.headers = { 'content-type': contentType };
    }
    const res = await fetch(base() + path, init);
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, contentType: type, text, json: type.includes('json') && text !== '' ? JSON.parse(text) : undefined };
  }

  const mlflow = (method: string, path: string, body?: unknown) => call(method, `/api/2.0/mlflow${path}`, body);

  /** An MLflow error answer: status, JSON body, code, and a message; the message is returned. */
  function expectError(a: Answer, status: number, code: string): string {
    expect(a.status, a.text).toBe(status);
    expect(a.contentType).toContain('application/json');
    expect(a.json?.error_code, a.text).toBe(code);
    expect(typeof a.json.message).toBe('string');
    expect(a.json.message.length).toBeGreaterThan(0);
    return a.json.message as string;
  }

  let experiments = 0;
  /** A new experiment and a running run in it, made through the API. */
  async function newRun(): Promise<{ experimentId: string; runId: string }> {
    const created = await mlflow('POST', '/experiments/create', { name: `errors-${++experiments}-${Date.now()}` });
    expect(created.status, created.text).toBe(200);
    const experimentId = created.json.experiment_id as string;
    const run = await mlflow('POST', '/runs/create', { experiment_id: experimentId, start_time: Date.now() });
    expect(run.status, run.text).toBe(200);
    return { experimentId, runId: run.json.run.info.run_id as string };
  }

  /** The run's data as the client reads it back. */
  async function runData(runId: string): Promise<{ metrics: unknown[]; params: { key: string; value: string }[]; tags: { key: string; value: string }[] }> {
    const got = await mlflow('GET', `/runs/get?run_id=${runId}`);
    expect(got.status, got.text).toBe(200);
    const data = got.json.run.data;
    return { metrics: data.metrics ?? [], params: data.params ?? [], tags: data.tags ?? [] };
  }

  const metric = (key: string, step: number) => ({ key, value: step / 10, timestamp: Date.now(), step });

  it('refuses a log-batch of 1001 metrics whole, naming the limit, and writes none of it', async () => {
    const { runId } = await newRun();
    const a = await mlflow('POST', '/runs/log-batch', {
      run_id: runId,
      metrics: Array.from({ length: 1001 }, (_, i) => metric('loss', i)),
      params: [{ key: 'lr', value: '0.1' }],
      tags: [{ key: 'team', value: 'vision' }],
    });
    const message = expectError(a, 400, 'INVALID_PARAMETER_VALUE');
    expect(message).toContain('metrics');
    expect(message).toContain('1000');
    const data = await runData(runId);
    expect(data.metrics).toEqual([]);
    expect(data.params).toEqual([]);
    expect(data.tags.map((t) => t.key)).not.toContain('team');
    const history = await mlflow('GET', `/metrics/get-history?run_id=${runId}&metric_key=loss`);
    expect(history.status).toBe(200);
    expect(history.json.metrics ?? []).toEqual([]);
    // The limit itself is accepted.
    expect((await mlflow('POST', '/runs/log-batch', { run_id: runId, metrics: Array.from({ length: 1000 }, (_, i) => metric('loss', i)) })).status).toBe(200);
  });

  it('refuses a metric key that leaves its folder or has a bad character, naming the key and where it was, writing nothing', async () => {
    const { runId } = await newRun();
    for (const key of ['a/../b', '../loss', 'loss*', 'bad\nkey', '/abs']) {
      const a = await mlflow('POST', '/runs/log-batch', { run_id: runId, metrics: [metric('fine', 0), metric(key, 1)] });
      const message = expectError(a, 400, 'INVALID_PARAMETER_VALUE');
      expect(message, key).toContain(JSON.stringify(key));
      expect(message, key).toContain('metrics[1].key');
    }
    const single = await mlflow('POST', '/runs/log-metric', { run_id: runId, ...metric('x/../y', 0) });
    expect(expectError(single, 400, 'INVALID_PARAMETER_VALUE')).toContain('"x/../y"');
    // The good metric sent beside a bad one was not written either.
    expect((await runData(runId)).metrics).toEqual([]);
  });

  it('refuses a param changed to another value, naming it with both values, and keeps the first', async () => {
    const { runId } = await newRun();
    expect((await mlflow('POST', '/runs/log-parameter', { run_id: runId, key: 'lr', value: '0.1' })).status).toBe(200);
    // The same value again is fine.
    expect((await mlflow('POST', '/runs/log-parameter', { run_id: runId, key: 'lr', value: '0.1' })).status).toBe(200);
    const message = expectError(await mlflow('POST', '/runs/log-parameter', { run_id: runId, key: 'lr', value: '0.2' }), 400, 'INVALID_PARAMETER_VALUE');
    expect(message).toContain('lr');
    expect(message).toContain('0.1');
    expect(message).toContain('0.2');
    // Through log-batch too, and then nothing else of that batch is written.
    const batch = await mlflow('POST', '/runs/log-batch', { run_id: runId, metrics: [metric('loss', 0)], params: [{ key: 'lr', value: '0.3' }, { key: 'epochs', value: '5' }] });
    expect(expectError(batch, 400, 'INVALID_PARAMETER_VALUE')).toContain('lr');
    const data = await runData(runId);
    expect(data.params).toEqual([{ key: 'lr', value: '0.1' }]);
    expect(data.metrics).toEqual([]);
  });

  it('asks for a missing run_id by name', async () => {
    expect(expectError(await mlflow('POST', '/runs/log-metric', metric('loss', 0)), 400, 'INVALID_PARAMETER_VALUE')).toContain('run_id');
    expect(expectError(await mlflow('GET', '/runs/get'), 400, 'INVALID_PARAMETER_VALUE')).toContain('run_id');
    expect(expectError(await mlflow('POST', '/runs/log-batch', { metrics: [metric('loss', 0)] }), 400, 'INVALID_PARAMETER_VALUE')).toContain('run_id');
  });

  it('answers an unknown run with 404 RESOURCE_DOES_NOT_EXIST naming it', async () => {
    expect(expectError(await mlflow('GET', `/runs/get?run_id=${UNKNOWN_RUN}`), 404, 'RESOURCE_DOES_NOT_EXIST')).toContain(UNKNOWN_RUN);
    expect(expectError(await mlflow('POST', '/runs/log-metric', { run_id: UNKNOWN_RUN, ...metric('loss', 0) }), 404, 'RESOURCE_DOES_NOT_EXIST')).toContain(UNKNOWN_RUN);
    expect(expectError(await mlflow('GET', `/metrics/get-history?run_id=${UNKNOWN_RUN}&metric_key=loss`), 404, 'RESOURCE_DOES_NOT_EXIST')).toContain(UNKNOWN_RUN);
  });

  it('answers an unknown experiment name with 404 RESOURCE_DOES_NOT_EXIST naming it', async () => {
    const name = 'no experiment of this name';
    const message = expectError(await mlflow('GET', `/experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`), 404, 'RESOURCE_DOES_NOT_EXIST');
    expect(message).toContain(name);
  });

  it('refuses to create an experiment twice with 400 RESOURCE_ALREADY_EXISTS naming it', async () => {
    const name = `twice-${Date.now()}`;
    const first = await mlflow('POST', '/experiments/create', { name });
    expect(first.status, first.text).toBe(200);
    expect(expectError(await mlflow('POST', '/experiments/create', { name }), 400, 'RESOURCE_ALREADY_EXISTS')).toContain(name);
    // Deleted, the name is still taken.
    expect((await mlflow('POST', '/experiments/delete', { experiment_id: first.json.experiment_id })).status).toBe(200);
    expect(expectError(await mlflow('POST', '/experiments/create', { name }), 400, 'RESOURCE_ALREADY_EXISTS')).toContain(name);
  });

  it('refuses a bad search filter with 400, pointing at the mistake with carets', async () => {
    const { experimentId } = await newRun();
    const text = 'metrics.loss <<< 1';
    const message = expectError(await mlflow('POST', '/runs/search', { experiment_ids: [experimentId], filter: text }), 400, 'INVALID_PARAMETER_VALUE');
    expect(message).toContain('filter');
    const lines = message.split('\n');
    const quoted = lines.findIndex((l) => l.includes(text));
    expect(quoted, message).toBeGreaterThan(0);
    // The carets sit under the stray operator.
    const caretLine = lines[quoted + 1] ?? '';
    expect(caretLine.trim()).toMatch(/^\^+$/);
    expect(lines[quoted]![caretLine.indexOf('^')]).toBe('<');
  });

  it.each(['/api/2.0/mlflow', '/ajax-api/2.0/mlflow'])('answers an unknown route under %s with 404 ENDPOINT_NOT_FOUND as JSON', async (prefix) => {
    for (const method of ['GET', 'POST']) {
      const a = await call(method, `${prefix}/no/such/endpoint`, method === 'POST' ? {} : undefined);
      const message = expectError(a, 404, 'ENDPOINT_NOT_FOUND');
      expect(message).toContain(`${prefix}/no/such/endpoint`);
    }
  });

  it('refuses an artifact path with encoded traversal, storing nothing', async () => {
    const { experimentId, runId } = await newRun();
    const runPath = `/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts`;
    for (const sneaky of ['..%2F..%2Fescape.txt', 'a/..%2F..%2F..%2Fescape.txt', '..%2f..%2fescape.txt']) {
      const put = await call('PUT', `${runPath}/${sneaky}`, 'stolen bytes', 'text/plain');
      expect(expectError(put, 400, 'INVALID_PARAMETER_VALUE'), sneaky).toContain('path');
      expect(expectError(await call('GET', `${runPath}/${sneaky}`), 400, 'INVALID_PARAMETER_VALUE'), sneaky).toContain('path');
    }
    // Dots encoded one by one, sent as written (fetch would resolve them first).
    const raw = await rawRequest(base(), 'PUT', `${runPath}/a/%2e%2e/%2e%2e/escape.txt`, { headers: { 'content-type': 'text/plain' }, body: 'stolen bytes' });
    expect(raw.status).toBe(400);
    expect(raw.json?.error_code).toBe('INVALID_PARAMETER_VALUE');
    const listed = await mlflow('GET', `/artifacts/list?run_id=${runId}`);
    expect(listed.status, listed.text).toBe(200);
    expect(listed.json.files ?? []).toEqual([]);
    // A plain upload to the same run is taken.
    expect((await call('PUT', `${runPath}/notes/ok.txt`, 'fine', 'text/plain')).status).toBe(200);
  });

  it('answers a multipart upload with 501 NOT_IMPLEMENTED, so the client falls back to one upload', async () => {
    const { experimentId, runId } = await newRun();
    const a = await call('POST', `/api/2.0/mlflow-artifacts/mpu/create/${experimentId}/${runId}/artifacts/big.bin`, { path: '/tmp/big.bin', num_parts: 3 });
    const message = expectError(a, 501, 'NOT_IMPLEMENTED');
    expect(message.startsWith('Multipart upload is not supported')).toBe(true);
  });

  it('refuses a body that is not JSON with 400', async () => {
    for (const body of ['not json', '{"name": "x",', '{name: "x"}']) {
      const message = expectError(await call('POST', '/api/2.0/mlflow/experiments/create', body), 400, 'INVALID_PARAMETER_VALUE');
      expect(message, body).toContain('JSON');
    }
  });

  it('answers GET /health with OK', async () => {
    const a = await call('GET', '/health');
    expect(a.status).toBe(200);
    expect(a.text).toBe('OK');
  });

  it('serves the same under /ajax-api/2.0/mlflow as under /api/2.0/mlflow', async () => {
    const name = `twin-${Date.now()}`;
    const created = await call('POST', '/ajax-api/2.0/mlflow/experiments/create', { name, tags: [{ key: 'via', value: 'ajax' }] });
    expect(created.status, created.text).toBe(200);
    const id = created.json.experiment_id as string;
    const viaApi = await mlflow('GET', `/experiments/get?experiment_id=${id}`);
    expect(viaApi.status, viaApi.text).toBe(200);
    expect(viaApi.json.experiment).toMatchObject({ experiment_id: id, name, lifecycle_stage: 'active', tags: [{ key: 'via', value: 'ajax' }] });
    const viaAjax = await call('GET', `/ajax-api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`);
    expect(viaAjax.json).toEqual(viaApi.json);

    // And the other way: made through /api, read through /ajax-api.
    const other = await mlflow('POST', '/experiments/create', { name: `${name}-api` });
    const back = await call('GET', `/ajax-api/2.0/mlflow/experiments/get?experiment_id=${other.json.experiment_id}`);
    expect(back.status, back.text).toBe(200);
    expect(back.json.experiment.name).toBe(`${name}-api`);
  });
});
