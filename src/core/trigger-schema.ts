/**
 * @module core/trigger-schema
 * What started a run, as the manifest records it (core/trigger says what each kind holds
 * and how it reads).
 */
import { z } from 'zod';
import { GIT_PROVIDERS } from './trigger.js';

const by = z.string();

const personTrigger = z.object({ kind: z.enum(['run', 'submit']), by });
const sweepTrigger = z.object({ kind: z.literal('sweep'), by, sweep: z.string() });
const reproductionTrigger = z.object({ kind: z.literal('reproduction'), by, of: z.string() });

/** The container image a merge built (when the project configures `image:`), or why it could not. */
export const triggerImageSchema = z.object({
  ref: z.string(),
  digest: z.string().nullable(),
  engine: z.string().nullable(),
  /** Null when it was built; the reason otherwise (the run is queued all the same). */
  error: z.string().nullable(),
});
export type TriggerImage = z.infer<typeof triggerImageSchema>;

const mergeTrigger = z.object({
  kind: z.literal('merge'),
  /** Who pushed (the host's sender login, or the account that ran the hook). */
  by,
  provider: z.enum(GIT_PROVIDERS),
  /** The repository as linked (a URL without credentials, or a path). */
  repository: z.string(),
  branch: z.string(),
  commit: z.string(),
  /** The branch's commit before the push; null for a new branch. */
  before: z.string().nullable(),
  author: z.object({ name: z.string(), email: z.string().nullable() }),
  message: z.string(),
  /** The host's delivery id; null for a hook in a repository. */
  delivery: z.string().nullable(),
  /** The commit's page on the host, when the host gave one. */
  url: z.string().nullable(),
  image: triggerImageSchema.nullable(),
});

const ciTrigger = z.object({
  kind: z.literal('ci'),
  by,
  /** The CI system, as recognized from its environment (`github-actions`, `gitlab-ci`, …, else `ci`). */
  system: z.string(),
  /** The job's page, when the CI system says where it is. */
  url: z.string().nullable(),
  /** The branch or ref the job ran for. */
  ref: z.string().nullable(),
  /** The pull or merge request it checks, when there is one. */
  pullRequest: z.string().nullable(),
});

/**
 * A run opened by a client through the MLflow-compatible API (`mlflow.start_run()` outside
 * `reprise run`): no pipeline, code or environment was recorded, only what the client said.
 */
const clientTrigger = z.object({
  kind: z.literal('mlflow'),
  /** The client's user (its `mlflow.user` tag), else `unknown`. */
  by,
  /** The script or notebook it ran from (`mlflow.source.name`), when given. */
  source: z.string().nullable(),
  /** The commit the client found its script in (`mlflow.source.git.commit`), when given. */
  commit: z.string().nullable(),
});

/** A run made by `reprise import-tb` from a TensorBoard run's event files: values only, no pipeline. */
const tensorboardTrigger = z.object({
  kind: z.literal('tensorboard'),
  by,
  /** The log directory imported, as an absolute path on the importing machine. */
  logdir: z.string(),
  /** The TensorBoard run: its directory relative to `logdir` (`.` for the top). */
  run: z.string(),
});

export const triggerSchema = z.discriminatedUnion('kind', [personTrigger, sweepTrigger, reproductionTrigger, mergeTrigger, ciTrigger, clientTrigger, tensorboardTrigger]);
export type Trigger = z.infer<typeof triggerSchema>;
export type MergeTrigger = z.infer<typeof mergeTrigger>;
export type CiTrigger = z.infer<typeof ciTrigger>;
export type TriggerKind = Trigger['kind'];
