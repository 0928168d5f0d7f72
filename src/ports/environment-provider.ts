/**
 * @module ports/environment-provider
 * The Python environment stages run in. Adapters: a cache of virtualenvs, one per
 * environment key (embedded default). Later: container images.
 */
import type { PythonInterpreter } from './host-probe.js';

export interface EnvironmentRequest {
  /** `venv`: built from requirements or a lock, cached; `system`: the interpreter as it is. */
  readonly kind: 'venv' | 'system';
  /** The interpreter a venv is made from, or the one used as it is. */
  readonly python: PythonInterpreter;
  /** The environment key (core/environment-key); null for `system`. */
  readonly hash: string | null;
  /** What it is built from, shown by `reprise env ls`, e.g. `requirements.txt`. */
  readonly source: string;
  /** Arguments after `pip install` (`-r file`, index options). Paths must be absolute. */
  readonly installArgs: readonly string[];
  /** Lines of pip's output while a build runs, for a terminal to show. */
  readonly onProgress?: (line: string) => void;
  /** Said when the request has to wait or rebuild, e.g. another run is building the same environment. */
  readonly onNotice?: (message: string) => void;
}

export interface PreparedEnvironment {
  readonly kind: 'venv' | 'system';
  readonly hash: string | null;
  /** The venv's folder; null for `system`. */
  readonly path: string | null;
  /** The interpreter stages get as `python`. */
  readonly python: PythonInterpreter;
  readonly pipVersion: string | null;
  /** `pip freeze --all` of the environment: the exact lock. */
  readonly freeze: string;
  /** True when an existing environment was reused. */
  readonly cacheHit: boolean;
  /** Why an existing entry was rebuilt (it was damaged), if it was. */
  readonly rebuiltBecause: string | null;
  /** How long the build took; null on a hit. */
  readonly buildMs: number | null;
}

export interface EnvironmentInfo {
  readonly hash: string;
  readonly path: string;
  readonly pythonVersion: string;
  readonly sizeBytes: number;
  readonly createdAt: number;
  readonly lastUsedAt: number;
  /** What it was built from, e.g. `requirements.txt` or `lock`. */
  readonly source: string;
}

export interface EnvironmentProvider {
  /**
   * The environment for a request, reused when it exists and is whole, otherwise built
   * aside and published only when pip succeeded. Requests for the same new environment
   * at the same time build it once. REPRISE_ERR_ENV_BUILD_FAILED with pip's output when
   * pip fails; nothing is left in the cache then.
   */
  prepare(request: EnvironmentRequest): Promise<PreparedEnvironment>;

  list(): Promise<EnvironmentInfo[]>;

  /**
   * Removes an environment unless it is in use: `stillNeeded` is asked while the
   * environment's lock is held, so no run can start using it meanwhile. Says whether it
   * was removed.
   */
  remove(hash: string, stillNeeded: () => Promise<boolean>): Promise<boolean>;

  /** Removes what interrupted builds left behind (never a build in progress); says how many. */
  removeOrphans(): Promise<number>;
}
