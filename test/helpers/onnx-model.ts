/**
 * @module test/helpers/onnx-model
 * Real ONNX model files for tests, written without Python: the subset of onnx.proto a small
 * graph needs (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto, TypeProto, TensorShapeProto, OperatorSetIdProto), with onnx.proto's field
 * numbers, encoded by protobufjs. `writeLinearOnnxModel` writes X → MatMul(W) → Add(B) → Y;
 * `writeOnnxModel` any graph of standard operators; `linearPredict` is what the linear model
 * answers, rounded to float32 as ONNX Runtime computes it.
 */
import { writeFileSync } from 'node:fs';
import protobuf from 'protobufjs/light.js';

type Fields = Record<string, { type: string; id: number; rule?: 'repeated' }>;

const message = (fields: Fields, oneofs?: Record<string, string[]>): protobuf.IType =>
  oneofs ? { fields, oneofs: Object.fromEntries(Object.entries(oneofs).map(([k, v]) => [k, { oneof: v }])) } : { fields };

const DESCRIPTOR = {
  nested: {
    onnx: {
      nested: {
        ModelProto: message({
          ir_version: { type: 'int64', id: 1 },
          producer_name: { type: 'string', id: 2 },
          producer_version: { type: 'string', id: 3 },
          graph: { type: 'GraphProto', id: 7 },
          opset_import: { type: 'OperatorSetIdProto', id: 8, rule: 'repeated' },
        }),
        OperatorSetIdProto: message({ domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } }),
        GraphProto: message({
          node: { type: 'NodeProto', id: 1, rule: 'repeated' },
          name: { type: 'string', id: 2 },
          initializer: { type: 'TensorProto', id: 5, rule: 'repeated' },
          input: { type: 'ValueInfoProto', id: 11, rule: 'repeated' },
          output: { type: 'ValueInfoProto', id: 12, rule: 'repeated' },
        }),
        NodeProto: message({
          input: { type: 'string', id: 1, rule: 'repeated' },
          output: { type: 'string', id: 2, rule: 'repeated' },
          name: { type: 'string', id: 3 },
          op_type: { type: 'string', id: 4 },
          attribute: { type: 'AttributeProto', id: 5, rule: 'repeated' },
        }),
        AttributeProto: message({
          name: { type: 'string', id: 1 },
          i: { type: 'int64', id: 3 },
          ints: { type: 'int64', id: 8, rule: 'repeated' },
          type: { type: 'int32', id: 20 },
        }),
        TensorProto: message({
          dims: { type: 'int64', id: 1, rule: 'repeated' },
          data_type: { type: 'int32', id: 2 },
          float_data: { type: 'float', id: 4, rule: 'repeated' },
          int32_data: { type: 'int32', id: 5, rule: 'repeated' },
          int64_data: { type: 'int64', id: 7, rule: 'repeated' },
          name: { type: 'string', id: 8 },
          double_data: { type: 'double', id: 10, rule: 'repeated' },
        }),
        ValueInfoProto: message({ name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } }),
        TypeProto: message({ tensor_type: { type: 'TypeProtoTensor', id: 1 } }, { value: ['tensor_type'] }),
        TypeProtoTensor: message({ elem_type: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } }),
        TensorShapeProto: message({ dim: { type: 'Dimension', id: 1, rule: 'repeated' } }),
        Dimension: message({ dim_value: { type: 'int64', id: 1 }, dim_param: { type: 'string', id: 2 } }, { value: ['dim_value', 'dim_param'] }),
      },
    },
  },
};

/** TensorProto.DataType numbers of the element types tests use. */
export const ONNX_TYPE = { float32: 1, int32: 6, int64: 7, float64: 11 } as const;
export type OnnxElementType = keyof typeof ONNX_TYPE;

/** AttributeProto.AttributeType numbers. */
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;

/** A graph input or output: a tensor with a shape whose dimensions are sizes or names (`'batch'`). */
export interface OnnxValue {
  readonly name: string;
  readonly type: OnnxElementType;
  readonly shape: readonly (number | string)[];
}

/** A constant of the graph, its values in row-major order. */
export interface OnnxInitializer {
  readonly name: string;
  readonly type: OnnxElementType;
  readonly dims: readonly number[];
  readonly values: readonly number[];
}

export interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Integer attributes (`to` of Cast, `axis`, …); an array is an INTS attribute. */
  readonly attributes?: Readonly<Record<string, number | readonly number[]>>;
}

export interface OnnxGraph {
  readonly inputs: readonly OnnxValue[];
  readonly outputs: readonly OnnxValue[];
  readonly initializers?: readonly OnnxInitializer[];
  readonly nodes: readonly OnnxNode[];
}

let root: protobuf.Root | undefined;

/** The serialized ModelProto of a graph: IR version 8, the default domain's opset 13. */
export function onnxModelBytes(graph: OnnxGraph): Uint8Array {
  root ??= protobuf.Root.fromJSON(DESCRIPTOR);
  const Model = root.lookupType('onnx.ModelProto');
  const valueInfo = (v: OnnxValue) => ({
    name: v.name,
    type: {
      tensor_type: {
        elem_type: ONNX_TYPE[v.type],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  });
  const tensor = (t: OnnxInitializer) => {
    const expected = t.dims.reduce((a, b) => a * b, 1);
    if (expected !== t.values.length) throw new Error(`initializer ${t.name}: dims ${JSON.stringify(t.dims)} take ${expected} values, not ${t.values.length}`);
    const data =
      t.type === 'float32' ? { float_data: t.values } : t.type === 'float64' ? { double_data: t.values } : t.type === 'int32' ? { int32_data: t.values } : { int64_data: t.values };
    return { name: t.name, dims: t.dims, data_type: ONNX_TYPE[t.type], ...data };
  };
  const node = (n: OnnxNode, i: number) => ({
    name: `${n.op.toLowerCase()}_${i}`,
    op_type: n.op,
    input: n.inputs,
    output: n.outputs,
    attribute: Object.entries(n.attributes ?? {}).map(([name, v]) =>
      typeof v === 'number' ? { name, type: ATTRIBUTE_INT, i: v } : { name, type: ATTRIBUTE_INTS, ints: v },
    ),
  });
  const model = {
    ir_version: 8,
    producer_name: 'reprise-tests',
    producer_version: '1',
    opset_import: [{ domain: '', version: 13 }],
    graph: {
      name: 'test',
      node: graph.nodes.map(node),
      initializer: (graph.initializers ?? []).map(tensor),
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
    },
  };
  const problem = Model.verify(model);
  if (problem) throw new Error(`ONNX model does not fit onnx.proto: ${problem}`);
  return Model.encode(Model.fromObject(model)).finish();
}

/** Writes a graph as an .onnx file. */
export function writeOnnxModel(path: string, graph: OnnxGraph): void {
  writeFileSync(path, onnxModelBytes(graph));
}

export interface LinearModel {
  /** in × out: `weights[i][j]` multiplies input i into output j. */
  readonly weights: readonly (readonly number[])[];
  /** One per output. */
  readonly bias: readonly number[];
}

/** The linear model's graph: X float32 ['batch', in] → MatMul(W) → Add(B) → Y float32 ['batch', out]. */
export function linearGraph({ weights, bias }: LinearModel): OnnxGraph {
  const inputs = weights.length;
  const outputs = bias.length;
  if (inputs === 0 || weights.some((row) => row.length !== outputs)) {
    throw new Error(`weights must be ${inputs} rows of ${outputs} (one per bias)`);
  }
  return {
    inputs: [{ name: 'X', type: 'float32', shape: ['batch', inputs] }],
    outputs: [{ name: 'Y', type: 'float32', shape: ['batch', outputs] }],
    initializers: [
      { name: 'W', type: 'float32', dims: [inputs, outputs], values: weights.flat() },
      { name: 'B', type: 'float32', dims: [outputs], values: [...bias] },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['X', 'W'], outputs: ['XW'] },
      { op: 'Add', inputs: ['XW', 'B'], outputs: ['Y'] },
    ],
  };
}

/** Writes the linear model Y = X·W + B as an .onnx file. */
export function writeLinearOnnxModel(path: string, model: LinearModel): void {
  writeOnnxModel(path, linearGraph(model));
}

/** What the linear model answers for each row, computed in float32 as ONNX Runtime does (up to summation order). */
export function linearPredict(weights: readonly (readonly number[])[], bias: readonly number[], rows: readonly (readonly number[])[]): number[][] {
  const f = Math.fround;
  return rows.map((row) =>
    bias.map((b, j) => {
      let sum = 0;
      row.forEach((x, i) => {
        sum = f(sum + f(f(x) * f(weights[i]?.[j] ?? NaN)));
      });
      return f(sum + f(b));
    }),
  );
}
