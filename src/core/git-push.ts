/**
 * @module core/git-push
 * Push hooks, as `POST /api/v1/hooks/git` receives them: which host sent a delivery (GitHub,
 * GitLab, Gitea and its forks Forgejo and Gogs, or Reprise's own repository hook), whether
 * it carries the linked repository's secret, and what was pushed, in one shape whatever the
 * host. Also the key a repository URL is matched by, so that the many spellings of one
 * repository (`https://`, `git@host:`, `ssh://`, with or without `.git`) find its link.
 * Pure: the route reads the raw body and headers and hands them here.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { posix } from 'node:path';
import { RepriseError } from './errors.js';
import type { GitProvider } from './trigger.js';

/** Headers as Node/fastify give them: lower-case names. */
export type HookHeaders = Readonly<Record<string, string | string[] | undefined>>;

export interface PushCommit {
  /** The full sha. */
  readonly id: string;
  readonly message: string;
  readonly author: { readonly name: string; readonly email: string | null };
  readonly url: string | null;
}

/** A hook delivery, normalized. */
export interface HookEvent {
  readonly provider: GitProvider;
  /** The host's delivery id; for GitLab without one, `body-sha256:<hex>` of the body. */
  readonly delivery: string;
  /** The host's event name as sent: 'push', 'ping', 'Push Hook', 'Tag Push Hook', 'issues', ... */
  readonly event: string;
  /** Null for events that are not pushes (ping, issues, ...). */
  readonly push: PushEvent | null;
  /** From a repository hook (`git`): what it was installed with (null fields: not given); null from hosts. */
  readonly hook?: RepositoryHookSettings;
}

export interface RepositoryHookSettings {
  readonly branch: string | null;
  /** The project's folder in the repository. */
  readonly path: string | null;
  readonly queue: string | null;
}

export interface PushEvent {
  /** 'refs/heads/main', 'refs/tags/v1'. */
  readonly ref: string;
  /** 'main' when ref is refs/heads/*, else null. */
  readonly branch: string | null;
  /** 'v1' when ref is refs/tags/*, else null. */
  readonly tag: string | null;
  /** Null when the all-zero sha (the ref was created). */
  readonly before: string | null;
  /** Null when the all-zero sha (the ref was deleted). */
  readonly after: string | null;
  readonly deleted: boolean;
  /** Every URL the payload gives for the repository (clone, ssh, web, git...), for matching a linked repository. */
  readonly repositoryUrls: readonly string[];
  /** owner/name or path_with_namespace, when given. */
  readonly repositoryName: string | null;
  /** Who pushed: the host's login for the account, else its display name. */
  readonly sender: string;
  /** The commit the ref now points at, when the payload describes it; null for a deletion. */
  readonly head: PushCommit | null;
  readonly compareUrl: string | null;
}

// Gitea sends X-GitHub-Event and X-Hub-Signature-256 too (and Forgejo X-Gitea-*), for
// receivers written for GitHub, so the forks' own headers are looked at first.
const GITEA_PREFIXES = ['x-gitea-', 'x-forgejo-', 'x-gogs-'] as const;

/** The provider whose headers these are, or null (not a hook we know). Gitea/Forgejo/Gogs → 'gitea'; X-Reprise-Event → 'git'. */
export function detectProvider(headers: HookHeaders): GitProvider | null {
  if (header(headers, 'x-reprise-event') !== null) return 'git';
  if (GITEA_PREFIXES.some((p) => header(headers, `${p}event`) !== null)) return 'gitea';
  if (header(headers, 'x-gitlab-event') !== null) return 'gitlab';
  if (header(headers, 'x-github-event') !== null) return 'github';
  return null;
}

/** Which header carries the secret for a provider, for error messages ('' for a repository hook, which is not signed). */
export function signatureHeader(provider: GitProvider): string {
  switch (provider) {
    case 'github':
      return 'X-Hub-Signature-256';
    case 'gitlab':
      return 'X-Gitlab-Token';
    case 'gitea':
      return 'X-Gitea-Signature';
    case 'git':
      return '';
  }
}

/**
 * Whether the delivery carries the right secret: GitHub's `X-Hub-Signature-256`
 * (`sha256=<hex HMAC-SHA256 of the raw body>`; the legacy SHA-1 `X-Hub-Signature` only when
 * no -256 header came), Gitea's `X-Gitea-Signature` (bare hex; Forgejo's and Gogs's own
 * names, then `X-Hub-Signature-256`, when it is absent), GitLab's `X-Gitlab-Token` equal to
 * the secret. The first header present is the one checked: a wrong one is not rescued by
 * another. Missing header or empty secret → false. A repository hook (`git`) is not signed → true.
 */
export function verifyHookSignature(provider: GitProvider, headers: HookHeaders, body: Buffer, secret: string): boolean {
  if (provider === 'git') return true;
  if (secret === '') return false;
  const hmac = (algorithm: 'sha1' | 'sha256'): string => createHmac(algorithm, secret).update(body).digest('hex');
  switch (provider) {
    case 'github': {
      const sha256 = header(headers, 'x-hub-signature-256');
      if (sha256 !== null) return prefixedHexEquals(sha256, 'sha256=', hmac('sha256'));
      const sha1 = header(headers, 'x-hub-signature');
      return sha1 !== null && prefixedHexEquals(sha1, 'sha1=', hmac('sha1'));
    }
    case 'gitea': {
      for (const name of ['x-gitea-signature', 'x-forgejo-signature', 'x-gogs-signature']) {
        const given = header(headers, name);
        if (given !== null) return safeEquals(given.toLowerCase(), hmac('sha256'));
      }
      const hub = header(headers, 'x-hub-signature-256');
      return hub !== null && prefixedHexEquals(hub, 'sha256=', hmac('sha256'));
    }
    case 'gitlab': {
      const token = header(headers, 'x-gitlab-token');
      return token !== null && safeEquals(token, secret);
    }
  }
}

/**
 * Parses the body (JSON, UTF-8; or a form's `payload=` field, as GitHub and Gitea send when
 * the hook's content type is form-encoded) by the provider's shape. Only what a push needs is
 * required: the delivery and event headers, `ref`, `before`, `after` and at least one URL of
 * the repository; missing optional fields become null. Events other than pushes need nothing
 * beyond a JSON object and come back with `push: null`. Throws
 * REPRISE_ERR_HOOK_PAYLOAD_INVALID naming the header or field at fault.
 *
 * For `git` (Reprise's own hook) the headers are X-Reprise-Event ('push') and
 * X-Reprise-Delivery, and the body is
 *   { "ref", "before": sha|null, "after": sha, "repository": "/abs/path or URL",
 *     "sender": "alice", "head": { "id", "message", "author": { "name", "email" } } | null }.
 */
export function parseHookEvent(provider: GitProvider, headers: HookHeaders, body: Buffer): HookEvent {
  switch (provider) {
    case 'github':
      return parseGitHub(headers, body);
    case 'gitlab':
      return parseGitLab(headers, body);
    case 'gitea':
      return parseGitea(headers, body);
    case 'git':
      return parseRepositoryHook(headers, body);
  }
}

// ---------------------------------------------------------------------------------------
// Hosts

type Json = Record<string, unknown>;

function parseGitHub(headers: HookHeaders, body: Buffer): HookEvent {
  const event = requiredHeader(headers, 'X-GitHub-Event');
  const delivery = requiredHeader(headers, 'X-GitHub-Delivery');
  const json = parseBody(body);
  if (event !== 'push') return { provider: 'github', delivery, event, push: null };
  return {
    provider: 'github',
    delivery,
    event,
    push: githubStylePush(json, 'GitHub', {
      urls: ['clone_url', 'ssh_url', 'html_url', 'git_url', 'url', 'svn_url'],
      senders: [['sender', 'login'], ['pusher', 'name']],
      compare: 'compare',
    }),
  };
}

/** How a host that speaks GitHub's push format (GitHub, Gitea and its forks) names what differs. */
interface GitHubStyle {
  /** The repository's URL fields, in the order they are tried. */
  readonly urls: readonly string[];
  /** Where the pusher's name is: [object, field], first found wins. */
  readonly senders: readonly (readonly [string, string])[];
  readonly compare: string;
}

function githubStylePush(json: Json, host: string, style: GitHubStyle): PushEvent {
  const p = new Payload(json, host);
  const ref = p.requiredString('ref');
  const before = p.sha('before');
  const after = p.sha('after');
  const repo = p.object('repository');
  return {
    ...refNames(ref),
    before,
    after,
    deleted: json.deleted === true || after === null,
    repositoryUrls: p.repositoryUrls(repo, 'repository', style.urls),
    repositoryName: optionalString(repo, 'full_name'),
    sender: firstString(...style.senders.map(([object, field]) => optionalString(p.object(object), field))),
    head: after === null ? null : (commitOf(json.head_commit) ?? commitWithId(json.commits, after)),
    compareUrl: optionalString(json, style.compare),
  };
}

/** The event names GitLab sends pushes under (a system hook says which in object_kind). */
const GITLAB_PUSH_EVENTS = new Set(['Push Hook', 'Tag Push Hook']);
const GITLAB_PUSH_KINDS = new Set(['push', 'tag_push']);

function parseGitLab(headers: HookHeaders, body: Buffer): HookEvent {
  const event = requiredHeader(headers, 'X-Gitlab-Event');
  // Idempotency-Key (GitLab 17.4) is the one id a retry keeps; X-Gitlab-Event-UUID (14.8)
  // is shared by hooks that a hook's own request set off; X-Gitlab-Webhook-UUID (16.2) is
  // new on every request. Older GitLab sends none: the body then stands for the delivery.
  const delivery =
    header(headers, 'idempotency-key') ??
    header(headers, 'x-gitlab-event-uuid') ??
    header(headers, 'x-gitlab-webhook-uuid') ??
    `body-sha256:${createHash('sha256').update(body).digest('hex')}`;
  const json = parseBody(body);
  const kind = optionalString(json, 'object_kind') ?? optionalString(json, 'event_name');
  const isPush = GITLAB_PUSH_EVENTS.has(event) || (event === 'System Hook' && kind !== null && GITLAB_PUSH_KINDS.has(kind));
  if (!isPush) return { provider: 'gitlab', delivery, event, push: null };
  const p = new Payload(json, 'GitLab');
  const ref = p.requiredString('ref');
  const before = p.sha('before');
  const after = p.sha('after');
  const project = p.object('project');
  const repository = p.object('repository');
  const urls = [
    ...urlsOf(project, ['git_http_url', 'git_ssh_url', 'web_url', 'http_url', 'ssh_url', 'url', 'homepage']),
    ...urlsOf(repository, ['git_http_url', 'git_ssh_url', 'url', 'homepage']),
  ];
  if (urls.length === 0) throw p.noRepositoryUrl(['project.git_http_url', 'project.git_ssh_url', 'project.web_url', 'repository.url']);
  // checkout_sha is null when the push deleted the ref; else it is the commit after it.
  const headId = optionalString(json, 'checkout_sha') ?? after;
  return {
    provider: 'gitlab',
    delivery,
    event,
    push: {
      ...refNames(ref),
      before,
      after,
      deleted: after === null,
      repositoryUrls: unique(urls),
      repositoryName: optionalString(project, 'path_with_namespace'),
      sender: firstString(optionalString(json, 'user_username'), optionalString(json, 'user_name')),
      head: after === null || headId === null ? null : (commitWithId(json.commits, headId) ?? lastCommit(json.commits)),
      compareUrl: null,
    },
  };
}

function parseGitea(headers: HookHeaders, body: Buffer): HookEvent {
  const event = firstHeader(headers, 'event') ?? missingHeader('X-Gitea-Event');
  const delivery = firstHeader(headers, 'delivery') ?? missingHeader('X-Gitea-Delivery');
  const json = parseBody(body);
  // A deleted branch comes as a `delete` event (ref without refs/heads/), not a push.
  if (event !== 'push') return { provider: 'gitea', delivery, event, push: null };
  return {
    provider: 'gitea',
    delivery,
    event,
    push: githubStylePush(json, 'Gitea', {
      // Not original_url: on a mirror that is the repository mirrored, not this one.
      urls: ['clone_url', 'ssh_url', 'html_url'],
      senders: [['sender', 'login'], ['sender', 'username'], ['pusher', 'login'], ['pusher', 'username']],
      compare: 'compare_url',
    }),
  };
}

function parseRepositoryHook(headers: HookHeaders, body: Buffer): HookEvent {
  const event = requiredHeader(headers, 'X-Reprise-Event');
  const delivery = requiredHeader(headers, 'X-Reprise-Delivery');
  const json = parseBody(body);
  if (event !== 'push') return { provider: 'git', delivery, event, push: null };
  const p = new Payload(json, 'repository hook');
  const ref = p.requiredString('ref');
  // A new branch may say null rather than the zero sha.
  const before = json.before === null || json.before === undefined ? null : p.sha('before');
  const after = p.sha('after');
  const repository = p.requiredString('repository');
  return {
    provider: 'git',
    delivery,
    event,
    hook: { branch: p.optionalString('branch'), path: p.optionalString('path'), queue: p.optionalString('queue') },
    push: {
      ...refNames(ref),
      before,
      after,
      deleted: after === null,
      repositoryUrls: [repository],
      repositoryName: null,
      sender: firstString(optionalString(json, 'sender')),
      head: after === null ? null : commitOf(json.head),
      compareUrl: null,
    },
  };
}

// ---------------------------------------------------------------------------------------
// Reading payloads

function invalid(message: string, details?: Record<string, unknown>): RepriseError {
  return new RepriseError('REPRISE_ERR_HOOK_PAYLOAD_INVALID', message, details ? { details } : {});
}

/** The header's value, trimmed; null when absent or empty. A repeated header gives its first value. */
function header(headers: HookHeaders, name: string): string | null {
  const raw = headers[name];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  return value ? value : null;
}

function requiredHeader(headers: HookHeaders, name: string): string {
  return header(headers, name.toLowerCase()) ?? missingHeader(name);
}

function missingHeader(name: string): never {
  throw invalid(`${name} header is missing`, { header: name });
}

/** A Gitea-family header by its suffix, under Gitea's, Forgejo's or Gogs's name. */
function firstHeader(headers: HookHeaders, suffix: 'event' | 'delivery'): string | null {
  for (const prefix of GITEA_PREFIXES) {
    const value = header(headers, `${prefix}${suffix}`);
    if (value !== null) return value;
  }
  return null;
}

function parseBody(body: Buffer): Json {
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // A hook whose content type is form-encoded sends the JSON as the `payload` field.
  if (text.startsWith('payload=')) text = new URLSearchParams(text).get('payload') ?? '';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw invalid(`the body is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`the body is not a JSON object (it is ${describe(value)})`);
  }
  return value as Json;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
const ZERO_SHA = /^0+$/;

/** A push payload, for messages that name the host and the field at fault. */
class Payload {
  constructor(
    private readonly json: Json,
    private readonly host: string,
  ) {}

  private get push(): string {
    return this.host === 'repository hook' ? 'the repository hook' : `the ${this.host} push`;
  }

  requiredString(key: string): string {
    const value = this.json[key];
    if (value === undefined || value === null) throw invalid(`${this.push} has no "${key}" (a string)`, { field: key });
    if (typeof value !== 'string') throw invalid(`${this.push}'s "${key}" is ${describe(value)}, not a string`, { field: key });
    if (value.trim() === '') throw invalid(`${this.push}'s "${key}" is empty`, { field: key });
    return value;
  }

  /** A string that may be absent (null then); any other type is refused. */
  optionalString(key: string): string | null {
    const value = this.json[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') throw invalid(`${this.push}'s "${key}" is ${describe(value)}, not a string`, { field: key });
    return value;
  }

  /** A commit id; null for the all-zero id, which stands for "no commit" (ref created or deleted). */
  sha(key: string): string | null {
    const value = this.requiredString(key);
    if (!SHA.test(value)) throw invalid(`${this.push}'s "${key}" is not a commit id: ${JSON.stringify(value)}`, { field: key });
    return ZERO_SHA.test(value) ? null : value.toLowerCase();
  }

  /** The object under `key`, or an empty one when it is absent (its fields are then null). */
  object(key: string): Json {
    const value = this.json[key];
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
  }

  repositoryUrls(repo: Json, path: string, keys: readonly string[]): string[] {
    const urls = urlsOf(repo, keys);
    if (urls.length === 0) throw this.noRepositoryUrl(keys.slice(0, 3).map((k) => `${path}.${k}`));
    return unique(urls);
  }

  noRepositoryUrl(fields: readonly string[]): RepriseError {
    return invalid(`${this.push} gives no URL of the repository (${fields.map((f) => `"${f}"`).join(', ')}, ...)`, {
      field: fields[0],
    });
  }
}

function optionalString(json: Json, key: string): string | null {
  const value = json[key];
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

/** The first name given; 'unknown' when the payload names nobody (only the push itself is required). */
function firstString(...values: (string | null)[]): string {
  return values.find((v) => v !== null) ?? 'unknown';
}

function urlsOf(json: Json, keys: readonly string[]): string[] {
  return keys.map((k) => optionalString(json, k)).filter((v): v is string => v !== null);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function refNames(ref: string): { ref: string; branch: string | null; tag: string | null } {
  const after = (prefix: string): string | null => (ref.startsWith(prefix) && ref.length > prefix.length ? ref.slice(prefix.length) : null);
  return { ref, branch: after('refs/heads/'), tag: after('refs/tags/') };
}

/** A commit object as the hosts write it (id, message, author {name, email}, url); null when it is not one. */
function commitOf(value: unknown): PushCommit | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const c = value as Json;
  const id = optionalString(c, 'id');
  if (id === null) return null;
  const author = typeof c.author === 'object' && c.author !== null ? (c.author as Json) : {};
  return {
    id,
    message: typeof c.message === 'string' ? c.message : '',
    author: {
      name: optionalString(author, 'name') ?? optionalString(author, 'username') ?? '',
      email: optionalString(author, 'email'),
    },
    url: optionalString(c, 'url'),
  };
}

function commitWithId(commits: unknown, id: string): PushCommit | null {
  if (!Array.isArray(commits)) return null;
  for (const c of commits) {
    const commit = commitOf(c);
    if (commit && commit.id.toLowerCase() === id.toLowerCase()) return commit;
  }
  return null;
}

function lastCommit(commits: unknown): PushCommit | null {
  return Array.isArray(commits) && commits.length > 0 ? commitOf(commits[commits.length - 1]) : null;
}

// ---------------------------------------------------------------------------------------
// Signatures

/** Compares in constant time; strings of different lengths are simply unequal. */
function safeEquals(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `sha256=<hex>` against the expected hex; the prefix must be there, hex digits in either case. */
function prefixedHexEquals(given: string, prefix: string, expectedHex: string): boolean {
  if (!given.toLowerCase().startsWith(prefix)) return false;
  return safeEquals(given.slice(prefix.length).toLowerCase(), expectedHex);
}

// ---------------------------------------------------------------------------------------
// Repository URLs

const DEFAULT_PORTS: Readonly<Record<string, string>> = {
  http: '80',
  https: '443',
  ssh: '22',
  'git+ssh': '22',
  'ssh+git': '22',
  git: '9418',
};

const SCHEME_URL = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/i;
// git's scp-like syntax: [user@]host:path, a colon before any slash.
const SCP_URL = /^(?:[^@/]+@)?(\[[^\]/]+\]|[^:/]+):(.*)$/;

/**
 * A repository URL reduced to what identifies it, so the many spellings of one repository
 * match: `https://github.com/Org/Repo.git`, `http://github.com/org/repo`,
 * `git@github.com:org/repo.git`, `ssh://git@github.com:22/org/repo` and
 * `git://github.com/org/repo` are all `github.com/org/repo`. The host is lower-cased, a
 * default port dropped (a non-default one kept), user-info dropped, a trailing `.git` and `/`
 * dropped, and the path lower-cased since GitHub, GitLab and Gitea ignore its case. Local
 * paths (`/srv/git/ml.git`, `file:///srv/git/ml.git`) are `file:/srv/git/ml`, normalized,
 * their case kept. Anything else is returned trimmed.
 */
export function repositoryKey(url: string): string {
  const raw = url.trim();
  if (raw.startsWith('/')) return localKey(raw);
  const m = SCHEME_URL.exec(raw);
  if (m) {
    const scheme = m[1]!.toLowerCase();
    if (scheme === 'file') return localKey(decodePath(m[3]!));
    const authority = m[2]!;
    let hostPort = authority.slice(authority.lastIndexOf('@') + 1);
    let path = m[3]!;
    let port = '';
    const colon = hostPort.lastIndexOf(':');
    if (colon > hostPort.lastIndexOf(']')) {
      const tail = hostPort.slice(colon + 1);
      // `ssh://git@host:org/repo` mixes the two syntaxes; what follows the colon is the path.
      if (/^\d*$/.test(tail)) port = tail;
      else path = `/${tail}${path}`;
      hostPort = hostPort.slice(0, colon);
    }
    if (port === DEFAULT_PORTS[scheme]) port = '';
    return hostKey(hostPort, port, path);
  }
  const scp = SCP_URL.exec(raw);
  if (scp) return hostKey(scp[1]!, '', scp[2]!);
  return raw;
}

function hostKey(host: string, port: string, path: string): string {
  const p = stripGit(path.toLowerCase().replace(/\/{2,}/g, '/').replace(/^\//, ''));
  return `${host.toLowerCase()}${port ? `:${port}` : ''}${p ? `/${p}` : ''}`;
}

function localKey(path: string): string {
  const normalized = stripGit(posix.normalize(path));
  return `file:${normalized === '' ? '/' : normalized}`;
}

/** Drops trailing `/` and one trailing `.git` (a bare repository's name, or a work tree's `.git` folder). */
function stripGit(path: string): string {
  let p = path.replace(/\/+$/, '');
  if (p.toLowerCase().endsWith('.git')) p = p.slice(0, -4).replace(/\/+$/, '');
  return p;
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
