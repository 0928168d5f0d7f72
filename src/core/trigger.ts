/**
 * @module core/trigger
 * What started a run: a person (`reprise run` in a terminal, `reprise submit`), a sweep,
 * a merge (a push to a project's linked branch, from a git host's webhook or a hook in a
 * repository), a reproduction of another run, or a CI job (`reprise ci`). Recorded in the
 * manifest when the run is made and never changed; a retry keeps its run's trigger.
 */
import { z } from 'zod';
import type { RunManifest } from './run-manifest.js';

/** Where a push came from: a git host's webhook, or `reprise hooks install` in a repository (`git`). */
export const GIT_PROVIDERS = ['github', 'gitlab', 'gitea', 'git'] as const;
export type GitProvider = (typeof GIT_PROVIDERS)[number];

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

export const triggerSchema = z.discriminatedUnion('kind', [personTrigger, sweepTrigger, reproductionTrigger, mergeTrigger, ciTrigger]);
export type Trigger = z.infer<typeof triggerSchema>;
export type MergeTrigger = z.infer<typeof mergeTrigger>;
export type CiTrigger = z.infer<typeof ciTrigger>;
export type TriggerKind = Trigger['kind'];
export const TRIGGER_KINDS: readonly TriggerKind[] = ['run', 'submit', 'sweep', 'merge', 'reproduction', 'ci'];

/** The trigger a manifest recorded, or the one its other fields imply (runs older than triggers). */
export function triggerOf(m: Pick<RunManifest, 'trigger' | 'run' | 'submission' | 'environment'>): Trigger {
  if (m.trigger) return m.trigger;
  if (m.run.reproduces) return { kind: 'reproduction', by: m.environment.user, of: m.run.reproduces };
  const s = m.submission;
  if (s?.sweep) return { kind: 'sweep', by: s.by, sweep: s.sweep.name };
  if (s) return { kind: 'submit', by: s.by };
  return { kind: 'run', by: m.environment.user };
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
    case 'ci':
      return `CI (${t.system}${t.ref ? ` on ${t.ref}` : ''}${t.pullRequest ? `, pull request ${t.pullRequest}` : ''}) by ${t.by}`;
  }
}

export function firstLine(text: string): string {
  const line = text.split('\n', 1)[0]!.trim();
  return line.length > 72 ? `${line.slice(0, 71)}…` : line;
}
