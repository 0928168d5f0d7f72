/**
 * @module services/merge-trigger
 * Merging to a project's linked branch starts its pipeline. A project is linked to a
 * repository (URL, branch, queue, folder, secret); a push event arrives from the host's
 * webhook (GitHub, GitLab, Gitea) or from a hook in the repository itself; it is verified
 * against the link's secret, remembered so the same delivery starts one run, and the
 * pushed commit is fetched into the server's mirror, its reprise.yaml and params read, and
 * a run queued at that commit. Pushes to other branches, tags and deletions start nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RepriseError, isRepriseError } from '../core/errors.js';
import { redactRepositoryUrl } from '../core/redact-url.js';
import { detectProvider, parseHookEvent, repositoryKey, signatureHeader, verifyHookSignature, type HookEvent, type HookHeaders, type PushEvent } from '../core/git-push.js';
import { CONFIG_FILE } from '../core/project-config.js';
import { checkLinkFields, checkLinkSecret, DEFAULT_TRIGGER_BRANCH, type RepositoryLink } from '../core/repository-link.js';
import type { RunRecord } from '../core/run.js';
import type { GitCodeVersion } from '../core/run-manifest.js';
import type { GitProvider, MergeTrigger as MergeTriggerRecord, TriggerImage } from '../core/trigger.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { RepositoryMirror } from '../ports/code-source.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { pathExists } from '../platform/path-exists.js';
import type { ImageService } from './image-service.js';
import { loadProject } from './project-loader.js';
import type { RunService } from './run-service.js';

export interface MergeTriggerDeps {
  readonly store: MetadataStore;
  readonly blobs: BlobStore;
  readonly runs: RunService;
  readonly mirror: RepositoryMirror;
  readonly images: ImageService;
  /** Where pushed commits are laid out while their runs are queued. */
  readonly tmpDir: string;
}

export interface LinkRequest {
  readonly project: string;
  readonly url: string;
  readonly branch?: string;
  readonly queue?: string;
  readonly path?: string;
  /** Generated when absent, and then shown once. */
  readonly secret?: string;
  readonly by: string;
}

/** What became of one project's part in a delivery. */
export type HookOutcome =
  | { readonly project: string; readonly queued: { readonly id: string; readonly name: string; readonly queue: string; readonly commit: string; readonly image: TriggerImage | null } }
  | { readonly project: string; readonly duplicate: { readonly runIds: readonly string[] } }
  | { readonly project: string; readonly skipped: string }
  | { readonly project: string; readonly error: { readonly code: string; readonly message: string } };

export interface HookAnswer {
  /** 202 when a run was queued; 200 when nothing needed doing (or it was done before). */
  readonly status: 200 | 202;
  readonly provider: GitProvider;
  readonly event: string;
  readonly delivery: string;
  readonly ref: string | null;
  readonly commit: string | null;
  readonly message: string;
  readonly projects: readonly HookOutcome[];
}

export interface HookRequest {
  readonly headers: HookHeaders;
  /** The body exactly as received: signatures are over these bytes. */
  readonly body: Buffer;
  /** `?project=` on the hook's URL: only that project's link is considered. */
  readonly project?: string;
}

/** A push to act on for one project: where to fetch, where the project sits, where its run waits. */
interface Target {
  readonly project: string | null;
  readonly url: string;
  readonly branch: string;
  readonly queue: string | undefined;
  readonly path: string;
}

export class MergeTrigger {
  readonly #d: MergeTriggerDeps;

  constructor(deps: MergeTriggerDeps) {
    this.#d = deps;
  }

  /** Links a project to a repository (or changes its link). Returns the secret when one was generated. */
  async link(req: LinkRequest): Promise<{ link: RepositoryLink; generatedSecret: string | null }> {
    const fields = checkLinkFields({ url: req.url, branch: req.branch ?? DEFAULT_TRIGGER_BRANCH, queue: req.queue ?? null, path: req.path ?? '' });
    const secret = req.secret !== undefined ? checkLinkSecret(req.secret) : randomBytes(24).toString('base64url');
    const now = Date.now();
    const link: RepositoryLink = { project: req.project, ...fields, createdAt: now, createdBy: req.by, updatedAt: now };
    // The store keeps when and by whom a link was first made; what it holds now is answered.
    await this.#d.store.saveRepositoryLink(link, secret);
    return { link: (await this.#d.store.repositoryLinks(req.project))[0] ?? link, generatedSecret: req.secret === undefined ? secret : null };
  }

  async links(project?: string): Promise<RepositoryLink[]> {
    return this.#d.store.repositoryLinks(project);
  }

  async unlink(project: string): Promise<void> {
    if (!(await this.#d.store.deleteRepositoryLink(project))) {
      throw new RepriseError('REPRISE_ERR_HOOK_NOT_LINKED', `project ${project} is not linked to a repository`, { details: { project } });
    }
  }

  /**
   * Acts on one delivery of a hook. Throws what is wrong with it as a whole (not a hook
   * Reprise knows, a bad body, no linked project, a bad signature) before anything is
   * done; each linked project then gets its own outcome.
   */
  async receive(req: HookRequest): Promise<HookAnswer> {
    const provider = detectProvider(req.headers);
    if (!provider) {
      throw new RepriseError('REPRISE_ERR_HOOK_PAYLOAD_INVALID', 'not a push hook Reprise knows: no X-GitHub-Event, X-Gitlab-Event, X-Gitea-Event or X-Reprise-Event header', {
        hint: 'point a GitHub, GitLab or Gitea webhook (push events, content type application/json) at this URL, or run `reprise hooks install` in the repository',
      });
    }
    const event = parseHookEvent(provider, req.headers, req.body);
    const push = event.push;
    const base = { provider, event: event.event, delivery: event.delivery, ref: push?.ref ?? null, commit: push?.after ?? null };
    // A host's other events (a ping) are still checked against the secret: a wrong one is said at once.
    const targets = provider === 'git' ? (push ? [repositoryHookTarget(push, event.hook)] : []) : await this.#verifiedLinks(event, req);
    if (!push) {
      return { ...base, status: 200, message: `a ${event.event} event starts nothing; only pushes do`, projects: [] };
    }
    const outcomes: HookOutcome[] = [];
    const errors: RepriseError[] = [];
    for (const target of targets) {
      try {
        outcomes.push(await this.#act(target, event, push));
      } catch (e) {
        if (!isRepriseError(e)) throw e;
        errors.push(e);
        outcomes.push({ project: target.project ?? String(e.details?.project ?? '(from reprise.yaml)'), error: { code: e.code, message: e.message } });
      }
    }
    const queued = outcomes.filter((o) => 'queued' in o).length;
    // Nothing was started and something failed: the host shows the delivery as failed, with the reason.
    if (queued === 0 && errors.length > 0) throw errors[0];
    return { ...base, status: queued > 0 ? 202 : 200, message: summarize(outcomes), projects: outcomes };
  }

  /** The links this delivery is for, each verified against its secret; 404 when none, 401 when none verifies. */
  async #verifiedLinks(event: HookEvent, req: HookRequest): Promise<Target[]> {
    let links: RepositoryLink[];
    if (req.project !== undefined) {
      links = await this.#d.store.repositoryLinks(req.project);
      if (links.length === 0) throw new RepriseError('REPRISE_ERR_HOOK_NOT_LINKED', `project ${req.project} is not linked to a repository`, { hint: 'link it: reprise hooks link URL --project NAME', details: { project: req.project } });
    } else {
      const all = await this.#d.store.repositoryLinks();
      const keys = new Set((event.push?.repositoryUrls ?? []).map(repositoryKey));
      // A ping names no repository Reprise reads: any link whose secret signs it answers it.
      links = event.push ? all.filter((l) => keys.has(repositoryKey(l.url))) : all;
      if (links.length === 0) {
        const repo = event.push?.repositoryName ?? event.push?.repositoryUrls[0] ?? 'this repository';
        throw new RepriseError('REPRISE_ERR_HOOK_NOT_LINKED', `no project is linked to ${repo}`, {
          hint: 'link one: reprise hooks link URL --project NAME (or add ?project=NAME to the webhook URL)',
          details: { repository: repo },
        });
      }
    }
    const verified: RepositoryLink[] = [];
    for (const link of links) {
      const secret = await this.#d.store.repositoryLinkSecret(link.project);
      if (secret !== undefined && verifyHookSignature(event.provider, req.headers, req.body, secret)) verified.push(link);
    }
    if (verified.length === 0) {
      const header = signatureHeader(event.provider);
      const given = req.headers[header.toLowerCase()] !== undefined;
      throw new RepriseError(
        'REPRISE_ERR_HOOK_SIGNATURE_INVALID',
        given
          ? `the ${header} header does not match the secret of the link of ${links.map((l) => l.project).join(', ')}`
          : `the ${header} header is missing: the webhook must be given the link's secret`,
        { hint: 'set the webhook\'s secret to the one `reprise hooks link` printed (run it again with --secret to set a new one)', details: { header } },
      );
    }
    return verified.map((l) => ({ project: l.project, url: l.url, branch: l.branch, queue: l.queue ?? undefined, path: l.path }));
  }

  /** One project's part: skipped, a duplicate, or a run queued at the pushed commit. */
  async #act(target: Target, event: HookEvent, push: PushEvent): Promise<HookOutcome> {
    const project = target.project ?? '(from reprise.yaml)';
    if (push.deleted) return { project, skipped: `the push deleted ${push.branch ? `branch ${push.branch}` : push.ref}` };
    if (push.tag !== null) return { project, skipped: `a tag push (${push.tag}) starts nothing; pushes to ${target.branch} do` };
    if (push.branch !== target.branch) {
      return { project, skipped: `a push to ${push.branch ?? push.ref}; ${target.project ? `project ${target.project} runs` : 'runs start'} on pushes to ${target.branch}` };
    }
    const commit = push.after!;
    if (target.project !== null) {
      const seen = await this.#d.store.hookDelivery(event.provider, event.delivery, target.project);
      if (seen) return { project, duplicate: { runIds: seen.runIds } };
    }
    try {
      return await this.#queue(target, event, push, commit);
    } catch (e) {
      // The same delivery acted on meanwhile (or, from a repository hook, before).
      if (!isRepriseError(e) || e.code !== 'REPRISE_ERR_HOOK_DELIVERY_SEEN') throw e;
      const name = String(e.details?.project ?? project);
      const seen = await this.#d.store.hookDelivery(event.provider, event.delivery, name);
      return { project: name, duplicate: { runIds: seen?.runIds ?? [] } };
    }
  }

  async #queue(target: Target, event: HookEvent, push: PushEvent, commit: string): Promise<HookOutcome> {
    const pushed = await this.#d.mirror.fetchPushed(target.url, commit);
    await mkdir(this.#d.tmpDir, { recursive: true });
    const scratch = await mkdtemp(join(this.#d.tmpDir, 'push-'));
    try {
      const root = join(scratch, 'code');
      await pushed.writeTo(root);
      const projectDir = target.path ? join(root, target.path) : root;
      if (!(await pathExists(join(projectDir, CONFIG_FILE)))) {
        throw new RepriseError('REPRISE_ERR_CONFIG_NOT_FOUND', `commit ${commit.slice(0, 12)} has no ${target.path ? `${target.path}/` : ''}${CONFIG_FILE}`, {
          hint: target.project ? `set the project's folder in the repository: reprise hooks link URL --project ${target.project} --path DIR` : 'install the hook with --path DIR',
          details: { commit, path: target.path },
        });
      }
      const project = await loadProject(projectDir);
      if (target.project !== null && project.name !== target.project) {
        throw new RepriseError('REPRISE_ERR_CONFIG_INVALID', `${target.path ? `${target.path}/` : ''}${CONFIG_FILE} at ${commit.slice(0, 12)} is project ${project.name}, but the link is for project ${target.project}`, {
          hint: `link project ${project.name} instead, or point --path at the folder of ${target.project}`,
          details: { commit, project: project.name, linked: target.project },
        });
      }
      const image = project.config.image !== undefined ? await this.#buildImage(project.config.image ?? {}, root, target.path, commit) : null;
      const code: GitCodeVersion = {
        kind: 'git',
        subdir: target.path,
        remoteUrl: redactRepositoryUrl(target.url),
        branch: target.branch,
        commit,
        dirty: false,
        patch: null,
        changedFiles: [],
        // Workers lay the run out from these files: they need no access to the repository.
        archive: await pushed.archive(this.#d.blobs),
      };
      const trigger: MergeTriggerRecord = {
        kind: 'merge',
        by: push.sender,
        provider: event.provider,
        repository: redactRepositoryUrl(target.url),
        branch: target.branch,
        commit,
        before: push.before,
        author: push.head?.id === commit ? push.head.author : pushed.author,
        message: push.head?.id === commit ? push.head.message : pushed.message,
        delivery: event.provider === 'git' ? null : event.delivery,
        url: push.head?.id === commit ? push.head.url : null,
        image,
      };
      const done = await this.#d.runs.submit({
        cwd: projectDir,
        by: push.sender,
        code,
        trigger,
        ...(target.queue !== undefined ? { queue: target.queue } : {}),
        delivery: { provider: event.provider, id: event.delivery, receivedAt: Date.now() },
      });
      const run: RunRecord = done.runs[0]!;
      return { project: run.project, queued: { id: run.id, name: run.name, queue: run.manifest.submission!.queue, commit, image } };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** The project's image at the pushed commit; a failure is recorded, and the run queued all the same. */
  async #buildImage(config: { engine?: 'docker' | 'podman'; registry?: string }, root: string, subdir: string, commit: string): Promise<TriggerImage> {
    try {
      const built = await this.#d.images.build(
        {
          cwd: subdir ? join(root, subdir) : root,
          laidOut: { dir: root, subdir, commit },
          ...(config.engine ? { engine: config.engine } : {}),
          ...(config.registry ? { registry: config.registry } : {}),
        },
        () => undefined,
      );
      return { ref: built.ref, digest: built.digest, engine: built.engine, error: null };
    } catch (e) {
      if (!isRepriseError(e)) throw e;
      return { ref: '', digest: null, engine: config.engine ?? null, error: e.message };
    }
  }
}

/**
 * A push reported by `reprise hooks install`'s hook: the repository is where the hook
 * ran, the branch, project folder and queue are what the hook was installed with. No
 * link, no secret: the project is whatever reprise.yaml there names.
 */
function repositoryHookTarget(push: PushEvent, hook: HookEvent['hook']): Target {
  const fields = checkLinkFields({
    url: push.repositoryUrls[0]!,
    branch: hook?.branch ?? DEFAULT_TRIGGER_BRANCH,
    queue: hook?.queue ?? null,
    path: hook?.path ?? '',
  });
  return { project: null, url: fields.url, branch: fields.branch, queue: fields.queue ?? undefined, path: fields.path };
}

function summarize(outcomes: readonly HookOutcome[]): string {
  const parts = outcomes.map((o) => {
    if ('queued' in o) return `${o.project}: queued run ${o.queued.name} at ${o.queued.commit.slice(0, 12)}`;
    if ('duplicate' in o) return `${o.project}: this delivery was acted on before (runs ${o.duplicate.runIds.join(', ')}); nothing new started`;
    if ('skipped' in o) return `${o.project}: nothing started (${o.skipped})`;
    return `${o.project}: failed (${o.error.message})`;
  });
  return parts.join('; ');
}
