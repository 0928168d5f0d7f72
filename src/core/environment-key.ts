/**
 * @module core/environment-key
 * What identifies a built environment: the exact interpreter version, the platform, the
 * contents of every requirements file (or of the lock) and the pip options. Equal keys
 * mean an environment can be reused; a change that pip would see means a new one. Comments,
 * blank lines and spacing in requirements files are not such a change.
 */
import { contentHash, sha256Hex } from './canonical-json.js';

export interface PipOptions {
  readonly indexUrl: string | null;
  readonly extraIndexUrls: readonly string[];
  readonly findLinks: readonly string[];
  readonly noIndex: boolean;
}

export interface EnvironmentKeyInput {
  /** Exact, e.g. 3.11.7. */
  readonly pythonVersion: string;
  /** e.g. linux-x64. */
  readonly platform: string;
  readonly source: 'requirements' | 'lock';
  /** Every file pip reads (nested `-r`/`-c` files included), or the lock, with its text, in order. */
  readonly files: readonly { readonly path: string; readonly text: string }[];
  readonly pip: PipOptions;
}

/** The environment's hash: 64 hex characters. */
export function environmentHash(input: EnvironmentKeyInput): string {
  const files = input.files.map((f) => ({ path: f.path, sha256: sha256Hex(normalizeRequirements(f.text)) }));
  return contentHash({ v: 2, ...input, files }).slice('sha256:'.length);
}

/** A requirements file as pip reads it: continuations joined, comments, spacing and blank lines gone. */
export function normalizeRequirements(text: string): string {
  return text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim().replace(/\s+/g, ' '))
    .filter((line) => line !== '')
    .join('\n');
}

export function pipOptionsFrom(env: {
  index_url?: string | undefined;
  extra_index_url?: string | string[] | undefined;
  find_links?: string | string[] | undefined;
  no_index?: boolean | undefined;
} | undefined): PipOptions {
  const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return {
    indexUrl: env?.index_url ?? null,
    extraIndexUrls: list(env?.extra_index_url),
    findLinks: list(env?.find_links),
    noIndex: env?.no_index ?? false,
  };
}

/** pip install arguments for the options; relative find_links resolve against `base`. */
export function pipOptionArgs(pip: PipOptions, resolvePath: (p: string) => string): string[] {
  const args: string[] = [];
  if (pip.indexUrl) args.push('--index-url', pip.indexUrl);
  for (const url of pip.extraIndexUrls) args.push('--extra-index-url', url);
  for (const link of pip.findLinks) args.push('--find-links', /^[a-z][a-z0-9+.-]*:\/\//i.test(link) ? link : resolvePath(link));
  if (pip.noIndex) args.push('--no-index');
  return args;
}

/**
 * The files a requirements file pulls in (`-r other.txt`, `-c constraints.txt`, and their
 * long forms), as paths relative to it, so their contents count in the key too.
 */
export function nestedRequirementFiles(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    const m = /^(?:-r|-c|--requirement|--constraint)(?:\s+|=)(\S+)$/.exec(line);
    if (m?.[1] && !/^[a-z][a-z0-9+.-]*:\/\//i.test(m[1])) out.push(m[1]);
  }
  return out;
}
