import Database from 'better-sqlite3';
import { readdirSync } from 'node:fs';
const home = '/tmp/' + readdirSync('/tmp').filter(d => d.startsWith('prof-')).sort().pop();
const db = new Database(home + '/reprise.db');
const t = (l, fn, n=10) => { fn(); const a=[]; for (let i=0;i<n;i++){const s=performance.now(); fn(); a.push(performance.now()-s);} a.sort((x,y)=>x-y); return a[n>>1]; };
const cols = db.prepare('select * from runs limit 1').columns().map(c => c.name);
for (const c of cols) console.log(c, t(c, () => db.prepare(`select ${c} from runs`).all()).toFixed(2));
console.log('all named', t('x', () => db.prepare(`select ${cols.join(',')} from runs`).all()).toFixed(2));
console.log('raw', t('x', () => db.prepare(`select * from runs`).raw().all()).toFixed(2));
