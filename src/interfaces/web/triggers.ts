/**
 * What started a run, in the words and links the UI adds around core/trigger's.
 */
import type { GitProvider, Trigger } from '../../core/trigger.js';

export { describeTrigger, firstLine, triggerOf } from '../../core/trigger.js';
export type { CiTrigger, GitProvider, MergeTrigger, Trigger, TriggerImage, TriggerKind } from '../../core/trigger.js';

/** Where a merge's push came from, as a reader names it. */
export const PROVIDER_LABELS: Readonly<Record<GitProvider, string>> = {
  github: 'GitHub',
  gitlab: 'GitLab',
  gitea: 'Gitea',
  git: 'repository hook',
};

/** The first 12 hex digits: as `git log --abbrev=12` shows a commit. */
export function shortCommit(commit: string): string {
  return commit.slice(0, 12);
}

/** A run the MLflow client opened (outside `reprise run`): it recorded no code or environment. */
export type MlflowTrigger = Extract<Trigger, { kind: 'mlflow' }>;

/** A run `reprise import-tb` made from TensorBoard event files: values only. */
export type TensorboardTrigger = Extract<Trigger, { kind: 'tensorboard' }>;

/**
 * What the UI says in place of the code or environment a run did not record, so the gap
 * reads as a fact of the run rather than as something that failed to load. Plain text,
 * for tooltips; run-trigger's NotRecorded says it in a page's text.
 */
export function notRecordedText(m: { readonly trigger?: Trigger | undefined }): string {
  if (m.trigger?.kind === 'mlflow') return 'not recorded: logged through the MLflow client, outside reprise run';
  if (m.trigger?.kind === 'tensorboard') return 'not recorded: imported from TensorBoard event files';
  return 'not recorded';
}

/** The runs filter (docs/search.md) that keeps the runs merges started. */
export const MERGE_RUNS_FILTER = 'trigger = "merge"';

/** A link target from a host's event, when it is a web page: anything else (`javascript:`, a path) is shown as text, never followed. */
export function webHref(url: string | null | undefined): string | undefined {
  return url && /^https?:\/\/[^\s]+$/i.test(url) ? url : undefined;
}
