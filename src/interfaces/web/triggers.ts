/**
 * What started a run, in the words and links the UI adds around core/trigger's.
 */
import type { GitProvider } from '../../core/trigger.js';

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

/** The runs filter (docs/search.md) that keeps the runs merges started. */
export const MERGE_RUNS_FILTER = 'trigger = "merge"';

/** A link target from a host's event, when it is a web page: anything else (`javascript:`, a path) is shown as text, never followed. */
export function webHref(url: string | null | undefined): string | undefined {
  return url && /^https?:\/\/[^\s]+$/i.test(url) ? url : undefined;
}
