/**
 * @module adapters/model-runtime/onnx/onnx-runtime.test
 * ONNX models served by onnxruntime-node: real .onnx files written by the test helper,
 * predictions checked against the same arithmetic in float32, rows that do not fit the
 * input, several and integer outputs, a run ONNX Runtime refuses, files that are not models.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RepriseError } from '../../../core/errors.js';
import type { ModelInstance, Prediction } from '../../../ports/model-runtime.js';
import { linearPredict, writeLinearOnnxModel, writeOnnxModel } from '../../../../test/helpers/onnx-model.js';
import { OnnxRuntime } from './onnx-runtime.js';

const dir = mkdtempSync(join(tmpdir(), 'reprise-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runtime = new OnnxRuntime();
const started: ModelInstance[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((m) => m.stop(0)));
});

async function start(file: string): Promise<ModelInstance> {
  const model = await runtime.start({ kind: 'onnx', file, timeoutMs: 10_000 });
  started.push(model);
  return model;
}

function outputsOf(p: Prediction): unknown[] {
  if ('error' in p) throw new Error(`expected outputs, got error: ${p.error}`);
  return p.outputs;
}

function errorOf(p: Prediction): string {
  if (!('error' in p)) throw new Error(`expected an error, got outputs: ${JSON.stringify(p.outputs)}`);
  return p.error;
}

const W = [
  [0.5, -1.25],
  [2, 0.1],
  [-0.3, 3],
];
const B = [0.1, -0.2];

describe('OnnxRuntime', () => {
  it('answers each row with the linear model ONNX Runtime computes', async () => {
    const file = join(dir, 'linear.onnx');
    writeLinearOnnxModel(file, { weights: W, bias: B });
    const model = await start(file);
    expect(model.describe).toBe('onnx (linear.onnx)');
    const rows = [
      [1, 2, 3],
      [0.3, -7, 1000],
      [0, 0, 0],
      [1e-3, 12.5, -4.75],
    ];
    const outputs = outputsOf(await model.predict('r1', rows)) as number[][];
    const expected = linearPredict(W, B, rows);
    expect(outputs).toHaveLength(rows.length);
    outputs.forEach((row, r) => {
      expect(row).toHaveLength(2);
      row.forEach((v, j) => expect(Math.abs(v - expected[r]![j]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(expected[r]![j]!))));
    });
    expect(await model.predict('empty', [])).toEqual({ outputs: [] });
    expect(model.inFlight()).toBe(0);
  });

  it('gives a plain number for a one-wide output and takes bare numbers as one-value rows', async () => {
    const file = join(dir, 'scalar.onnx');
    writeLinearOnnxModel(file, { weights: [[2.5]], bias: [-1] });
    const model = await start(file);
    const outputs = outputsOf(await model.predict('r', [4, [2], -0.5]));
    expect(outputs).toEqual(linearPredict([[2.5]], [-1], [[4], [2], [-0.5]]).map((row) => row[0]));
    expect(outputs.every((v) => typeof v === 'number')).toBe(true);
  });

  it('answers rows that do not fit with an error naming the row', async () => {
    const file = join(dir, 'linear-bad-rows.onnx');
    writeLinearOnnxModel(file, { weights: W, bias: B });
    const model = await start(file);
    expect(errorOf(await model.predict('short', [[1, 2, 3], [1, 2]]))).toMatch(/row 1 has 2 values; input X takes 3/);
    expect(errorOf(await model.predict('text', [[1, 2, 3], [4, 5, 6], [7, 'eight', 9]]))).toMatch(/row 2, value 1 is the string "eight", not a number/);
    expect(errorOf(await model.predict('object', [{ a: 1 }]))).toMatch(/row 0 is an object/);
    expect(errorOf(await model.predict('null', [[1, 2, 3], null]))).toMatch(/row 1 is null/);
    // A one-value model takes bare numbers, not three-value rows.
    writeLinearOnnxModel(join(dir, 'one.onnx'), { weights: [[1]], bias: [0] });
    const one = await start(join(dir, 'one.onnx'));
    expect(errorOf(await one.predict('wide', [1, [1, 2, 3]]))).toMatch(/row 1 has 3 values; input X takes 1/);
    // The model still answers after bad requests.
    expect(outputsOf(await model.predict('ok', [[1, 2, 3]]))).toHaveLength(1);
  });

  it('checks that rows are as wide as each other when the model leaves the width open', async () => {
    const file = join(dir, 'open-width.onnx');
    writeOnnxModel(file, {
      inputs: [{ name: 'X', type: 'float32', shape: ['batch', 'features'] }],
      outputs: [{ name: 'Y', type: 'float32', shape: ['batch', 'features'] }],
      initializers: [{ name: 'K', type: 'float32', dims: [1], values: [2] }],
      nodes: [{ op: 'Mul', inputs: ['X', 'K'], outputs: ['Y'] }],
    });
    const model = await start(file);
    expect(outputsOf(await model.predict('r', [[1, 2, 3, 4]]))).toEqual([[2, 4, 6, 8]]);
    expect(errorOf(await model.predict('ragged', [[1, 2], [3, 4], [5]]))).toMatch(/row 2 has 1 values; row 0 has 2/);
  });

  it('feeds integer inputs and answers several outputs as an object per row, int64 as numbers', async () => {
    const file = join(dir, 'int.onnx');
    writeOnnxModel(file, {
      inputs: [{ name: 'X', type: 'int64', shape: ['batch', 2] }],
      outputs: [
        { name: 'scaled', type: 'int64', shape: ['batch', 2] },
        { name: 'total', type: 'float64', shape: ['batch'] },
      ],
      initializers: [
        { name: 'S', type: 'int64', dims: [1], values: [3] },
        { name: 'axes', type: 'int64', dims: [1], values: [1] },
      ],
      nodes: [
        { op: 'Mul', inputs: ['X', 'S'], outputs: ['scaled'] },
        { op: 'Cast', inputs: ['X'], outputs: ['Xd'], attributes: { to: 11 } },
        { op: 'ReduceSum', inputs: ['Xd', 'axes'], outputs: ['total'], attributes: { keepdims: 0 } },
      ],
    });
    const model = await start(file);
    expect(await model.predict('r', [[1, 2], [-5, 40]])).toEqual({
      outputs: [
        { scaled: [3, 6], total: 3 },
        { scaled: [-15, 120], total: 35 },
      ],
    });
    expect(errorOf(await model.predict('fraction', [[1, 2.5]]))).toMatch(/row 0, value 1 is 2.5; input X takes integers \(int64\)/);
  });

  it('feeds float64 inputs as doubles', async () => {
    const file = join(dir, 'double.onnx');
    writeOnnxModel(file, {
      inputs: [{ name: 'X', type: 'float64', shape: ['batch', 1] }],
      outputs: [{ name: 'Y', type: 'float64', shape: ['batch', 1] }],
      initializers: [{ name: 'K', type: 'float64', dims: [1], values: [0.1] }],
      nodes: [{ op: 'Add', inputs: ['X', 'K'], outputs: ['Y'] }],
    });
    const model = await start(file);
    // 0.2 + 0.1 in float64 is not what float32 would give.
    expect(await model.predict('r', [0.2])).toEqual({ outputs: [0.2 + 0.1] });
  });

  it('answers a run ONNX Runtime refuses with its message; an output not per row is a failure', async () => {
    const file = join(dir, 'reshape.onnx');
    writeOnnxModel(file, {
      inputs: [{ name: 'X', type: 'float32', shape: ['batch', 2] }],
      outputs: [{ name: 'Y', type: 'float32', shape: ['batch', 3] }],
      initializers: [{ name: 'shape', type: 'int64', dims: [2], values: [-1, 3] }],
      nodes: [{ op: 'Reshape', inputs: ['X', 'shape'], outputs: ['Y'] }],
    });
    const model = await start(file);
    // One row of two cannot be reshaped into rows of three.
    expect(errorOf(await model.predict('r', [[1, 2]]))).toMatch(/cannot be reshaped/);
    // Three rows of two can, into two rows: no longer an output per row.
    await expect(model.predict('six', [[1, 2], [3, 4], [5, 6]])).rejects.toSatisfy(
      (e: unknown) => e instanceof RepriseError && e.code === 'REPRISE_ERR_MODEL_SERVING_FAILED' && /output Y of shape \[2, 3\] for 3 rows/.test(e.message),
    );
  });

  it('fails to start on a missing or corrupt file, naming it', async () => {
    const missing = join(dir, 'missing.onnx');
    await expect(runtime.start({ kind: 'onnx', file: missing, timeoutMs: 1000 })).rejects.toSatisfy(
      (e: unknown) => e instanceof RepriseError && e.code === 'REPRISE_ERR_MODEL_SERVING_FAILED' && e.message.includes(missing) && e.details?.file === missing,
    );
    const corrupt = join(dir, 'corrupt.onnx');
    writeFileSync(corrupt, 'this is not a protobuf message, let alone a model\n');
    await expect(runtime.start({ kind: 'onnx', file: corrupt, timeoutMs: 1000 })).rejects.toSatisfy(
      (e: unknown) => e instanceof RepriseError && e.code === 'REPRISE_ERR_MODEL_SERVING_FAILED' && e.message.includes(corrupt),
    );
  });

  it('refuses requests once stopped', async () => {
    const file = join(dir, 'stopped.onnx');
    writeLinearOnnxModel(file, { weights: W, bias: B });
    const model = await start(file);
    await model.stop();
    await expect(model.predict('late', [[1, 2, 3]])).rejects.toMatchObject({ code: 'REPRISE_ERR_MODEL_SERVING_FAILED' });
  });
});
