/**
 * @module core/trigger
 * What started a run: a person (`reprise run` in a terminal, `reprise submit`), a sweep,
 * a merge (a push to a project's linked branch, from a git host's webhook or a hook in a
 * repository), a reproduction of another run, or a CI job (`reprise ci`). Recorded in the
 * manifest when the run is made and never changed; a retry keeps its run's trigger.
 * Free of zod (its schema is in trigger-schema.ts), so the web UI uses it as it is.
 */
import type { Trigger } from './trigger-schema.js';

/** Where a push came from: a git host's webhook, or `reprise hooks install` in a repository (`git`). */
export const GIT_PROVIDERS = ['github', 'gitlab', 'gitea', 'git'] as const;
export type GitProvider = (typeof GIT_PROVIDERS)[number];

export type { CiTrigger, MergeTrigger, Trigger, TriggerImage, TriggerKind } from './trigger-schema.js';
export const TRIGGER_KINDS = ['run', 'submit', 'sweep', 'merge', 'reproduction', 'ci', 'mlflow'] as const;

/** The trigger a manifest recorded, or the one its other fields imply (runs older than triggers). */
export function triggerOf(m: {
  readonly trigger?: Trigger | undefined;
  readonly run: { readonly reproduces?: string | undefined };
  readonly submission?: { readonly by: string; readonly sweep: { readonly name: string } | null } | undefined;
  readonly environment: { readonly user: string } | null;
}): Trigger {
  if (m.trigger) return m.trigger;
  const user = m.environment?.user ?? 'unknown';
  if (m.run.reproduces) return { kind: 'reproduction', by: user, of: m.run.reproduces };
  const s = m.submission;
  if (s?.sweep) return { kind: 'sweep', by: s.by, sweep: s.sweep.name };
  if (s) return { kind: 'submit', by: s.by };
  return { kind: 'run', by: user };
}

/** One line saying what started a run, for listings and `reprise show`. */
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
    case 'mlflow':
      return `the MLflow client by ${t.by}${t.source ? ` from ${t.source}` : ''} (no pipeline)`;
    case 'tensorboard':
      return `reprise import-tb by ${t.by} from ${t.run === '.' ? t.logdir : `${t.logdir}/${t.run}`} (no pipeline)`;
    case 'ci':
      return `CI (${t.system}${t.ref ? ` on ${t.ref}` : ''}${t.pullRequest ? `, pull request ${t.pullRequest}` : ''}) by ${t.by}`;
  }
}

export function firstLine(text: string): string {
  const line = text.split('\n', 1)[0]!.trim();
  return line.length > 72 ? `${line.slice(0, 71)}…` : line;
}
