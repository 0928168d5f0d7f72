/**
 * @module ports/host-probe
 * What the machine running a run is: recorded in every manifest so a result can be
 * traced to the hardware and interpreter that produced it.
 */
import type { EnvironmentFacts } from '../core/run-manifest.js';

export type HostFacts = Omit<EnvironmentFacts, 'python' | 'repriseVersion' | 'requirements' | 'resolved' | 'image'>;

export interface PythonInterpreter {
  /** The executable as the interpreter reports it (sys.executable): not a version manager's shim. */
  readonly path: string;
  /** e.g. 3.11.7 */
  readonly version: string;
}

export interface HostProbe {
  facts(): Promise<HostFacts>;
  /**
   * The interpreter stages get as `python`: with `version` ("3.11"), `python3.11` or a
   * `python3` of that version, else REPRISE_ERR_INTERPRETER_NOT_FOUND listing those found;
   * without, `python3` (or `python`), or null when the machine has none. `projectDir` is
   * where version managers (pyenv's .python-version) look for the project's choice.
   */
  findPython(opts: { version?: string; projectDir: string }): Promise<PythonInterpreter | null>;
}
