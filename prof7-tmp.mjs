import { spawn } from 'node:child_process';
const srv = spawn('node', ['--cpu-prof', '--cpu-prof-dir=/tmp/cpuprof', 'bin/reprise.js', 'server', '--port', '5161'], { env: { ...process.env, REPRISE_HOME: '/tmp/cpuprof/home' }, stdio: 'inherit' });
await new Promise(r => setTimeout(r, 2500));
const B = 'http://127.0.0.1:5161/api/2.0/mlflow/';
const rpc = async (p, b) => (await fetch(B + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) })).json();
const exp = (await rpc('experiments/create', { name: 'x' })).experiment_id;
let seed = 7; const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
const OPT = ['adam','sgd','adamw','rmsprop'];
for (let i = 0; i < 1000; i++) {
  const r = (await rpc('runs/create', { experiment_id: exp, run_name: 'r' + i, tags: [{ key: 'team', value: 'v' }, { key: 'stage', value: 'dev' }] })).run.info.run_id;
  await rpc('runs/log-batch', { run_id: r, params: [{ key: 'lr', value: String(rand()) }, { key: 'optimizer', value: OPT[Math.floor(rand()*4)] }, { key: 'batch', value: '32' }],
    metrics: ['accuracy','loss','f1'].map((k) => ({ key: k, value: rand(), timestamp: Date.now(), step: 0 })) });
}
const t = [];
for (let i = 0; i < 60; i++) { const s = performance.now(); await rpc('runs/search', { experiment_ids: [exp], filter: "metrics.accuracy > 0.3 and params.optimizer = 'adam'", max_results: 100, order_by: ['metrics.loss ASC'] }); t.push(performance.now() - s); }
t.sort((a,b)=>a-b); console.log('search median', t[30].toFixed(2), 'min', t[0].toFixed(2));
const t2 = [];
for (let i = 0; i < 10; i++) { const s = performance.now(); await rpc('runs/search', { experiment_ids: [exp], filter: '', max_results: 10000 }); t2.push(performance.now() - s); }
t2.sort((a,b)=>a-b); console.log('listing median', t2[5].toFixed(2), 'min', t2[0].toFixed(2));
srv.kill('SIGINT');
await new Promise(r => srv.on('exit', r));
