/**
 * @module core/repository-link
 * A project linked to the repository whose pushes start its pipeline: where the
 * repository is, which branch triggers (default `main`), the queue its runs wait in,
 * where the project sits inside it, and the secret its host signs deliveries with. Also
 * a delivery as remembered, so the same one twice starts one run.
 */
import { RepriseError } from './errors.js';
import { checkQueueName } from './queue.js';
import type { GitProvider } from './trigger.js';

export const DEFAULT_TRIGGER_BRANCH = 'main';
/** Shorter secrets are too easy to guess for a signature that guards starting runs. */
export const MIN_SECRET_LENGTH = 16;
const MAX_SECRET_LENGTH = 256;

export interface RepositoryLink {
  readonly project: string;
  /** Where the server fetches from: a URL (credentials allowed, never shown) or a path on the server's machine. */
  readonly url: string;
  /** The branch whose pushes start a run. */
  readonly branch: string;
  /** Where its runs wait; null: as reprise.yaml says (`resources.queue`, else `default`). */
  readonly queue: string | null;
  /** The project's folder (where reprise.yaml is) inside the repository, '' at its root. */
  readonly path: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly updatedAt: number;
}

/** A delivery acted on, per project it started runs of. */
export interface HookDelivery {
  readonly provider: GitProvider;
  readonly id: string;
  readonly project: string;
  readonly receivedAt: number;
  readonly commit: string;
  readonly runIds: readonly string[];
}

function invalid(field: string, value: string, why: string): RepriseError {
  return new RepriseError('REPRISE_ERR_REPO_LINK_INVALID', `${field} ${JSON.stringify(value)}: ${why}`, { details: { field, value } });
}

/** A branch name as git allows it (`git check-ref-format --branch`), in short form. */
export function checkBranchName(name: string, field = '--branch'): string {
  const bad =
    name === '' ||
    name.length > 255 ||
    name.startsWith('-') ||
    name.startsWith('/') ||
    name.endsWith('/') ||
    name.endsWith('.') ||
    name.endsWith('.lock') ||
    name.includes('..') ||
    name.includes('//') ||
    name.includes('@{') ||
    name === '@' ||
    /[\u0000-\u0020\u007f~^:?*[\\]/.test(name) ||
    name.split('/').some((part) => part.startsWith('.'));
  if (bad) throw invalid(field, name, 'not a branch name git accepts');
  if (name.startsWith('refs/')) throw invalid(field, name, `give the branch's short name (${name.replace(/^refs\/heads\//, '')}), not a ref`);
  return name;
}

/** The project's folder inside the repository: '' or a relative path that stays inside it. */
export function checkProjectPath(path: string, field = '--path'): string {
  const norm = path.replace(/\\/g, '/').replace(/^\.\/+/, '').replace(/\/+$/, '');
  if (norm === '.' || norm === '') return '';
  if (norm.startsWith('/') || norm.split('/').some((p) => p === '..' || p === '')) {
    throw invalid(field, path, 'expected a folder inside the repository, relative to its root (like `ml` or `projects/iris`)');
  }
  return norm;
}

export function checkLinkSecret(secret: string, field = '--secret'): string {
  if (secret.length < MIN_SECRET_LENGTH || secret.length > MAX_SECRET_LENGTH || /[\u0000-\u0020\u007f]/.test(secret)) {
    throw new RepriseError(
      'REPRISE_ERR_REPO_LINK_INVALID',
      `${field}: a secret is ${MIN_SECRET_LENGTH} to ${MAX_SECRET_LENGTH} characters without spaces or control characters (leave it out to have one generated)`,
      { details: { field } },
    );
  }
  return secret;
}

/** A repository the server can fetch from: http(s), ssh, git or file URLs, scp-like `user@host:path`, or an absolute path. */
export function checkRepositoryUrl(url: string, field = 'URL'): string {
  const ok = /^(https?|ssh|git|file):\/\/[^\s]+$/i.test(url) || /^[\w.-]+@[\w.-]+:[^\s]+$/.test(url) || /^\/[^\u0000]*$/.test(url);
  if (!ok) throw invalid(field, url, 'expected a repository URL (https://…, ssh://…, git@host:owner/repo.git) or an absolute path on the server');
  return url;
}

/** The fields of a link as given, checked; each error names its field. */
export function checkLinkFields(fields: { url: string; branch: string; queue: string | null; path: string }): { url: string; branch: string; queue: string | null; path: string } {
  return {
    url: checkRepositoryUrl(fields.url),
    branch: checkBranchName(fields.branch),
    queue: fields.queue === null ? null : checkQueueName(fields.queue),
    path: checkProjectPath(fields.path),
  };
}
