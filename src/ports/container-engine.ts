/**
 * @module ports/container-engine
 * Builds container images. Adapters: the docker and podman command-line tools. This
 * machine class may have neither working; `check` says why, in the tool's own words.
 */

export interface ContainerEngine {
  /** `docker` or `podman`. */
  readonly name: string;
  /** Whether it can build now; if not, why (not installed, engine unreachable, ...). */
  check(): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** Builds `contextDir` (holding a Dockerfile) as `tag`; each line of output goes to `onLine`. */
  build(contextDir: string, tag: string, onLine: (line: string) => void): Promise<{ ok: boolean; tail: string[] }>;
  /** The image id (`sha256:…`) of a local tag: its content digest. */
  imageId(tag: string): Promise<string>;
  /** Pushes a tag to its registry; the repository digest (`name@sha256:…`) it got, or why not. */
  push(tag: string, onLine: (line: string) => void): Promise<{ ok: true; digest: string } | { ok: false; tail: string[] }>;
}
