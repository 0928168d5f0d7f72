/**
 * @module services/recorded-code
 * The code a run recorded, found again and laid out, and the reprise.yaml it held: what
 * a reproduction, a queued run on a worker and a late gate check read a run's settings
 * from, never the checkout as it is now. A run that recorded none (logged through the MLflow
 * client) is refused here, in the same words wherever its code or environment is needed.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RepriseError } from '../core/errors.js';
import { CONFIG_FILE, parseProjectConfig, type ProjectConfig } from '../core/project-config.js';
import type { RunRecord } from '../core/run.js';
import type { CodeVersion, EnvironmentFacts } from '../core/run-manifest.js';
import { triggerOf } from '../core/trigger.js';
import type { CapturedCode } from '../ports/code-source.js';
import type { RunServiceDeps } from './run-service.js';
import { layOutCode } from './run-workspace.js';

type CodeDeps = Pick<RunServiceDeps, 'codeSources' | 'blobs'>;

/**
 * The refusal for a run that recorded no code or environment (one a client opened through
 * the MLflow API), worded once for every command that needs them. `consequence` completes
 * "so it cannot be …": `reproduced`, `built into an image`, ….
 */
export function nothingRecorded(run: RunRecord, consequence: string): RepriseError {
  const kind = triggerOf(run.manifest).kind;
  const why =
    kind === 'mlflow'
      ? 'was logged through the MLflow client outside `reprise run`: no code or environment was recorded'
      : kind === 'tensorboard'
        ? 'was imported from TensorBoard event files: no code or environment was recorded'
        : 'has no recorded code or environment';
  return new RepriseError('REPRISE_ERR_RUN_STATE_CONFLICT', `run ${run.name} (${run.id}) ${why}, so it cannot be ${consequence}`, {
    hint: 'a run started with `reprise run` (its stages may call mlflow as they like) records both',
    details: { run: run.id, trigger: kind },
  });
}

/** The code `run` recorded, or the refusal of nothingRecorded. */
export function recordedCodeOf(run: RunRecord, consequence: string): CodeVersion {
  const code = run.manifest.code;
  if (!code) throw nothingRecorded(run, consequence);
  return code;
}

/** The environment `run` recorded, or the refusal of nothingRecorded. */
export function recordedEnvironmentOf(run: RunRecord, consequence: string): EnvironmentFacts {
  const env = run.manifest.environment;
  if (!env) throw nothingRecorded(run, consequence);
  return env;
}

/** The recorded version, found again (see CodeSource.restore). `consequence`: see nothingRecorded. */
export async function restoreRecordedCode(d: CodeDeps, run: RunRecord, near: string, consequence = 'laid out again from its code'): Promise<CapturedCode> {
  const code = recordedCodeOf(run, consequence);
  const source = code.kind === 'git' ? d.codeSources.git : d.codeSources.folder;
  return source.restore(code, { near, blobs: d.blobs });
}

/** Lays the recorded code out in `workspace` and reads its reprise.yaml; the project folder inside it too. */
export async function layOutRecordedCode(
  captured: CapturedCode,
  run: RunRecord,
  workspace: string,
): Promise<{ config: ProjectConfig; projectDir: string }> {
  await layOutCode(workspace, captured);
  const subdir = recordedCodeOf(run, 'laid out again from its code').subdir;
  const projectDir = subdir ? join(workspace, subdir) : workspace;
  return { config: await readRecordedConfig(projectDir, run), projectDir };
}

/**
 * The reprise.yaml of the code a run recorded, read from that code laid out in a scratch
 * folder under `tmpDir`: for runs whose manifest predates a setting (their gates).
 */
export async function recordedConfig(d: CodeDeps, run: RunRecord, near: string, tmpDir: string): Promise<ProjectConfig> {
  const captured = await restoreRecordedCode(d, run, near, 'judged by the gates of its reprise.yaml');
  await mkdir(tmpDir, { recursive: true });
  const scratch = await mkdtemp(join(tmpDir, 'code-'));
  try {
    return (await layOutRecordedCode(captured, run, join(scratch, 'workspace'))).config;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function readRecordedConfig(projectDir: string, run: RunRecord): Promise<ProjectConfig> {
  const path = join(projectDir, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new RepriseError('REPRISE_ERR_CONFIG_NOT_FOUND', `the code run ${run.name} recorded has no ${CONFIG_FILE} in its project folder`, { details: { run: run.id } });
  }
  return parseProjectConfig(text, `${CONFIG_FILE} of run ${run.name}`);
}
