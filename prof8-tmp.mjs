import Fastify from 'fastify';
import Database from 'better-sqlite3';
const sqlTimes = new Map(); let measuring = false;
const origPrep = Database.prototype.prepare;
Database.prototype.prepare = function (sql) { const st = origPrep.call(this, sql); const all = st.all.bind(st); st.all = (...a) => { const s = performance.now(); const r = all(...a); if (measuring) { const k = sql.replace(/\s+/g,' ').slice(0, 140); const e = sqlTimes.get(k) ?? [0, 0, 0]; e[0] += performance.now() - s; e[1]++; e[2] += r.length; sqlTimes.set(k, e); } return r; }; return st; };
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { openEmbedded, mlflowDeps } from './dist/app/embedded.js';
import { registerMlflowApi } from './dist/interfaces/mlflow/mlflow-api.js';
import { mkdtempSync } from 'node:fs';
const home = mkdtempSync('/tmp/prof8-');
const app = await openEmbedded({ home });
const f = Fastify(); registerMlflowApi(f, mlflowDeps(app));
const el = []; f.addHook('onResponse', async (req, reply) => { if (req.url.includes('search')) el.push(reply.elapsedTime); });
await f.listen({ port: 5171, host: '127.0.0.1' });
const B = 'http://127.0.0.1:5171/api/2.0/mlflow/';
const rpc = async (p, b) => (await fetch(B + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) })).json();
const exp = (await rpc('experiments/create', { name: 'x' })).experiment_id;
let seed = 7; const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
const OPT = ['adam','sgd','adamw','rmsprop'];
for (let i = 0; i < 1000; i++) {
  const r = (await rpc('runs/create', { experiment_id: exp, run_name: 'r' + i, tags: [{ key: 'team', value: 'v' }, { key: 'stage', value: 'dev' }] })).run.info.run_id;
  await rpc('runs/log-batch', { run_id: r, params: [{ key: 'lr', value: String(rand()) }, { key: 'optimizer', value: OPT[Math.floor(rand()*4)] }, { key: 'batch', value: '32' }],
    metrics: ['accuracy','loss','f1'].map((k) => ({ key: k, value: rand(), timestamp: Date.now(), step: 0 })) });
}
const times = {};
for (const m of ['listRuns','metricSummaries','paramsOf','tagsOf','runInputs','projectRecords','projectRecord']) {
  const orig = app.store[m].bind(app.store);
  app.store[m] = async (...a) => { const s = performance.now(); try { return await orig(...a); } finally { (times[m] ??= []).push(performance.now() - s); } };
}
const session = new Session(); session.connect(); await session.post('Profiler.enable'); await session.post('Profiler.start');
measuring = true;
const t = [];
for (let i = 0; i < 200; i++) { const s = performance.now(); await rpc('runs/search', { experiment_ids: [exp], filter: "metrics.accuracy > 0.3 and params.optimizer = 'adam'", max_results: 100, order_by: ['metrics.loss ASC'] }); t.push(performance.now() - s); }
const { profile } = await session.post('Profiler.stop'); writeFileSync('/tmp/cpuprof/search.cpuprofile', JSON.stringify(profile));
t.sort((a,b)=>a-b); el.sort((a,b)=>a-b); console.log('client median', t[20].toFixed(2), 'server median', el[20].toFixed(2));
measuring = false; for (const [k, [ms, n, rows]] of [...sqlTimes].sort((a,b)=>b[1][0]-a[1][0]).slice(0,12)) console.log((ms/200).toFixed(3), 'ms/search', n/200, 'calls', rows/n|0, 'rows', k);
for (const [k, v] of Object.entries(times)) { v.sort((a,b)=>a-b); console.log(k, v.length, 'median', v[v.length>>1].toFixed(2)); }
await f.close(); await app.close();
