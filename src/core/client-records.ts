/**
 * @module core/client-records
 * What a client of the MLflow-compatible API records beside metrics, params and tags:
 * the datasets a run read, the models it logged (MLflow's "logged models", whose files are
 * kept among their run's artifacts), and which models a run took in or put out.
 */

/** A dataset a run read, as the client described it. */
export interface RunDataset {
  readonly name: string;
  /** The client's digest of the data (at most 36 characters). */
  readonly digest: string;
  /** e.g. `local`, `http`, `s3`, `code`. */
  readonly sourceType: string;
  /** JSON text saying where the data came from. */
  readonly source: string;
  /** JSON text, when given. */
  readonly schema: string | null;
  readonly profile: string | null;
  /** e.g. `mlflow.data.context` = `training`. */
  readonly tags: Readonly<Record<string, string>>;
}

/** A model a run used (`input`) or produced (`output`, at a step). */
export interface RunModelLink {
  readonly modelId: string;
  readonly direction: 'input' | 'output';
  readonly step: number;
}

export interface RunInputs {
  readonly datasets: readonly RunDataset[];
  readonly models: readonly RunModelLink[];
}

export const LOGGED_MODEL_STATUSES = ['pending', 'ready', 'failed'] as const;
export type LoggedModelStatus = (typeof LOGGED_MODEL_STATUSES)[number];

/**
 * A model a client logged (`mlflow.<flavor>.log_model`). Its files are artifacts of its
 * run under `path`: the first model of a name in a run takes the folder of that name, so a
 * model logged as `model` is the run's model output that promotion registers.
 */
export interface LoggedModelRecord {
  /** `m-` and 32 hex digits. */
  readonly id: string;
  readonly project: string;
  readonly name: string;
  readonly runId: string;
  /** The folder among the run's artifacts. */
  readonly path: string;
  readonly status: LoggedModelStatus;
  readonly statusMessage: string | null;
  readonly modelType: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly params: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
}
