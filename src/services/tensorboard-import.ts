/**
 * @module services/tensorboard-import
 * `reprise import-tb LOGDIR`: every TensorBoard run under a log directory (a directory
 * holding event files) becomes a finished Reprise run with no pipeline: its scalars,
 * histograms, text and hparams as metrics, histogram series, notes and params, its times
 * those of its first and last values. A run imported before (same directory, same log
 * folder) is skipped, so importing again brings in only what is new.
 */
import { stat } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { RepriseError } from '../core/errors.js';
import type { FilterExpr } from '../core/run-filter.js';
import type { RunRecord } from '../core/run.js';
import type { RunStatus } from '../core/run-manifest.js';
import { isEventFileName } from '../core/tfevents/event-encoder.js';
import { EventHarvest } from '../core/tfevents/event-harvest.js';
import { walkFiles } from '../platform/walk-files.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { pipelinelessRun } from './client-runs.js';
import { EventLogReader, type EventReadReport } from './event-log-reader.js';
import type { GateService } from './gate-service.js';
import { storeHarvest } from './tensorboard-tailer.js';

/** Tags an imported run carries: where its files were, so a second import skips it. */
export const TB_LOGDIR_TAG = 'tensorboard.logdir';
export const TB_RUN_TAG = 'tensorboard.run';
const MAX_NAME = 100;

export interface TbImportRequest {
  /** Absolute path of the log directory. */
  readonly logdir: string;
  readonly project: string;
  readonly by: string;
  /** Import runs imported before once more (as new runs). */
  readonly again?: boolean;
  readonly onRun?: (r: TbImportedRun) => void;
}

export interface TbImportedRun {
  /** The TensorBoard run: its directory relative to the log directory, `.` for the top. */
  readonly tbRun: string;
  readonly id: string;
  readonly name: string;
  readonly status: RunStatus;
  readonly scalars: number;
  readonly histograms: number;
  readonly notes: number;
  readonly params: number;
  readonly read: EventReadReport;
}

export interface TbImportResult {
  readonly logdir: string;
  readonly project: string;
  readonly imported: TbImportedRun[];
  /** Runs imported before, by the run that holds them. */
  readonly skipped: { readonly tbRun: string; readonly id: string; readonly name: string }[];
}

export class TensorboardImport {
  constructor(private readonly d: { readonly store: MetadataStore; readonly gates: GateService }) {}

  async import(req: TbImportRequest): Promise<TbImportResult> {
    const tbRuns = await findTbRuns(req.logdir);
    const imported: TbImportedRun[] = [];
    const skipped: TbImportResult['skipped'] = [];
    for (const tbRun of tbRuns) {
      const earlier = req.again ? undefined : await this.#importedBefore(req, tbRun);
      if (earlier) {
        skipped.push({ tbRun, id: earlier.id, name: earlier.name });
        continue;
      }
      const r = await this.#importOne(req, tbRun);
      imported.push(r);
      req.onRun?.(r);
    }
    return { logdir: req.logdir, project: req.project, imported, skipped };
  }

  /** The run an earlier import made of this directory; one deleted since is imported again. */
  async #importedBefore(req: TbImportRequest, tbRun: string): Promise<RunRecord | undefined> {
    const tag = (key: string, value: string): FilterExpr => ({ kind: 'cmp', field: { kind: 'tag', key }, op: '=', value });
    const page = await this.d.store.listRuns({
      project: req.project,
      filter: { kind: 'and', items: [tag(TB_LOGDIR_TAG, req.logdir), tag(TB_RUN_TAG, tbRun)] },
      limit: 1,
    });
    return page.runs[0];
  }

  async #importOne(req: TbImportRequest, tbRun: string): Promise<TbImportedRun> {
    // Rooted at the TensorBoard run, so its tags are keys as they are (no directory prefix).
    const reader = new EventLogReader(join(req.logdir, tbRun), { runs: ['.'] });
    const harvest = new EventHarvest();
    await reader.read(harvest, true);
    const h = harvest.take();
    const startedAt = h.firstTs ?? Date.now();
    const name = (tbRun === '.' ? basename(req.logdir) : tbRun).slice(0, MAX_NAME);
    const run = pipelinelessRun({ project: req.project, name, trigger: { kind: 'tensorboard', by: req.by, logdir: req.logdir, run: tbRun }, startedAt });
    const read = reader.report();
    await this.d.store.createRun(run);
    await this.d.store.setTags(run.id, { [TB_LOGDIR_TAG]: req.logdir, [TB_RUN_TAG]: tbRun });
    await storeHarvest(this.d.store, run.id, h);
    // TensorBoard knows a run failed only from an hparams session's end.
    const status: RunStatus = h.sessionEnd?.status === 'failure' ? 'failed' : 'succeeded';
    const endedAt = Math.max(h.lastTs ?? startedAt, h.sessionEnd?.ts ?? startedAt);
    const manifest = {
      ...run.manifest,
      status,
      execution: { ...run.manifest.execution, endedAt },
      outputs: { ...run.manifest.outputs, tensorboard: read },
      failure: status === 'failed' ? { stage: null, exitCode: null, message: 'the TensorBoard hparams session ended as a failure', stderrTail: [] } : null,
    };
    await this.d.store.updateRun(run.id, { status, endedAt, heartbeatAt: Date.now(), manifest });
    if (status === 'succeeded') await this.d.gates.evaluate({ ...run, status, endedAt, manifest }, req.logdir);
    return {
      tbRun,
      id: run.id,
      name,
      status,
      scalars: h.metrics.reduce((n, m) => n + m.steps.length, 0),
      histograms: h.histograms.reduce((n, b) => n + b.points.length, 0),
      notes: h.notes.length,
      params: Object.keys(h.params).length,
      read,
    };
  }
}

/** The TensorBoard runs under a log directory: every directory holding event files, in path order. */
export async function findTbRuns(logdir: string): Promise<string[]> {
  const info = await stat(logdir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${logdir}: ${info ? 'not a directory' : 'no such directory'}; give the log directory TensorBoard reads (its --logdir)`, { details: { path: logdir } });
  }
  const dirs = new Set<string>();
  for await (const f of walkFiles(logdir)) {
    if (f.stats.isFile() && isEventFileName(posix.basename(f.rel))) dirs.add(posix.dirname(f.rel));
  }
  if (dirs.size === 0) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${logdir}: no TensorBoard event files (files whose name contains "tfevents") in it or below it`, { details: { path: logdir } });
  }
  return [...dirs].sort();
}
