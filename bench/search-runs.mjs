// The runs that search.mjs and postgres.mjs search: a deterministic stream of varied
// runs (params lr, batch, optimizer, ...; 4 metrics of 10 points each; tags on a fifth of
// them), the same in every store and every run of a benchmark, and the searches made.

export const SEARCHES = [
  { filter: "params.lr < 0.01 and metrics.val_acc >= 0.9 and status = 'succeeded'", order: 'metrics.val_acc desc' },
  { filter: "params.optimizer = 'adam'", order: 'params.lr' },
  { filter: "tags.stage = 'candidate'", order: 'created desc' },
  { filter: '', order: 'created desc' },
  { filter: "params.batch >= 64 and params.optimizer in ('adam', 'adamw') and project = 'cifar10'", order: 'metrics.loss asc' },
  { filter: "params.lr < 0.00002 and tags.stage = 'candidate'", order: 'metrics.val_acc desc' },
];

let seed = 42;
/** Starts the stream again from its first run. */
export function resetRuns() {
  seed = 42;
}
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const round = (x, digits) => Number(x.toPrecision(digits));

const PROJECTS = ['mnist', 'cifar10', 'imagenet', 'bert-finetune', 'atari'];
const OPTIMIZERS = ['adam', 'sgd', 'adamw', 'rmsprop'];
const STATUSES = [...Array(14).fill('succeeded'), 'failed', 'failed', 'failed', 'failed', 'canceled', 'lost'];
export const EPOCHS = 10;

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';
/** A run id as core/ids makes them (10 characters of time, 16 more), the 16 from `i`. */
function runId(createdAt, i) {
  let id = '';
  for (let k = 0, t = createdAt; k < 10; k++, t = Math.floor(t / 32)) id = CROCKFORD[t % 32] + id;
  let tail = '';
  for (let k = 0, n = i; k < 16; k++, n = Math.floor(n / 32)) tail = CROCKFORD[n % 32] + tail;
  return id + tail;
}

/** The i-th run (its record, metric batches and tags), made with `runRecord` (server-lib's recordFactory). */
export function makeRun(runRecord, i, t0) {
  const createdAt = t0 + i * 60_000 + Math.floor(rand() * 30_000);
  const lr = round(10 ** (-5 + rand() * 4), 3);
  const params = {
    lr,
    batch: pick([16, 32, 64, 128, 256]),
    optimizer: pick(OPTIMIZERS),
    epochs: EPOCHS,
    dropout: round(rand() * 0.5, 2),
    model: { layers: pick([2, 4, 8, 12]), hidden: pick([128, 256, 512, 1024]) },
    seed: i,
  };
  const quality = Math.min(0.995, 0.55 + 0.45 * rand() ** 0.5 - (lr > 0.01 ? 0.1 : 0));
  const curves = {};
  for (const key of ['val_acc', 'train_acc', 'loss', 'val_loss']) {
    const steps = new Float64Array(EPOCHS);
    const ts = new Float64Array(EPOCHS);
    const values = new Float64Array(EPOCHS);
    for (let e = 0; e < EPOCHS; e++) {
      const f = (e + 1) / EPOCHS;
      steps[e] = e;
      ts[e] = createdAt + (e + 1) * 30_000;
      const acc = quality * (0.6 + 0.4 * f) + (rand() - 0.5) * 0.01;
      values[e] = key.endsWith('acc') ? Math.min(1, key === 'train_acc' ? acc + 0.02 : acc) : (1 - acc) * 2 + (key === 'val_loss' ? 0.05 : 0);
    }
    curves[key] = { key, steps, ts, values };
  }
  const status = pick(STATUSES);
  const endedAt = createdAt + EPOCHS * 30_000 + 5000;
  const metrics = Object.fromEntries(
    Object.values(curves).map((c) => {
      const vs = Array.from(c.values);
      return [c.key, { last: vs[EPOCHS - 1], lastStep: EPOCHS - 1, min: Math.min(...vs), max: Math.max(...vs), count: EPOCHS }];
    }),
  );
  const record = runRecord(
    { id: runId(createdAt, i), createdAt, project: pick(PROJECTS), name: `run-${i}`, status, dev: rand() < 0.1, endedAt, heartbeatAt: endedAt, host: 'bench-host' },
    { params, metrics, check: i < 1000 },
  );
  const tags = rand() < 0.2 ? { stage: pick(['baseline', 'candidate', 'candidate', 'prod']), owner: pick(['alice', 'bob', 'carol']) } : undefined;
  return { record, batches: Object.values(curves), tags };
}
