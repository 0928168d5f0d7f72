/**
 * @module adapters/metadata-store/postgres/postgres-metrics
 * Metric series, histograms and notes over PostgreSQL. A series is stored as chunks of
 * METRIC_CHUNK_POINTS points (three float64 columns each, as SQLite keeps them), small
 * live appends filling the last chunk; its summary (last, min, max, count) is kept on
 * every append. PostgreSQL lets writers run at once, so an append holds its run's
 * advisory lock for its transaction: the last chunk, the summary and a writer's seq are
 * read and rewritten by one append at a time. Each function takes the transaction (or the
 * store's connection) to run in.
 */
import { sql, type Kysely } from 'kysely';
import { downsample, MinMaxSampler } from '../../../core/downsample.js';
import { samplePoints, type HistogramBatch, type HistogramPoint, type HistogramSeriesInfo } from '../../../core/histogram.js';
import { emptyColumns, isSorted, sortColumns, type MetricBatch, type MetricColumns } from '../../../core/metric-series.js';
import { foldPoint, mergeSummaries, type SummaryState } from '../../../core/metric-summary.js';
import type { RunNote } from '../../../core/run-note.js';
import type { MetricSummary } from '../../../core/run-manifest.js';
import type { HistorySample, MetricWriter } from '../../../ports/metadata-store.js';
import { runNotFound } from '../store-errors.js';
import { bucketBytes, concatColumns, decodeChunks, decodeSummary, encodeChunk, histogramFromRow, nanAsNull, nullAsNaN, sliceColumns } from '../sqlite/sqlite-encoding.js';
import { METRIC_CHUNK_POINTS, type PostgresTables } from './postgres-schema.js';

type Db = Kysely<PostgresTables>;

/** The first key of a run's advisory lock (the second is the run id's hash): Reprise's own space. */
const RUN_LOCK = 0x52554e53;
/** Rows per multi-row insert: far below PostgreSQL's 65,535 bound parameters. */
const INSERT_ROWS = 500;
/** Chunks whose points a sampled history reads per query: few round trips, never the whole series in memory. */
const CHUNKS_PER_READ = 64;

/** Inside a transaction: waits until no other transaction appends to the run, then holds it off until this one ends. */
export async function lockRun(tx: Db, runId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(${RUN_LOCK}::int4, hashtext(${runId}))`.execute(tx);
}

/**
 * Inside a transaction: takes the run's lock (see lockRun), then records the writer's seq,
 * in one statement (the row inserted is made after the lock is held); false when the seq
 * had been applied already (a resend).
 */
export async function lockRunForWriter(tx: Db, runId: string, writer: MetricWriter): Promise<boolean> {
  const { rows } = await sql<{ seq: number }>`
    insert into metric_writers (run_id, writer, seq)
    select ${runId}::text, ${writer.id}::text, ${writer.seq}::bigint from (select pg_advisory_xact_lock(${RUN_LOCK}::int4, hashtext(${runId}))) l
    on conflict (run_id, writer) do update set seq = excluded.seq where metric_writers.seq < excluded.seq
    returning seq`.execute(tx);
  return rows.length > 0;
}

interface SeriesState {
  readonly key: string;
  readonly id: number | null;
  /** The last chunk; its points only when it has room left. */
  readonly tail_seq: number | null;
  readonly tail_n: number | null;
  readonly steps: Buffer | null;
  readonly ts: Buffer | null;
  readonly vals: Buffer | null;
  readonly last: number | null;
  readonly last_step: number | null;
  readonly last_ts: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly count: number | null;
}

/** Inside a transaction holding the run's lock: appends the batches' points and folds them into the summaries. */
export async function appendBatches(tx: Db, runId: string, batches: readonly MetricBatch[]): Promise<void> {
  const byKey = new Map<string, MetricBatch[]>();
  for (const b of batches) if (b.steps.length > 0) byKey.set(b.key, [...(byKey.get(b.key) ?? []), b]);
  if (byKey.size === 0) return;
  const keys = [...byKey.keys()];
  // Each key's series, last chunk and summary in one read.
  const { rows } = await sql<SeriesState>`
    select k.key, ms.id, c.seq as tail_seq, c.n as tail_n,
      case when c.n < ${METRIC_CHUNK_POINTS} then c.steps end as steps,
      case when c.n < ${METRIC_CHUNK_POINTS} then c.ts end as ts,
      case when c.n < ${METRIC_CHUNK_POINTS} then c.vals end as vals,
      s.last, s.last_step, s.last_ts, s.min, s.max, s.count
    from unnest(${keys}::text[]) as k(key)
    left join metric_series ms on ms.run_id = ${runId} and ms.key = k.key
    left join lateral (select seq, n, steps, ts, vals from metric_chunks where series_id = ms.id order by seq desc limit 1) c on true
    left join metric_summaries s on s.run_id = ${runId} and s.key = k.key`.execute(tx);
  const missing = rows.filter((r) => r.id === null).map((r) => r.key);
  const ids = new Map(rows.filter((r) => r.id !== null).map((r) => [r.key, r.id!]));
  if (missing.length > 0) {
    const made = await sql<{ id: number; key: string }>`
      insert into metric_series (run_id, key) select ${runId}, k from unnest(${missing}::text[]) as k returning id, key`.execute(tx);
    for (const r of made.rows) ids.set(r.key, r.id);
  }
  const chunks: PostgresTables['metric_chunks'][] = [];
  const tails: PostgresTables['metric_chunks'][] = [];
  const summaries: { run_id: string; key: string; last: number | null; last_step: number; last_ts: number; min: number | null; max: number | null; count: number }[] = [];
  for (const state of rows) {
    const seriesId = ids.get(state.key)!;
    let points = byKey.get(state.key)!.reduce((all, b) => (all === undefined ? (b as MetricColumns) : concatColumns(all, b)), undefined as MetricColumns | undefined)!;
    let seq = state.tail_seq === null ? 0 : state.tail_seq + 1;
    const total = points.steps.length;
    if (state.tail_seq !== null && state.tail_n !== null && state.steps !== null && state.tail_n < METRIC_CHUNK_POINTS) {
      // Small live appends fill the last chunk instead of making many tiny ones.
      const fill = Math.min(METRIC_CHUNK_POINTS - state.tail_n, total);
      const merged = concatColumns(decodeChunks([{ n: state.tail_n, steps: state.steps, ts: state.ts!, vals: state.vals! }], state.tail_n), sliceColumns(points, 0, fill));
      const enc = encodeChunk(merged);
      tails.push({ series_id: seriesId, seq: state.tail_seq, n: merged.steps.length, min_step: enc.minStep, max_step: enc.maxStep, summary: enc.summary, steps: enc.steps, ts: enc.ts, vals: enc.vals });
      points = sliceColumns(points, fill, total);
    }
    for (let from = 0; from < points.steps.length; from += METRIC_CHUNK_POINTS, seq++) {
      const part = sliceColumns(points, from, Math.min(from + METRIC_CHUNK_POINTS, points.steps.length));
      const enc = encodeChunk(part);
      chunks.push({ series_id: seriesId, seq, n: part.steps.length, min_step: enc.minStep, max_step: enc.maxStep, summary: enc.summary, steps: enc.steps, ts: enc.ts, vals: enc.vals });
    }
    let fold: SummaryState | undefined;
    for (const b of byKey.get(state.key)!) {
      for (let i = 0; i < b.steps.length; i++) fold = foldPoint(fold, { step: b.steps[i]!, ts: b.ts[i]!, value: b.values[i]! });
    }
    const prev: SummaryState | undefined =
      state.count === null
        ? undefined
        : { last: nullAsNaN(state.last), lastStep: state.last_step!, lastTs: state.last_ts!, min: nullAsNaN(state.min), max: nullAsNaN(state.max), count: state.count };
    const m = mergeSummaries(prev, fold!);
    summaries.push({ run_id: runId, key: state.key, last: nanAsNull(m.last), last_step: m.lastStep, last_ts: m.lastTs, min: nanAsNull(m.min), max: nanAsNull(m.max), count: m.count });
  }
  if (tails.length > 0) {
    // Every key's last chunk rewritten in one statement.
    const col = <K extends keyof PostgresTables['metric_chunks']>(k: K) => tails.map((t) => t[k]);
    await sql`
      update metric_chunks c set n = v.n, min_step = v.min_step, max_step = v.max_step, summary = v.summary, steps = v.steps, ts = v.ts, vals = v.vals
      from unnest(${col('series_id')}::bigint[], ${col('seq')}::int[], ${col('n')}::int[], ${col('min_step')}::float8[], ${col('max_step')}::float8[],
        ${col('summary')}::bytea[], ${col('steps')}::bytea[], ${col('ts')}::bytea[], ${col('vals')}::bytea[])
        as v(series_id, seq, n, min_step, max_step, summary, steps, ts, vals)
      where c.series_id = v.series_id and c.seq = v.seq`.execute(tx);
  }
  for (let i = 0; i < chunks.length; i += INSERT_ROWS) await tx.insertInto('metric_chunks').values(chunks.slice(i, i + INSERT_ROWS)).execute();
  await tx
    .insertInto('metric_summaries')
    .values(summaries)
    .onConflict((oc) =>
      oc.columns(['run_id', 'key']).doUpdateSet((eb) => ({
        last: eb.ref('excluded.last'),
        last_step: eb.ref('excluded.last_step'),
        last_ts: eb.ref('excluded.last_ts'),
        min: eb.ref('excluded.min'),
        max: eb.ref('excluded.max'),
        count: eb.ref('excluded.count'),
      })),
    )
    .execute();
}

/** One key's series ordered by step, then time, then arrival. */
export async function metricSeries(db: Db, runId: string, key: string): Promise<MetricColumns> {
  const chunks = await db
    .selectFrom('metric_chunks as c')
    .innerJoin('metric_series as s', 's.id', 'c.series_id')
    .select(['c.n', 'c.steps', 'c.ts', 'c.vals'])
    .where('s.run_id', '=', runId)
    .where('s.key', '=', key)
    .orderBy('c.seq')
    .execute();
  if (chunks.length === 0) return emptyColumns();
  return sortColumns(decodeChunks(chunks, chunks.reduce((t, c) => t + c.n, 0)));
}

/**
 * One key's history cut to `maxPoints`. Chunks in step order (the usual case: steps only
 * grow) are sampled one by one, and a chunk inside one bucket by its summary alone, its
 * points never read; the points of the others are read a few chunks at a time. Otherwise
 * the series is read whole and sorted first.
 */
export async function metricHistory(db: Db, runId: string, key: string, sample: HistorySample): Promise<{ total: number; points: MetricColumns }> {
  const series = await db.selectFrom('metric_series').select('id').where('run_id', '=', runId).where('key', '=', key).executeTakeFirst();
  if (!series) return { total: 0, points: emptyColumns() };
  const chunks = await db.selectFrom('metric_chunks').select(['seq', 'n', 'min_step', 'max_step', 'summary']).where('series_id', '=', series.id).orderBy('seq').execute();
  const total = chunks.reduce((t, c) => t + c.n, 0);
  const ordered = chunks.every((c, i) => i === 0 || c.min_step > chunks[i - 1]!.max_step);
  const sampler =
    (sample.method ?? 'minmax') === 'minmax' && total > sample.maxPoints && ordered && chunks.length > 0
      ? MinMaxSampler.create(chunks[0]!.min_step, chunks[chunks.length - 1]!.max_step, total, sample.maxPoints)
      : undefined;
  if (sampler) {
    // Which chunks cross into another bucket than the one before ended in, and so are read
    // point by point: fetched ahead, CHUNKS_PER_READ at a time, none of the others.
    const bucketOf = bucketMap(chunks[0]!.min_step, chunks[chunks.length - 1]!.max_step, sample.maxPoints);
    const needed = chunks.filter((c, i) => i === 0 || bucketOf(c.max_step) !== bucketOf(chunks[i - 1]!.max_step)).map((c) => c.seq);
    const read = new Map<number, MetricColumns>();
    const fetch = async (seqs: readonly number[]) => {
      const rows = await db
        .selectFrom('metric_chunks')
        .select(['seq', 'n', 'steps', 'ts', 'vals'])
        .where('series_id', '=', series.id)
        .where('seq', '=', sql<number>`any(${[...seqs]}::int[])`)
        .execute();
      for (const r of rows) read.set(r.seq, decodeChunks([r], r.n));
    };
    let next = 0;
    let inOrder = true;
    for (const c of chunks) {
      if (sampler.fitsOneBucket(c.min_step, c.max_step)) {
        sampler.addSummary(c.n, decodeSummary(c.summary));
        read.delete(c.seq);
        continue;
      }
      if (!read.has(c.seq)) {
        while (next < needed.length && needed[next]! < c.seq) next++;
        // Rounding at a bucket's edge may ask for a chunk the plan did not: read alone.
        const batch = needed[next] === c.seq ? needed.slice(next, next + CHUNKS_PER_READ) : [c.seq];
        if (needed[next] === c.seq) next += batch.length;
        await fetch(batch);
      }
      const piece = read.get(c.seq)!;
      read.delete(c.seq);
      if (!isSorted(piece)) {
        inOrder = false;
        break;
      }
      sampler.add(piece);
    }
    if (inOrder) return { total, points: sampler.finish() };
  }
  return { total, points: downsample(await metricSeries(db, runId, key), sample.maxPoints, sample.method) };
}

/**
 * The bucket of a step in a minmax sample of `maxPoints` over steps `first` to `last`, as
 * core/downsample's MinMaxSampler lays buckets out: enough to plan which chunks cross an
 * edge (the sampler itself decides; a plan off by rounding only costs a read).
 */
function bucketMap(first: number, last: number, maxPoints: number): (step: number) => number {
  const buckets = Math.max(1, Math.floor((Math.max(2, Math.floor(maxPoints)) - 2) / 2));
  const span = last - first;
  const scale = span > 0 && Number.isFinite(span) ? buckets / span : 0;
  return (step) => (scale > 0 ? Math.min(buckets - 1, Math.max(0, Math.floor((step - first) * scale))) : 0);
}

/** Per run, per key: the kept summaries. */
export async function metricSummaries(db: Db, runIds: readonly string[]): Promise<Map<string, Record<string, MetricSummary>>> {
  const out = new Map<string, Record<string, MetricSummary>>();
  if (runIds.length === 0) return out;
  const rows = await db
    .selectFrom('metric_summaries')
    .selectAll()
    .where('run_id', '=', sql<string>`any(${[...runIds]}::text[])`)
    .orderBy('key')
    .execute();
  for (const r of rows) {
    const rec = out.get(r.run_id) ?? {};
    rec[r.key] = { last: nullAsNaN(r.last), lastStep: r.last_step, lastTs: r.last_ts, min: nullAsNaN(r.min), max: nullAsNaN(r.max), count: r.count };
    out.set(r.run_id, rec);
  }
  return out;
}

/** Inside a transaction: throws REPRISE_ERR_RUN_NOT_FOUND unless the run exists. */
export async function requireRun(tx: Db, runId: string): Promise<void> {
  if (!(await tx.selectFrom('runs').select('id').where('id', '=', runId).executeTakeFirst())) throw runNotFound(runId);
}

/** Inside a transaction: inserts histogram points in arrival order. */
export async function insertHistograms(tx: Db, runId: string, batches: readonly HistogramBatch[]): Promise<void> {
  const rows = batches.flatMap((b) =>
    b.points.map((p) => ({
      run_id: runId,
      key: b.key,
      step: p.step,
      ts: p.ts,
      // PostgreSQL keeps NaN and ±Infinity: NULL says only that the writer gave no stats.
      min: p.stats?.min ?? null,
      max: p.stats?.max ?? null,
      count: p.stats?.count ?? null,
      sum: p.stats?.sum ?? null,
      sum_squares: p.stats?.sumSquares ?? null,
      buckets: bucketBytes(p.buckets),
    })),
  );
  for (let i = 0; i < rows.length; i += INSERT_ROWS) await tx.insertInto('histograms').values(rows.slice(i, i + INSERT_ROWS)).execute();
}

export async function histogramKeys(db: Db, runId: string): Promise<HistogramSeriesInfo[]> {
  const { rows } = await sql<{ key: string; n: number; first_step: number; last_step: number; last_ts: number }>`
    select h.key, count(*) as n, min(h.step) as first_step, max(h.step) as last_step,
      (select l.ts from histograms l where l.run_id = ${runId} and l.key = h.key order by l.step desc, l.ts desc, l.seq desc limit 1) as last_ts
    from histograms h where h.run_id = ${runId} group by h.key order by h.key`.execute(db);
  return rows.map((r) => ({ key: r.key, count: r.n, firstStep: r.first_step, lastStep: r.last_step, lastTs: r.last_ts }));
}

const HISTOGRAM_COLUMNS = ['seq', 'step', 'ts', 'min', 'max', 'count', 'sum', 'sum_squares', 'buckets'] as const;

/**
 * Inside a read transaction (the count and the rows see one series): a key's points, or
 * a sample of them. A sample takes the series' order from the index alone, then reads
 * the chosen rows only: a long series of wide histograms is never read whole.
 */
export async function histogramSeries(tx: Db, runId: string, key: string, maxPoints: number | undefined): Promise<{ total: number; points: HistogramPoint[] }> {
  const all = async () =>
    (
      await tx.selectFrom('histograms').select([...HISTOGRAM_COLUMNS]).where('run_id', '=', runId).where('key', '=', key).orderBy('step').orderBy('ts').orderBy('seq').execute()
    ).map(histogramFromRow);
  if (maxPoints === undefined) {
    const points = await all();
    return { total: points.length, points };
  }
  const order = (await tx.selectFrom('histograms').select('seq').where('run_id', '=', runId).where('key', '=', key).orderBy('step').orderBy('ts').orderBy('seq').execute()).map((r) => r.seq);
  if (order.length <= maxPoints) return { total: order.length, points: await all() };
  const chosen = samplePoints(order, maxPoints);
  const rows = await tx.selectFrom('histograms').select([...HISTOGRAM_COLUMNS]).where('seq', '=', sql<number>`any(${chosen}::bigint[])`).execute();
  const bySeq = new Map(rows.map((r) => [r.seq, r]));
  return { total: order.length, points: chosen.map((seq) => histogramFromRow(bySeq.get(seq)!)) };
}

/** Inside a transaction: inserts notes in arrival order. */
export async function insertNotes(tx: Db, runId: string, notes: readonly RunNote[]): Promise<void> {
  const rows = notes.map((n) => ({ run_id: runId, key: n.key, step: n.step, ts: n.ts, text: n.text }));
  for (let i = 0; i < rows.length; i += INSERT_ROWS) await tx.insertInto('run_notes').values(rows.slice(i, i + INSERT_ROWS)).execute();
}

export async function runNotes(db: Db, runId: string, key?: string): Promise<RunNote[]> {
  let q = db.selectFrom('run_notes').select(['key', 'step', 'ts', 'text']).where('run_id', '=', runId);
  if (key !== undefined) q = q.where('key', '=', key);
  return q.orderBy('key').orderBy('step').orderBy('seq').execute();
}
