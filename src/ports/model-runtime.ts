/**
 * @module ports/model-runtime
 * A model version loaded and answering predictions: a batch of input rows in, one output
 * per row out. Adapters: a command of the model's own project speaking JSON lines over
 * stdin and stdout (any framework, in the version's recorded environment and code), and
 * ONNX models run in this process by onnxruntime-node.
 */

/** What a started model answers for one request. */
export type Prediction = { readonly outputs: unknown[] } | { readonly error: string };

export interface ModelInstance {
  /** Which runtime serves it, for messages: `json-lines (2 workers)`, `onnx`. */
  readonly describe: string;
  /**
   * Answers one request. A bad input is an answer with `error` (the model said why); a
   * model that died, hung past its timeout or wrote something that is not an answer
   * throws REPRISE_ERR_MODEL_SERVING_FAILED.
   */
  predict(id: string, inputs: readonly unknown[]): Promise<Prediction>;
  /** Requests accepted and not yet answered. */
  inFlight(): number;
  /** Stops it once the requests in flight are answered (or `graceMs` has passed). */
  stop(graceMs?: number): Promise<void>;
}

export interface JsonLinesModelSpec {
  readonly kind: 'json-lines';
  /** A shell command, run with /bin/sh -c. */
  readonly cmd: string;
  /** Its working folder (the project folder of the version's recorded code). */
  readonly cwd: string;
  /** Its whole environment (REPRISE_MODEL_DIR, PATH with the version's interpreter first, …). */
  readonly env: Readonly<Record<string, string>>;
  /** Processes started; requests go to the least busy. */
  readonly workers: number;
  /** How long one request may take. */
  readonly timeoutMs: number;
  /** How long a worker may take to answer its first (health) request. */
  readonly startTimeoutMs: number;
  /** Lines of the workers' stderr, for the operator to see. */
  readonly onLog?: (worker: number, line: string) => void;
}

export interface OnnxModelSpec {
  readonly kind: 'onnx';
  /** The .onnx file. */
  readonly file: string;
  readonly timeoutMs: number;
}

export type ModelSpec = JsonLinesModelSpec | OnnxModelSpec;

export interface ModelRuntime {
  /**
   * Starts a model and returns it once it answers: each JSON-lines worker has answered a
   * health request (`{"id": "reprise-health", "inputs": []}`) with any answer carrying that
   * id; an ONNX session is created. REPRISE_ERR_MODEL_SERVING_FAILED, with the model's own
   * words (its stderr's last lines), when it does not start.
   */
  start(spec: ModelSpec): Promise<ModelInstance>;
}
