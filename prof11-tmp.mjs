import { startServer } from './dist/app/server.js';
import { mkdtempSync } from 'node:fs';
const home = mkdtempSync('/tmp/prof11-');
const s0 = await startServer({ host: '127.0.0.1', port: 0, env: { ...process.env, REPRISE_HOME: home } });
const B = s0.url + '/api/2.0/mlflow/';
const rpc = async (p, b) => (await fetch(B + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) })).json();
const exp = (await rpc('experiments/create', { name: 'x' })).experiment_id;
let seed = 7; const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
const OPT = ['adam','sgd','adamw','rmsprop'];
for (let i = 0; i < 1000; i++) {
  const r = (await rpc('runs/create', { experiment_id: exp, run_name: 'r' + i, tags: [{ key: 'team', value: 'v' }, { key: 'stage', value: 'dev' }] })).run.info.run_id;
  await rpc('runs/log-batch', { run_id: r, params: [{ key: 'lr', value: String(rand()) }, { key: 'optimizer', value: OPT[Math.floor(rand()*4)] }, { key: 'batch', value: '32' }],
    metrics: ['accuracy','loss','f1'].map((k) => ({ key: k, value: rand(), timestamp: Date.now(), step: 0 })) });
  if (process.env.FINISH) await rpc('runs/update', { run_id: r, status: 'FINISHED', end_time: Date.now() });
}
const t = [];
for (let i = 0; i < 100; i++) { const s = performance.now(); await rpc('runs/search', { experiment_ids: [exp], filter: "metrics.accuracy > 0.3 and params.optimizer = 'adam'", max_results: 100, order_by: ['metrics.loss ASC'] }); t.push(performance.now() - s); }
console.log(t.map(x=>x.toFixed(1)).join(' ')); t.sort((a,b)=>a-b); console.log('search median', t[50].toFixed(2), 'min', t[0].toFixed(2));
await s0.close();
