/**
 * @module core/project-record
 * A project as a record of its own, beside its runs: a number (what the MLflow API calls
 * an experiment id; 0 is the `Default` project MLflow clients expect), tags, a deletion
 * that can be undone, and the policy for registering models from its runs.
 */
import { RepriseError } from './errors.js';

/** Which runs a model version may be registered from through the MLflow API. */
export const REGISTER_FROM = ['promoted', 'passed'] as const;
export type RegisterFrom = (typeof REGISTER_FROM)[number];

export const DEFAULT_PROJECT = { id: 0, name: 'Default' } as const;

export interface ProjectRecord {
  readonly id: number;
  readonly name: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Set while the project is deleted (its runs with it); null otherwise. */
  readonly deletedAt: number | null;
  readonly tags: Readonly<Record<string, string>>;
  /**
   * `promoted` (the default): a registry version comes only from a run promoted in Reprise.
   * `passed`: registering a run that succeeded and passed its gates promotes it.
   */
  readonly registerFrom: RegisterFrom;
}

export interface ProjectPatch {
  readonly at: number;
  readonly deletedAt?: number | null;
  readonly setTags?: Readonly<Record<string, string>>;
  readonly deleteTags?: readonly string[];
  readonly registerFrom?: RegisterFrom;
}

/** The longest project name (runs keep it in every row). */
export const MAX_PROJECT_NAME = 200;

export function checkProjectName(name: string, field = 'name'): string {
  if (name.trim() === '' || name.length > MAX_PROJECT_NAME || /[\u0000-\u001f]/.test(name)) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${field} ${JSON.stringify(name.slice(0, 60))}: a project name is 1 to ${MAX_PROJECT_NAME} characters, not blank, without control characters`, {
      details: { field, value: name.slice(0, 300) },
    });
  }
  return name;
}

export function checkRegisterFrom(value: string, field = 'registerFrom'): RegisterFrom {
  if (!(REGISTER_FROM as readonly string[]).includes(value)) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${field} ${JSON.stringify(value)}: expected ${REGISTER_FROM.join(' or ')}`, { details: { field, value } });
  }
  return value as RegisterFrom;
}
