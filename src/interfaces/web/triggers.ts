/**
 * What started a run, in words: core/trigger's triggerOf, describeTrigger and firstLine,
 * repeated so the bundle stays free of zod (core/trigger builds its schemas when loaded);
 * a test keeps the two in step. Also the words and links the UI adds around them.
 */
import type { CiTrigger, GitProvider, MergeTrigger, Trigger, TriggerImage, TriggerKind } from '../../core/trigger.js';
import type { RunManifest } from './api.js';

export type { CiTrigger, GitProvider, MergeTrigger, Trigger, TriggerImage, TriggerKind };

/** The trigger a manifest recorded, or the one its other fields imply (runs older than triggers). */
export function triggerOf(m: Pick<RunManifest, 'trigger' | 'run' | 'submission' | 'environment'>): Trigger {
  if (m.trigger) return m.trigger;
  if (m.run.reproduces) return { kind: 'reproduction', by: m.environment.user, of: m.run.reproduces };
  const s = m.submission;
  if (s?.sweep) return { kind: 'sweep', by: s.by, sweep: s.sweep.name };
  if (s) return { kind: 'submit', by: s.by };
  return { kind: 'run', by: m.environment.user };
}

/** One line saying what started a run (the runs table's hover text). */
export function describeTrigger(t: Trigger): string {
  switch (t.kind) {
    case 'run':
      return `reprise run by ${t.by}`;
    case 'submit':
      return `reprise submit by ${t.by}`;
    case 'sweep':
      return `sweep ${t.sweep} by ${t.by}`;
    case 'reproduction':
      return `reproduction of ${t.of} by ${t.by}`;
    case 'merge':
      return `merge to ${t.branch} (${t.commit.slice(0, 12)} "${firstLine(t.message)}" by ${t.author.name}), pushed by ${t.by} via ${t.provider === 'git' ? 'a repository hook' : t.provider}`;
    case 'ci':
      return `CI (${t.system}${t.ref ? ` on ${t.ref}` : ''}${t.pullRequest ? `, pull request ${t.pullRequest}` : ''}) by ${t.by}`;
  }
}

/** A commit message's first line, cut to fit one line of a table or header. */
export function firstLine(text: string): string {
  const line = text.split('\n', 1)[0]!.trim();
  return line.length > 72 ? `${line.slice(0, 71)}…` : line;
}

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

/**
 * A repository URL with any password or token in it hidden (`https://***@host/…`,
 * `ssh://git:***@host/…`): a link's URL may carry credentials for fetching, and a screen
 * is no place for them.
 */
export function redactUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(url);
  if (!m) return url;
  const authority = m[2]!;
  const at = authority.lastIndexOf('@');
  if (at < 0) return url;
  const userInfo = authority.slice(0, at);
  const colon = userInfo.indexOf(':');
  let shown: string;
  if (colon >= 0) shown = `${userInfo.slice(0, colon)}:***`;
  else if (/^https?$/i.test(m[1]!)) shown = '***';
  else return url;
  const start = m[1]!.length + 3;
  return `${url.slice(0, start)}${shown}${url.slice(start + at)}`;
}

/** A link target from a host's event, when it is a web page: anything else (`javascript:`, a path) is shown as text, never followed. */
export function webHref(url: string | null | undefined): string | undefined {
  return url && /^https?:\/\/[^\s]+$/i.test(url) ? url : undefined;
}
