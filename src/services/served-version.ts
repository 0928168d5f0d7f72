/**
 * @module services/served-version
 * A model version made ready to answer predictions, the way it was trained: its files
 * fetched (each checked against its hash), and, when its recorded `reprise.yaml` has
 * `serve.cmd`, the run's recorded code laid out (commit + patch) and its environment
 * rebuilt from the recorded lock, so production runs what training ran. A version with an
 * `.onnx` file and no serve command is run in this process instead, no Python needed.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { RepriseError } from '../core/errors.js';
import type { ModelVersion } from '../core/model-store.js';
import type { Params } from '../core/params.js';
import type { RunRecord } from '../core/run.js';
import type { RunManifest } from '../core/run-manifest.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { CapturedCode, CodeSource } from '../ports/code-source.js';
import type { EnvironmentProvider } from '../ports/environment-provider.js';
import type { HostProbe } from '../ports/host-probe.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { ModelSpec } from '../ports/model-runtime.js';
import { provideEnvironment } from './environment-plan.js';
import type { ModelService } from './model-service.js';
import { layOutRecordedCode, recordedEnvironmentOf, restoreRecordedCode } from './recorded-code.js';
import { environmentFor, interpreterFor } from './reproduction-plan.js';
import { prepareWorkspace, runFolders, stageEnvironment, type RunFolders } from './run-workspace.js';
import { DEFAULT_SERVE_TIMEOUT_MS, serveRules } from './run-manifest-draft.js';

export interface VersionPreparerDeps {
  readonly store: MetadataStore;
  readonly blobs: BlobStore;
  readonly models: ModelService;
  readonly host: HostProbe;
  readonly environments: EnvironmentProvider;
  readonly codeSources: { readonly git: CodeSource; readonly folder: CodeSource };
  /** Where each served version gets a folder of its own (removed when it stops). */
  readonly servingDir: string;
  readonly sdkPythonPath: string;
  readonly env: NodeJS.ProcessEnv;
  /** Where the run's repository may be (the recorded commit is looked for there first). */
  readonly near: string;
}

export interface PreparedVersion {
  readonly version: ModelVersion;
  readonly spec: ModelSpec;
  /** Removes the version's folder. */
  cleanup(): Promise<void>;
}

export interface PrepareOptions {
  /** Overrides `serve.workers`. */
  readonly workers?: number;
  readonly onNotice?: (message: string) => void;
  readonly onLog?: (worker: number, line: string) => void;
}

type ServeRules = NonNullable<RunManifest['pipeline']['serve']>;

export class VersionPreparer {
  constructor(private readonly d: VersionPreparerDeps) {}

  async prepare(version: ModelVersion, o: PrepareOptions = {}): Promise<PreparedVersion> {
    const run = await this.d.store.getRun(version.runId);
    if (!run) throw refused(version, `its run ${version.runId} is no longer in the store`);
    const name = `${version.model}-v${version.version}-${randomBytes(4).toString('hex')}`;
    const root = join(this.d.servingDir, name);
    const cleanup = () => rm(root, { recursive: true, force: true });
    try {
      const modelDir = join(root, 'served-model');
      await this.d.models.fetch(version.model, { version: version.version }, modelDir);
      // Runs since serving keep `serve:` in their manifest; older ones have it read from their code.
      let serve = run.manifest.pipeline.serve;
      let spec: ModelSpec;
      if (serve !== null && run.manifest.code) {
        const captured = await restoreRecordedCode(this.d, run, this.d.near, 'served from its code');
        const config = (await layOutRecordedCode(captured, run, join(root, 'workspace'))).config;
        serve ??= serveRules(config.serve);
        const folders = runFolders(this.d.servingDir, name, run.manifest.code.subdir, config);
        spec = serve ? await this.#jsonLines(run, version, serve, folders, captured, modelDir, o) : this.#onnx(version, modelDir, run);
      } else {
        spec = this.#onnx(version, modelDir, run);
      }
      return { version, spec, cleanup };
    } catch (e) {
      await cleanup();
      throw e;
    }
  }

  async #jsonLines(
    run: RunRecord,
    version: ModelVersion,
    serve: ServeRules,
    folders: RunFolders,
    captured: CapturedCode,
    modelDir: string,
    o: PrepareOptions,
  ): Promise<ModelSpec> {
    const facts = recordedEnvironmentOf(run, 'served in its environment');
    const python = await interpreterFor(this.d, facts, folders.project, { ...(o.onNotice ? { notice: o.onNotice } : {}) });
    const plan = await environmentFor(this.d, run.manifest, facts, python, await this.d.host.facts());
    // The code is laid out already; this adds the params file, the `python` shims and the rest.
    await prepareWorkspace(folders, captured, run.manifest.params.values as Params, plan?.python ?? python, true);
    const venv = plan && plan.kind === 'venv' ? (await provideEnvironment(this.d.environments, plan, { projectDir: folders.project, lockCopy: join(folders.root, 'lock.txt'), ...(o.onNotice ? { onNotice: o.onNotice } : {}) })).path : null;
    const env = stageEnvironment(this.d.env, {
      runId: run.id,
      project: run.project,
      stage: 'serve',
      seed: run.manifest.pipeline.seed,
      folders,
      sdkPythonPath: this.d.sdkPythonPath,
      venv,
      extra: undefined,
    });
    env.REPRISE_MODEL_DIR = modelDir;
    env.REPRISE_MODEL_NAME = version.model;
    env.REPRISE_MODEL_VERSION = String(version.version);
    return {
      kind: 'json-lines',
      cmd: serve.cmd,
      cwd: folders.project,
      env,
      workers: o.workers ?? serve.workers,
      timeoutMs: serve.timeoutMs,
      startTimeoutMs: serve.startTimeoutMs,
      ...(o.onLog ? { onLog: o.onLog } : {}),
    };
  }

  #onnx(version: ModelVersion, modelDir: string, run: RunRecord): ModelSpec {
    const onnx = version.files.map((f) => f.path).filter((p) => p.toLowerCase().endsWith('.onnx'));
    const file = onnx.find((p) => basename(p) === 'model.onnx') ?? onnx[0];
    if (file === undefined) {
      const why = !run.manifest.code ? 'its run recorded no code (so no serve.cmd), and its files hold no .onnx model' : 'its recorded reprise.yaml has no serve.cmd, and its files hold no .onnx model';
      throw refused(version, why, 'add `serve: { cmd: python serve.py }` to reprise.yaml (a command answering JSON lines) and promote a new run, or save the model as model.onnx');
    }
    return { kind: 'onnx', file: join(modelDir, file), timeoutMs: DEFAULT_SERVE_TIMEOUT_MS };
  }
}

export function refused(version: Pick<ModelVersion, 'model' | 'version'>, why: string, hint?: string): RepriseError {
  return new RepriseError('REPRISE_ERR_SERVE_REFUSED', `${version.model} version ${version.version} cannot be served: ${why}`, {
    ...(hint ? { hint } : {}),
    details: { model: version.model, version: version.version },
  });
}
