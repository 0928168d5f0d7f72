import Fastify from 'fastify';
import { openEmbedded, mlflowDeps } from './dist/app/embedded.js';
import { registerMlflowApi } from './dist/interfaces/mlflow/mlflow-api.js';
import { parseMlflowRunFilter, parseMlflowRunOrder } from './dist/core/mlflow/run-search.js';
import { runsJson } from './dist/interfaces/mlflow/tracking-routes.js';
import { mkdtempSync } from 'node:fs';
const home = mkdtempSync('/tmp/prof-');
const app = await openEmbedded({ home, env: { ...process.env, REPRISE_HOME: home } });
const f = Fastify(); registerMlflowApi(f, mlflowDeps(app)); await f.ready();
const rpc = async (m, p, b) => JSON.parse((await f.inject({ method: m, url: '/api/2.0/mlflow/' + p, payload: b })).body);
const exp = (await rpc('POST', 'experiments/create', { name: 'x' })).experiment_id;
let seed = 7; const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
const OPT = ['adam','sgd','adamw','rmsprop'];
for (let i = 0; i < 1000; i++) {
  const r = (await rpc('POST', 'runs/create', { experiment_id: exp, run_name: 'r' + i, tags: [{ key: 'team', value: 'v' }] })).run.info.run_id;
  await rpc('POST', 'runs/log-batch', { run_id: r, params: [{ key: 'lr', value: String(rand()) }, { key: 'optimizer', value: OPT[Math.floor(rand()*4)] }, { key: 'batch', value: '32' }],
    metrics: ['accuracy','loss','f1'].map((k) => ({ key: k, value: rand(), timestamp: Date.now(), step: 0 })) });
}
const FILTER = "metrics.accuracy > 0.3 and params.optimizer = 'adam'";
const time = async (label, fn, n = 20) => { await fn(); const t = []; for (let i = 0; i < n; i++) { const s = performance.now(); await fn(); t.push(performance.now() - s); } t.sort((a,b)=>a-b); console.log(label, 'min', t[0].toFixed(2), 'median', t[n>>1].toFixed(2), 'ms'); };
await time('full route', () => rpc('POST', 'runs/search', { experiment_ids: [exp], filter: FILTER, max_results: 100, order_by: ['metrics.loss ASC'] }));
const q = { projects: ['x'], filter: parseMlflowRunFilter(FILTER), order: parseMlflowRunOrder(['metrics.loss ASC']), limit: 100 };
let page; await time('listRuns', async () => { page = await app.store.listRuns(q); });
await time('runsJson', () => runsJson(mlflowDeps(app), page.runs));
const ids = page.runs.map(r => r.id);
await time('summaries', () => app.store.metricSummaries(ids));
await time('params', () => app.store.paramsOf(ids));
await time('tags', () => app.store.tagsOf(ids));
await time('inputs', () => app.store.runInputs(ids));
await time('projects', () => app.store.projectRecords());
await time('listing 1000', () => rpc('POST', 'runs/search', { experiment_ids: [exp], filter: '', max_results: 10000 }));
await time('listRuns 1000', () => app.store.listRuns({ projects: ['x'], limit: 10000 }));
await app.close();
