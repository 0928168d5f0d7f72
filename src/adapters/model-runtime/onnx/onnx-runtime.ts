/**
 * @module adapters/model-runtime/onnx/onnx-runtime
 * ONNX models run in this process by onnxruntime-node (CPU). The model's first input takes
 * the rows of a request as a [rows, width] tensor (a [rows] tensor when it has one
 * dimension), typed as the input declares (float32, float64, int32, int64). Each row's
 * slice of every tensor output comes back: a plain value for a one-element slice, nested
 * arrays otherwise, and an object by output name when the model has several. Outputs that
 * are not tensors (the maps of a converted scikit-learn classifier) are never fetched.
 * Rows that do not fit the input, and runs ONNX Runtime refuses, are answers with `error`.
 */
import { basename } from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { bug, RepriseError } from '../../../core/errors.js';
import type { ModelInstance, ModelRuntime, ModelSpec, OnnxModelSpec, Prediction } from '../../../ports/model-runtime.js';

type Ort = typeof import('onnxruntime-node');

/** The input types rows are converted to; other types are refused when the model starts. */
const INPUT_TYPES = ['float32', 'float64', 'int32', 'int64'] as const;
type InputType = (typeof INPUT_TYPES)[number];

let ortLoading: Promise<Ort> | undefined;

/**
 * The library is loaded here, on first use: it is a native addon of its own, which every
 * other command would otherwise pay for at start.
 */
function loadOrt(): Promise<Ort> {
  ortLoading ??= import('onnxruntime-node').catch((e: unknown) => {
    ortLoading = undefined;
    throw new RepriseError('REPRISE_ERR_MODEL_SERVING_FAILED', `onnxruntime-node cannot be loaded: ${messageOf(e)}`, { cause: e });
  });
  return ortLoading;
}

export class OnnxRuntime implements ModelRuntime {
  async start(spec: ModelSpec): Promise<ModelInstance> {
    if (spec.kind !== 'onnx') throw bug(`OnnxRuntime was given a model of kind ${spec.kind}`);
    const ort = await loadOrt();
    let session: InferenceSession;
    try {
      // What ONNX Runtime would print on stderr (optimizer warnings, a refused run) reaches the
      // caller as an exception or an error answer; printed as well, it would only clutter the log.
      session = await ort.InferenceSession.create(spec.file, { logSeverityLevel: 4 });
    } catch (e) {
      throw failed(spec, `ONNX model ${spec.file} cannot be loaded: ${messageOf(e)}`, {}, e);
    }
    try {
      return new OnnxInstance(ort, session, spec, feedOf(spec, session), fetchesOf(spec, session));
    } catch (e) {
      await session.release().catch(() => undefined);
      throw e;
    }
  }
}

/** The input rows go to, as the model declares it. */
interface Feed {
  readonly name: string;
  readonly type: InputType;
  /** 1: one number per row; 2: rows of `width` numbers. */
  readonly rank: 1 | 2;
  /** The fixed last dimension, if the model has one. */
  readonly width: number | undefined;
}

function feedOf(spec: OnnxModelSpec, session: InferenceSession): Feed {
  const inputs = session.inputMetadata;
  const input = inputs[0];
  if (!input) throw failed(spec, `ONNX model ${spec.file} has no inputs`);
  if (inputs.length > 1) {
    // Every input without a default must be fed, and a request carries one set of rows.
    throw failed(spec, `ONNX model ${spec.file} has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); rows can feed a model with one`, {
      inputs: inputs.map((i) => i.name),
    });
  }
  if (!input.isTensor) throw failed(spec, `ONNX model ${spec.file}: input ${input.name} is not a tensor`, { input: input.name });
  const type = INPUT_TYPES.find((t) => t === input.type);
  if (!type) {
    throw failed(spec, `ONNX model ${spec.file}: input ${input.name} is of type ${input.type}; rows of numbers can feed ${INPUT_TYPES.join(', ')}`, {
      input: input.name,
      type: input.type,
    });
  }
  const shape = input.shape;
  // A shape ONNX does not know is taken as [rows, width].
  if (shape.length > 2) {
    throw failed(spec, `ONNX model ${spec.file}: input ${input.name} has shape [${shape.join(', ')}]; rows of numbers can feed a [batch] or [batch, width] input`, {
      input: input.name,
      shape: [...shape],
    });
  }
  const rank = shape.length === 1 ? 1 : 2;
  const last = shape.length === 2 ? shape[1] : undefined;
  return { name: input.name, type, rank, width: rank === 1 ? 1 : typeof last === 'number' ? last : undefined };
}

function fetchesOf(spec: OnnxModelSpec, session: InferenceSession): string[] {
  const names = session.outputMetadata.filter((o) => o.isTensor).map((o) => o.name);
  if (names.length === 0) throw failed(spec, `ONNX model ${spec.file} has no tensor outputs`, { outputs: [...session.outputNames] });
  return names;
}

class OnnxInstance implements ModelInstance {
  readonly describe: string;
  private pending = 0;
  private stopping: Promise<void> | undefined;
  private readonly idle: Array<() => void> = [];

  constructor(
    private readonly ort: Ort,
    private readonly session: InferenceSession,
    private readonly spec: OnnxModelSpec,
    private readonly feed: Feed,
    private readonly fetches: string[],
  ) {
    this.describe = `onnx (${basename(spec.file)})`;
  }

  inFlight(): number {
    return this.pending;
  }

  async predict(id: string, inputs: readonly unknown[]): Promise<Prediction> {
    if (this.stopping) throw failed(this.spec, `the ONNX model ${basename(this.spec.file)} is stopping; request ${JSON.stringify(id)} was not run`, { request: id });
    if (inputs.length === 0) return { outputs: [] };
    const tensor = tensorOf(this.ort, this.feed, inputs);
    if ('error' in tensor) return tensor;
    this.pending++;
    try {
      let results: InferenceSession.ReturnType;
      try {
        results = await this.withTimeout(id, this.session.run({ [this.feed.name]: tensor.tensor }, this.fetches));
      } catch (e) {
        if (e instanceof RepriseError) throw e;
        return { error: messageOf(e) };
      }
      return { outputs: this.rowsOf(id, inputs.length, results) };
    } finally {
      this.pending--;
      if (this.pending === 0) for (const wake of this.idle.splice(0)) wake();
    }
  }

  stop(graceMs = 10_000): Promise<void> {
    this.stopping ??= (async () => {
      if (this.pending > 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          this.idle.push(resolve);
          timer = setTimeout(resolve, graceMs);
        });
        clearTimeout(timer);
      }
      await this.session.release().catch(() => undefined);
    })();
    return this.stopping;
  }

  /**
   * This binding runs a session on the calling thread, so no timer fires during a run; the
   * race still bounds a run should a later binding run it elsewhere.
   */
  private async withTimeout<T>(id: string, work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(failed(this.spec, `the ONNX model ${basename(this.spec.file)} did not answer request ${JSON.stringify(id)} within ${this.spec.timeoutMs} ms`, { request: id, timeoutMs: this.spec.timeoutMs })),
        this.spec.timeoutMs,
      );
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Each row's slice of the outputs: one output's value, or an object by output name. */
  private rowsOf(id: string, rows: number, results: InferenceSession.ReturnType): unknown[] {
    const columns = this.fetches.map((name) => {
      const value = results[name] as Tensor | undefined;
      if (!value) throw failed(this.spec, `the ONNX model ${basename(this.spec.file)} did not return output ${name} for request ${JSON.stringify(id)}`, { request: id, output: name });
      if (value.dims[0] !== rows) {
        throw failed(
          this.spec,
          `the ONNX model ${basename(this.spec.file)} returned output ${name} of shape [${value.dims.join(', ')}] for ${rows} rows; its first dimension must be the rows`,
          { request: id, output: name, shape: [...value.dims] },
        );
      }
      return { name, slices: slicesOf(value, rows) };
    });
    if (columns.length === 1) return columns[0]!.slices;
    return Array.from({ length: rows }, (_, r) => Object.fromEntries(columns.map((c) => [c.name, c.slices[r]])));
  }
}

/** The rows as the input's tensor, or the answer naming the first row that does not fit. */
function tensorOf(ort: Ort, feed: Feed, inputs: readonly unknown[]): { tensor: Tensor } | { error: string } {
  let width = feed.width;
  let widthFrom: number | undefined;
  const values: number[] = [];
  for (let r = 0; r < inputs.length; r++) {
    const input = inputs[r];
    const row = typeof input === 'number' ? [input] : input;
    if (!Array.isArray(row)) return { error: `row ${r} is ${describeValue(input)}; a row is an array of numbers or a number` };
    if (row.length === 0) return { error: `row ${r} is empty` };
    if (width === undefined) {
      width = row.length;
      widthFrom = r;
    } else if (row.length !== width) {
      return {
        error:
          widthFrom === undefined
            ? `row ${r} has ${row.length} values; input ${feed.name} takes ${width}`
            : `row ${r} has ${row.length} values; row ${widthFrom} has ${width}`,
      };
    }
    for (let i = 0; i < row.length; i++) {
      const v: unknown = row[i];
      if (typeof v !== 'number') return { error: `row ${r}, value ${i} is ${describeValue(v)}, not a number` };
      if (feed.type === 'int32' || feed.type === 'int64') {
        if (!Number.isSafeInteger(v)) return { error: `row ${r}, value ${i} is ${v}; input ${feed.name} takes integers (${feed.type})` };
        if (feed.type === 'int32' && (v < -(2 ** 31) || v >= 2 ** 31)) return { error: `row ${r}, value ${i} is ${v}, outside input ${feed.name}'s int32` };
      }
      values.push(v);
    }
  }
  const dims = feed.rank === 1 ? [inputs.length] : [inputs.length, width ?? 0];
  switch (feed.type) {
    case 'float32':
      return { tensor: new ort.Tensor('float32', Float32Array.from(values), dims) };
    case 'float64':
      return { tensor: new ort.Tensor('float64', Float64Array.from(values), dims) };
    case 'int32':
      return { tensor: new ort.Tensor('int32', Int32Array.from(values), dims) };
    case 'int64':
      return { tensor: new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims) };
  }
}

/** A tensor of [rows, ...] cut into each row's value: a plain value when one element, else nested arrays. */
function slicesOf(tensor: Tensor, rows: number): unknown[] {
  const inner = tensor.dims.slice(1);
  const size = inner.reduce((a, b) => a * b, 1);
  const data = tensor.data as ArrayLike<unknown>;
  const plain = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : tensor.type === 'bool' ? v === 1 || v === true : v);
  const nest = (offset: number, dim: number): unknown => {
    if (dim === inner.length) return plain(data[offset]);
    const step = inner.slice(dim + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: inner[dim] ?? 0 }, (_, k) => nest(offset + k * step, dim + 1));
  };
  return Array.from({ length: rows }, (_, r) => (size === 1 ? plain(data[r * size]) : nest(r * size, 0)));
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

function failed(spec: OnnxModelSpec, message: string, details: Record<string, unknown> = {}, cause?: unknown): RepriseError {
  return new RepriseError('REPRISE_ERR_MODEL_SERVING_FAILED', message, { details: { file: spec.file, ...details }, ...(cause === undefined ? {} : { cause }) });
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message || String(e) : String(e);
}
