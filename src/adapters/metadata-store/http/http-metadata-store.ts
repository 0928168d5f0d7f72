/**
 * The metadata store of a Reprise server, reached through its API (remote mode). Reads
 * are requests. The writes a running run makes all the time (status and manifest,
 * heartbeats, metric points, the artifact list) go through the outbox: they return at
 * once and reach the server in order, even across a server restart. Every read waits
 * for the outbox first, so a process always reads its own writes.
 */
import { randomBytes } from 'node:crypto';
import { decodeNumber, type JsonNumber } from '../../../core/json-number.js';
import { columnsFromJson, batchesToJson } from '../../../core/metric-wire.js';
import { histogramToJson, samplePoints, type HistogramBatch, type HistogramJson, type HistogramPoint, type HistogramSeriesInfo } from '../../../core/histogram.js';
import type { RunNote } from '../../../core/run-note.js';
import { emptyColumns, type MetricBatch, type MetricColumns } from '../../../core/metric-series.js';
import type { ParamValue } from '../../../core/params.js';
import type { RunPatch, RunRecord } from '../../../core/run.js';
import { formatFilter, formatField } from '../../../core/run-filter.js';
import type { Artifact, MetricSummary, RunStatus } from '../../../core/run-manifest.js';
import { isRepriseError, RepriseError } from '../../../core/errors.js';
import type { HookDelivery, RepositoryLink } from '../../../core/repository-link.js';
import type { Verification } from '../../../core/verification.js';
import type { ModelAuditEntry, ModelVersion, RegisteredModel, RunModelVersion, VersionRef } from '../../../core/model-store.js';
import type { RetentionMark } from '../../../core/retention.js';
import type { ProjectPatch, ProjectRecord } from '../../../core/project-record.js';
import type { LoggedModelRecord, RunInputs } from '../../../core/client-records.js';
import type { CancelRequest, QueueClaim, RunBeat, SweepRecord, SweepSummary, WorkerRegistration, WorkerRecord } from '../../../core/queue.js';
import type {
  AliasChange,
  AliasMove,
  DataRead,
  HistorySample,
  ImageRecord,
  ImportedRun,
  MetadataStore,
  MetricWriter,
  NewModelVersion,
  ProjectSummary,
  RunKeys,
  RunPage,
  RunQuery,
  TimelineEntry,
} from '../../../ports/metadata-store.js';
import { qs, type ApiClient } from '../../api-client/api-client.js';
import type { Outbox } from '../../api-client/outbox.js';

type SummaryJson = { last: JsonNumber; lastStep: number; lastTs?: number; min: JsonNumber; max: JsonNumber; count: number };

/** The record part of a run as the API returns it (it adds metrics and tags). */
function recordOf(j: RunRecord & { metrics?: unknown; tags?: unknown }): RunRecord {
  const { metrics: _m, tags: _t, ...record } = j;
  return record;
}

function summaryOf(s: SummaryJson): MetricSummary {
  return { last: decodeNumber(s.last), lastStep: s.lastStep, ...(s.lastTs !== undefined ? { lastTs: s.lastTs } : {}), min: decodeNumber(s.min), max: decodeNumber(s.max), count: s.count };
}

/** The conditions of a query as the search routes take them. */
function searchParams(query: RunQuery) {
  return {
    project: query.project,
    status: query.statuses?.join(','),
    dev: query.dev,
    filter: query.filter ? formatFilter(query.filter) : undefined,
  };
}

export class HttpMetadataStore implements MetadataStore {
  readonly capabilities = { concurrentWriters: true } as const;
  readonly #api: ApiClient;
  readonly #outbox: Outbox;
  /** This process's metric appends, numbered so the server skips a resend. */
  readonly #writer = randomBytes(8).toString('hex');
  #seq = 0;
  /** Runs this process created: their updates are queued; others' are asked directly. */
  readonly #own = new Set<string>();

  constructor(opts: { api: ApiClient; outbox: Outbox }) {
    this.#api = opts.api;
    this.#outbox = opts.outbox;
  }

  async init(): Promise<void> {
    await this.#api.json({ method: 'GET', path: '/health' });
  }

  async createRun(run: RunRecord): Promise<void> {
    await this.#outbox.flush();
    await this.#api.request({ method: 'POST', path: '/runs', json: run });
    this.#own.add(run.id);
  }

  /** An answer for a run the server does not know, instead of the error. */
  async #orIfUnknown<T>(p: Promise<T>, fallback: T): Promise<T> {
    try {
      return await p;
    } catch (e) {
      if (isRepriseError(e) && e.code === 'REPRISE_ERR_RUN_NOT_FOUND') return fallback;
      throw e;
    }
  }

  async updateRun(id: string, patch: RunPatch, onlyIf?: readonly RunStatus[]): Promise<boolean> {
    if (!onlyIf && this.#own.has(id)) {
      this.#outbox.enqueue({ method: 'PATCH', path: `/runs/${id}`, json: patch });
      return true;
    }
    await this.#outbox.flush();
    const req = this.#api.json<{ updated: boolean }>({ method: 'PATCH', path: `/runs/${id}`, json: onlyIf ? { ...patch, ifStatus: onlyIf } : patch });
    return (await this.#orIfUnknown(req, { updated: false })).updated;
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    await this.#outbox.flush();
    const res = await this.#api.request({ method: 'GET', path: `/runs/${id}`, accept: [404] });
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    return recordOf(((await res.json()) as { run: RunRecord }).run);
  }

  async findRuns(ref: string, limit: number): Promise<RunRecord[]> {
    await this.#outbox.flush();
    const res = await this.#api.json<{ runs: RunRecord[] }>({ method: 'GET', path: `/runs${qs({ ref, limit })}` });
    return res.runs.map(recordOf);
  }

  async listRuns(query: RunQuery): Promise<RunPage> {
    refuseServerOnlyQuery(query);
    await this.#outbox.flush();
    const res = await this.#api.json<{ runs: RunRecord[]; nextCursor: string | null }>({
      method: 'GET',
      path: `/runs${qs({
        ...searchParams(query),
        order: query.order ? `${formatField(query.order.field)} ${query.order.direction}` : undefined,
        limit: query.limit ?? 100,
        cursor: query.cursor,
      })}`,
    });
    return { runs: res.runs.map(recordOf), nextCursor: res.nextCursor };
  }

  async countRuns(query: RunQuery): Promise<number> {
    refuseServerOnlyQuery(query);
    await this.#outbox.flush();
    const res = await this.#api.json<{ count: number }>({ method: 'GET', path: `/runs/count${qs(searchParams(query))}` });
    return res.count;
  }

  async listProjects(): Promise<ProjectSummary[]> {
    await this.#outbox.flush();
    return (await this.#api.json<{ projects: ProjectSummary[] }>({ method: 'GET', path: '/projects' })).projects;
  }

  async runKeys(project?: string): Promise<RunKeys> {
    await this.#outbox.flush();
    return this.#api.json<RunKeys>({ method: 'GET', path: `/run-keys${qs({ project })}` });
  }

  async runTimeline(project: string): Promise<TimelineEntry[]> {
    await this.#outbox.flush();
    return (await this.#api.json<{ runs: TimelineEntry[] }>({ method: 'GET', path: `/projects/${encodeURIComponent(project)}/timeline` })).runs;
  }

  async appendMetrics(runId: string, batches: readonly MetricBatch[], writer?: MetricWriter): Promise<boolean> {
    if (!writer) {
      // This process's own stream: numbered here, so the outbox may resend it safely.
      this.#outbox.enqueue({ method: 'POST', path: `/runs/${runId}/metrics`, json: { ...batchesToJson(batches), writer: { id: this.#writer, seq: ++this.#seq } } });
      return true;
    }
    await this.#outbox.flush();
    const res = await this.#api.json<{ duplicate: boolean }>({ method: 'POST', path: `/runs/${runId}/metrics`, json: { ...batchesToJson(batches), writer } });
    return !res.duplicate;
  }

  async metricSeries(runId: string, key: string): Promise<MetricColumns> {
    await this.#outbox.flush();
    try {
      const res = await this.#api.json<{ steps: number[]; ts: number[]; values: JsonNumber[] }>({ method: 'GET', path: `/runs/${runId}/history${qs({ key, full: true })}` });
      return columnsFromJson(res);
    } catch (e) {
      if (isRepriseError(e) && (e.code === 'REPRISE_ERR_METRIC_NOT_FOUND' || e.code === 'REPRISE_ERR_RUN_NOT_FOUND')) return emptyColumns();
      throw e;
    }
  }

  async metricHistory(runId: string, key: string, sample: HistorySample): Promise<{ total: number; points: MetricColumns }> {
    await this.#outbox.flush();
    try {
      const res = await this.#api.json<{ total: number; steps: number[]; ts: number[]; values: JsonNumber[] }>({
        method: 'GET',
        path: `/runs/${runId}/history${qs({ key, points: Math.max(2, Math.floor(sample.maxPoints)), method: sample.method })}`,
      });
      return { total: res.total, points: columnsFromJson(res) };
    } catch (e) {
      if (isRepriseError(e) && (e.code === 'REPRISE_ERR_METRIC_NOT_FOUND' || e.code === 'REPRISE_ERR_RUN_NOT_FOUND')) return { total: 0, points: emptyColumns() };
      throw e;
    }
  }

  // Histogram points and notes are sent at once, not through the outbox: they carry no
  // writer and seq, so a resend after a lost answer would store them twice.

  async appendHistograms(runId: string, batches: readonly HistogramBatch[]): Promise<void> {
    await this.#outbox.flush();
    await this.#api.request({ method: 'POST', path: `/runs/${runId}/histograms`, json: histogramsToJson(batches) });
  }

  async histogramKeys(runId: string): Promise<HistogramSeriesInfo[]> {
    await this.#outbox.flush();
    const req = this.#api.json<{ histograms: HistogramSeriesInfo[] }>({ method: 'GET', path: `/runs/${runId}/histograms` });
    return (await this.#orIfUnknown(req, { histograms: [] })).histograms;
  }

  async histogramSeries(runId: string, key: string, opts?: { readonly maxPoints?: number }): Promise<{ total: number; points: HistogramPoint[] }> {
    await this.#outbox.flush();
    const max = opts?.maxPoints === undefined ? undefined : Math.max(0, Math.floor(opts.maxPoints));
    // The route samples up to HISTOGRAM_POINTS_MAX; beyond that the whole series is read and sampled here.
    const sampled = max !== undefined && max <= HISTOGRAM_POINTS_MAX;
    try {
      const res = await this.#api.json<{ total: number; points: HistogramJson[] }>({
        method: 'GET',
        path: `/runs/${runId}/histograms/history${qs(sampled ? { key, points: Math.max(1, max) } : { key, full: true })}`,
      });
      const points = res.points.map(histogramFromJson);
      return { total: res.total, points: max === undefined || sampled ? points : samplePoints(points, max) };
    } catch (e) {
      if (isRepriseError(e) && (e.code === 'REPRISE_ERR_METRIC_NOT_FOUND' || e.code === 'REPRISE_ERR_RUN_NOT_FOUND')) return { total: 0, points: [] };
      throw e;
    }
  }

  async appendNotes(runId: string, notes: readonly RunNote[]): Promise<void> {
    await this.#outbox.flush();
    await this.#api.request({ method: 'POST', path: `/runs/${runId}/notes`, json: { notes } });
  }

  async runNotes(runId: string, query?: { readonly key?: string }): Promise<RunNote[]> {
    await this.#outbox.flush();
    const req = this.#api.json<{ notes: RunNote[] }>({ method: 'GET', path: `/runs/${runId}/notes${qs({ key: query?.key })}` });
    return (await this.#orIfUnknown(req, { notes: [] })).notes;
  }

  async logParams(runId: string, params: Readonly<Record<string, ParamValue>>): Promise<void> {
    await this.#outbox.flush();
    await this.#api.request({ method: 'POST', path: `/runs/${runId}/params`, json: { params } });
  }

  async runParams(runId: string): Promise<Record<string, ParamValue>> {
    await this.#outbox.flush();
    const req = this.#api.json<{ params: Record<string, ParamValue> }>({ method: 'GET', path: `/runs/${runId}/params` });
    return (await this.#orIfUnknown(req, { params: {} })).params;
  }

  async paramsOf(runIds: readonly string[]): Promise<Map<string, Record<string, ParamValue>>> {
    const out = new Map<string, Record<string, ParamValue>>();
    if (runIds.length === 0) return out;
    await this.#outbox.flush();
    for (let i = 0; i < runIds.length; i += 10_000) {
      const res = await this.#api.json<{ params: Record<string, Record<string, ParamValue>> }>({ method: 'POST', path: '/run-params', json: { runIds: runIds.slice(i, i + 10_000) } });
      for (const [id, params] of Object.entries(res.params)) out.set(id, params);
    }
    return out;
  }

  async setTags(runId: string, tags: Readonly<Record<string, string>>): Promise<void> {
    await this.#outbox.flush();
    await this.#api.request({ method: 'PUT', path: `/runs/${runId}/tags`, json: { tags } });
  }

  async deleteTag(runId: string, key: string): Promise<boolean> {
    await this.#outbox.flush();
    const req = this.#api.json<{ deleted: boolean }>({ method: 'DELETE', path: `/runs/${runId}/tags/${encodeURIComponent(key)}` });
    return (await this.#orIfUnknown(req, { deleted: false })).deleted;
  }

  async tagsOf(runIds: readonly string[]): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>();
    if (runIds.length === 0) return out;
    await this.#outbox.flush();
    for (let i = 0; i < runIds.length; i += 10_000) {
      const res = await this.#api.json<{ tags: Record<string, Record<string, string>> }>({ method: 'POST', path: '/run-tags', json: { runIds: runIds.slice(i, i + 10_000) } });
      for (const [id, tags] of Object.entries(res.tags)) out.set(id, tags);
    }
    return out;
  }

  async metricSummaries(runIds: readonly string[]): Promise<Map<string, Record<string, MetricSummary>>> {
    const out = new Map<string, Record<string, MetricSummary>>();
    if (runIds.length === 0) return out;
    await this.#outbox.flush();
    for (let i = 0; i < runIds.length; i += 10_000) {
      const res = await this.#api.json<{ summaries: Record<string, Record<string, SummaryJson>> }>({
        method: 'POST',
        path: '/metric-summaries',
        json: { runIds: runIds.slice(i, i + 10_000) },
      });
      for (const [id, keys] of Object.entries(res.summaries)) {
        out.set(id, Object.fromEntries(Object.entries(keys).map(([k, s]) => [k, summaryOf(s)])));
      }
    }
    return out;
  }

  async setArtifacts(runId: string, artifacts: readonly Artifact[]): Promise<void> {
    if (this.#own.has(runId)) {
      this.#outbox.enqueue({ method: 'PUT', path: `/runs/${runId}/artifacts`, json: { artifacts } });
      return;
    }
    await this.#outbox.flush();
    await this.#api.request({ method: 'PUT', path: `/runs/${runId}/artifacts`, json: { artifacts } });
  }

  async listArtifacts(runId: string): Promise<Artifact[]> {
    await this.#outbox.flush();
    const req = this.#api.json<{ artifacts: Artifact[] }>({ method: 'GET', path: `/runs/${runId}/artifacts` });
    return (await this.#orIfUnknown(req, { artifacts: [] })).artifacts;
  }

  async importRun(imported: ImportedRun): Promise<boolean> {
    await this.#outbox.flush();
    const { run, params, tags, artifacts, metrics, histograms, notes } = imported;
    const res = await this.#api.json<{ imported: boolean }>({
      method: 'POST',
      path: '/runs/import',
      json: {
        run,
        params,
        tags,
        artifacts,
        metrics: batchesToJson(metrics),
        // Left out when there are none, so a server older than them still takes the run.
        ...(histograms && histograms.length > 0 ? histogramsToJson(histograms) : {}),
        ...(notes && notes.length > 0 ? { notes } : {}),
      },
    });
    return res.imported;
  }

  async saveVerification(v: Verification): Promise<void> {
    await this.#outbox.flush();
    await this.#api.request({ method: 'POST', path: '/verifications', json: v });
  }

  async verificationsOf(runIds: readonly string[]): Promise<Map<string, Verification[]>> {
    const out = new Map<string, Verification[]>();
    if (runIds.length === 0) return out;
    await this.#outbox.flush();
    for (let i = 0; i < runIds.length; i += 10_000) {
      const res = await this.#api.json<{ verifications: Record<string, Verification[]> }>({ method: 'POST', path: '/run-verifications', json: { runIds: runIds.slice(i, i + 10_000) } });
      for (const [id, list] of Object.entries(res.verifications)) out.set(id, list);
    }
    return out;
  }

  async createModelVersion(v: NewModelVersion): Promise<{ version: ModelVersion; alias: AliasMove | null }> {
    await this.#outbox.flush();
    if (v.alias === null || v.path !== undefined) throw serverOnly('registering a version without an alias or from another folder (the MLflow API)');
    const alias = v.alias;
    // The server stamps the time: the audit log has one clock.
    const res = await this.#api.json<{ version: ModelVersion; aliasFrom: number | null }>({
      method: 'POST',
      path: `/models/${encodeURIComponent(v.model)}/versions`,
      json: { runId: v.runId, alias: v.alias, ...(v.note !== null ? { note: v.note } : {}), by: v.by, ...(v.forced ? { forced: true } : {}) },
    });
    return { version: res.version, alias: { alias, from: res.aliasFrom, to: res.version.version } };
  }

  async listModels(): Promise<RegisteredModel[]> {
    return (await this.#api.json<{ models: RegisteredModel[] }>({ method: 'GET', path: '/models' })).models;
  }

  async modelVersions(model: string): Promise<{ model: RegisteredModel; versions: ModelVersion[] } | undefined> {
    const res = await this.#api.request({ method: 'GET', path: `/models/${encodeURIComponent(model)}`, accept: [404] });
    if (res.status === 404) return undefined;
    return (await res.json()) as { model: RegisteredModel; versions: ModelVersion[] };
  }

  async getModelVersion(model: string, ref: VersionRef): Promise<ModelVersion | undefined> {
    const key = 'version' in ref ? String(ref.version) : ref.alias;
    const res = await this.#api.request({ method: 'GET', path: `/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(key)}`, accept: [404] });
    if (res.status === 404) return undefined;
    return ((await res.json()) as { version: ModelVersion }).version;
  }

  async moveAlias(change: AliasChange): Promise<AliasMove> {
    return this.#api.json<AliasMove>({
      method: 'PUT',
      path: `/models/${encodeURIComponent(change.model)}/aliases/${encodeURIComponent(change.alias)}`,
      json: { version: change.version, ...(change.note !== null ? { note: change.note } : {}), by: change.by },
    });
  }

  async modelAudit(query: { model?: string; limit?: number }): Promise<ModelAuditEntry[]> {
    return (await this.#api.json<{ entries: ModelAuditEntry[] }>({ method: 'GET', path: `/model-audit${qs(query)}` })).entries;
  }

  async modelVersionsOfRuns(runIds: readonly string[]): Promise<Map<string, RunModelVersion[]>> {
    const out = new Map<string, RunModelVersion[]>();
    for (let i = 0; i < runIds.length; i += 10_000) {
      const res = await this.#api.json<{ versions: Record<string, RunModelVersion[]> }>({ method: 'POST', path: '/run-model-versions', json: { runIds: runIds.slice(i, i + 10_000) } });
      for (const [id, list] of Object.entries(res.versions)) out.set(id, list);
    }
    return out;
  }

  async setRetention(runId: string, mark: RetentionMark): Promise<void> {
    await this.#outbox.flush();
    // The server stamps the time and decides `manual` from the state.
    const { state, until, reason, by } = mark;
    await this.#api.request({ method: 'PUT', path: `/runs/${runId}/retention`, json: { state, until, reason, ...(by !== null ? { by } : {}) } });
  }

  async retentionMarks(runIds: readonly string[]): Promise<Map<string, RetentionMark>> {
    const out = new Map<string, RetentionMark>();
    if (runIds.length === 0) return out;
    await this.#outbox.flush();
    for (let i = 0; i < runIds.length; i += 10_000) {
      const res = await this.#api.json<{ retention: Record<string, RetentionMark> }>({ method: 'POST', path: '/run-retention', json: { runIds: runIds.slice(i, i + 10_000) } });
      for (const [id, m] of Object.entries(res.retention)) out.set(id, m);
    }
    return out;
  }

  async saveImage(image: ImageRecord): Promise<void> {
    await this.#api.request({ method: 'POST', path: '/images', json: image });
  }

  async listImages(project?: string): Promise<ImageRecord[]> {
    return (await this.#api.json<{ images: ImageRecord[] }>({ method: 'GET', path: `/images${qs({ project })}` })).images;
  }

  async submitRuns(runs: readonly RunRecord[], sweep?: SweepRecord, delivery?: HookDelivery): Promise<void> {
    await this.#outbox.flush();
    await this.#api.request({ method: 'POST', path: '/queue/runs', json: { runs, ...(sweep ? { sweep } : {}), ...(delivery ? { delivery } : {}) }, timeoutMs: 600_000 });
  }

  async saveRepositoryLink(link: RepositoryLink, secret: string): Promise<void> {
    await this.#api.request({
      method: 'PUT',
      path: `/projects/${encodeURIComponent(link.project)}/repository-link`,
      json: { url: link.url, branch: link.branch, queue: link.queue, path: link.path, secret, by: link.createdBy, createdAt: link.createdAt, updatedAt: link.updatedAt },
    });
  }

  async repositoryLinks(project?: string): Promise<RepositoryLink[]> {
    return (await this.#api.json<{ links: RepositoryLink[] }>({ method: 'GET', path: `/repository-links${qs({ project })}` })).links;
  }

  async repositoryLinkSecret(project: string): Promise<string | undefined> {
    throw new RepriseError('REPRISE_ERR_REPO_LINK_INVALID', `the secret of project ${project}'s link stays on the server: it is never sent back`, { details: { project } });
  }

  async deleteRepositoryLink(project: string): Promise<boolean> {
    try {
      await this.#api.request({ method: 'DELETE', path: `/projects/${encodeURIComponent(project)}/repository-link` });
      return true;
    } catch (e) {
      if (isRepriseError(e) && e.code === 'REPRISE_ERR_HOOK_NOT_LINKED') return false;
      throw e;
    }
  }

  async hookDelivery(provider: string, id: string, project: string): Promise<HookDelivery | undefined> {
    return (await this.#api.json<{ delivery: HookDelivery | null }>({ method: 'GET', path: `/hooks/deliveries${qs({ provider, id, project })}` })).delivery ?? undefined;
  }

  async claimRun(claim: QueueClaim): Promise<RunRecord | undefined> {
    // The server dates the claim; a long poll gets time beyond its wait to answer.
    const { now: _now, ...body } = claim;
    const res = await this.#api.json<{ run: RunRecord | null }>({ method: 'POST', path: '/queue/claim', json: body, timeoutMs: (claim.waitMs ?? 0) + 60_000 });
    if (!res.run) return undefined;
    // Its reports are this process's own from now on: queued, not awaited.
    this.#own.add(res.run.id);
    return recordOf(res.run);
  }

  async heartbeat(beat: { readonly at: number; readonly runIds: readonly string[]; readonly worker?: string }): Promise<Record<string, RunBeat>> {
    // Not behind the outbox: a backlog of log pieces must not make a live run look dead.
    const res = await this.#api.json<{ runs: Record<string, RunBeat> }>({
      method: 'POST',
      path: '/heartbeats',
      json: { runIds: beat.runIds, ...(beat.worker !== undefined ? { worker: beat.worker } : {}) },
      timeoutMs: 30_000,
    });
    return res.runs;
  }

  async requestCancel(runId: string, request: CancelRequest): Promise<boolean> {
    await this.#outbox.flush();
    const req = this.#api.json<{ requested: boolean }>({ method: 'POST', path: `/runs/${runId}/cancel-request`, json: request });
    return (await this.#orIfUnknown(req, { requested: false })).requested;
  }

  async runHolder(runId: string): Promise<{ readonly status: RunStatus; readonly worker: string | null } | undefined> {
    await this.#outbox.flush();
    return this.#orIfUnknown(this.#api.json<{ status: RunStatus; worker: string | null }>({ method: 'GET', path: `/runs/${runId}/holder` }), undefined);
  }

  async settleLostRun(id: string, patch: RunPatch, retry: RunRecord | null): Promise<boolean> {
    await this.#outbox.flush();
    const req = this.#api.json<{ settled: boolean }>({ method: 'POST', path: `/runs/${id}/settle-lost`, json: { patch, retry } });
    return (await this.#orIfUnknown(req, { settled: false })).settled;
  }

  async registerWorker(worker: WorkerRegistration): Promise<void> {
    await this.#api.request({ method: 'POST', path: '/workers', json: worker });
  }

  async stopWorker(id: string, _at: number): Promise<void> {
    await this.#outbox.flush();
    await this.#api.request({ method: 'POST', path: `/workers/${id}/stop`, json: {} });
  }

  async listWorkers(since: number): Promise<WorkerRecord[]> {
    const res = await this.#api.json<{ workers: (WorkerRecord & { state?: string })[] }>({ method: 'GET', path: `/workers${qs({ since })}` });
    return res.workers.map(({ state: _s, ...w }) => w);
  }

  async listSweeps(query: { readonly project?: string; readonly limit?: number }): Promise<SweepSummary[]> {
    await this.#outbox.flush();
    return (await this.#api.json<{ sweeps: SweepSummary[] }>({ method: 'GET', path: `/sweeps${qs({ project: query.project, limit: query.limit })}` })).sweeps;
  }

  async listDataReads(query: { readonly source: string; readonly table: string; readonly limit?: number }): Promise<DataRead[]> {
    await this.#outbox.flush();
    return (await this.#api.json<{ reads: DataRead[] }>({ method: 'GET', path: `/data/reads${qs({ source: query.source, table: query.table, limit: query.limit })}` })).reads;
  }

  async findSweeps(ref: string, limit: number): Promise<SweepSummary[]> {
    await this.#outbox.flush();
    return (await this.#api.json<{ sweeps: SweepSummary[] }>({ method: 'GET', path: `/sweeps${qs({ ref, limit })}` })).sweeps;
  }

  async projectRecord(ref: { readonly id: number } | { readonly name: string }): Promise<ProjectRecord | undefined> {
    if ('id' in ref) return (await this.projectRecords()).find((p) => p.id === ref.id);
    await this.#outbox.flush();
    const res = await this.#api.request({ method: 'GET', path: `/projects/${encodeURIComponent(ref.name)}/record`, accept: [404] });
    if (res.status === 404) return undefined;
    return ((await res.json()) as { project: ProjectRecord }).project;
  }

  async projectRecords(): Promise<ProjectRecord[]> {
    await this.#outbox.flush();
    return (await this.#api.json<{ projects: ProjectRecord[] }>({ method: 'GET', path: '/project-records' })).projects;
  }

  async updateProject(name: string, patch: ProjectPatch): Promise<ProjectRecord> {
    const { at: _at, registerFrom, ...rest } = patch;
    if (registerFrom === undefined || Object.keys(rest).length > 0) throw serverOnly('changing a project other than its model policy');
    const res = await this.#api.json<{ project: ProjectRecord }>({
      method: 'PUT',
      path: `/projects/${encodeURIComponent(name)}/model-policy`,
      json: { registerFrom },
    });
    return res.project;
  }

  // What only the MLflow-compatible API writes, in the server's own process.
  createProject(): Promise<ProjectRecord> {
    return Promise.reject(serverOnly('creating a project (an MLflow experiment)'));
  }
  setRunDeleted(): Promise<boolean> {
    return Promise.reject(serverOnly('deleting a run'));
  }
  renameRun(): Promise<boolean> {
    return Promise.reject(serverOnly('renaming a run'));
  }
  addArtifacts(): Promise<void> {
    return Promise.reject(serverOnly('adding artifacts one by one'));
  }
  removeArtifacts(): Promise<number> {
    return Promise.reject(serverOnly('removing artifacts'));
  }
  addRunInputs(): Promise<void> {
    return Promise.reject(serverOnly("recording a run's datasets"));
  }
  runInputs(): Promise<Map<string, RunInputs>> {
    return Promise.reject(serverOnly("reading a run's datasets"));
  }
  saveLoggedModel(): Promise<LoggedModelRecord> {
    return Promise.reject(serverOnly('recording a logged model'));
  }
  loggedModel(): Promise<LoggedModelRecord | undefined> {
    return Promise.reject(serverOnly('reading a logged model'));
  }
  loggedModels(): Promise<LoggedModelRecord[]> {
    return Promise.reject(serverOnly('reading logged models'));
  }
  deleteLoggedModel(): Promise<boolean> {
    return Promise.reject(serverOnly('deleting a logged model'));
  }
  createModel(): Promise<RegisteredModel> {
    return Promise.reject(serverOnly('creating an empty registered model'));
  }
  updateModel(): Promise<RegisteredModel> {
    return Promise.reject(serverOnly("changing a registered model's description or tags"));
  }
  updateModelVersion(): Promise<ModelVersion> {
    return Promise.reject(serverOnly("changing a version's description or tags"));
  }
  removeAlias(): Promise<boolean> {
    return Promise.reject(serverOnly('removing an alias'));
  }
  deleteModel(): Promise<void> {
    return Promise.reject(serverOnly('deleting a model or a version'));
  }
  allModelVersions(): Promise<ModelVersion[]> {
    return Promise.reject(serverOnly('listing every model version'));
  }

  async countRunsByEnvironment(): Promise<Map<string, number>> {
    const res = await this.#api.json<{ runs: Record<string, number> }>({ method: 'GET', path: '/environments/usage' });
    return new Map(Object.entries(res.runs));
  }

  async close(): Promise<void> {
    await this.#outbox.close();
  }
}

/** The most points the history route samples to (its `points` cap). */
const HISTOGRAM_POINTS_MAX = 10_000;

/** Batches as the body of POST /runs/{id}/histograms: every point with its key and time. */
function histogramsToJson(batches: readonly HistogramBatch[]): { histograms: (HistogramJson & { key: string })[] } {
  return { histograms: batches.flatMap((b) => b.points.map((p) => ({ key: b.key, ...histogramToJson(p) }))) };
}

function histogramFromJson(j: HistogramJson): HistogramPoint {
  const buckets = new Float64Array(j.buckets.length * 3);
  j.buckets.forEach((row, i) => buckets.set(row, i * 3));
  return { step: j.step, ts: j.ts, buckets, stats: j.stats };
}

/** What this adapter does not carry: those writes come only through the server's MLflow-compatible API. */
function serverOnly(what: string): RepriseError {
  return new RepriseError('REPRISE_ERR_ARG_INVALID', `${what} happens on the server, through its MLflow-compatible API; a client's store does not do it`, {
    details: { field: 'store' },
  });
}

/** Several projects, and deleted runs, are searched on the server alone (its MLflow API); the native routes do not carry them. */
function refuseServerOnlyQuery(query: RunQuery): void {
  if (query.projects !== undefined || (query.deleted !== undefined && query.deleted !== 'exclude')) throw serverOnly('searching several projects, or deleted runs,');
}
