/**
 * The subset of the ONNX schema (onnx/onnx.proto, proto2) that our graph builders emit,
 * as plain TypeScript data plus an encoder to protobuf bytes.
 *
 * Why: training (backend) and serving (edge) must run byte-identical artifacts, and the
 * edge must also be able to build small graphs itself (e.g. in-isolate retrieval over
 * a catalog that fits in memory). Keeping the schema subset here, with field numbers
 * copied from onnx.proto, lets both sides share one builder without a protobuf runtime.
 * Anything not listed (sparse tensors, subgraph attributes, external data, training
 * info) is deliberately unsupported.
 */
import { ProtoWriter } from "./protobuf-writer.js";

/** TensorProto.DataType values we use. */
export const TensorDataType = { FLOAT: 1, INT64: 7 } as const;
export type TensorDataType = (typeof TensorDataType)[keyof typeof TensorDataType];

/** AttributeProto.AttributeType values we use. */
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

/** A dimension is fixed (number) or symbolic (string, e.g. "batch"). */
export type Dim = number | string;

export interface ValueInfo {
  name: string;
  elemType: TensorDataType;
  shape: readonly Dim[];
}

export type Tensor =
  | { name: string; dataType: typeof TensorDataType.FLOAT; dims: readonly number[]; data: Float32Array }
  | { name: string; dataType: typeof TensorDataType.INT64; dims: readonly number[]; data: BigInt64Array };

export type AttributeValue =
  | { kind: "int"; value: number }
  | { kind: "float"; value: number }
  | { kind: "string"; value: string }
  | { kind: "ints"; value: readonly number[] }
  | { kind: "floats"; value: readonly number[] }
  | { kind: "strings"; value: readonly string[] };

export interface Node {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  /** Operator domain; omitted = the default "ai.onnx". Tree ensembles live in "ai.onnx.ml". */
  domain?: string;
  attributes?: Readonly<Record<string, AttributeValue>>;
}

export interface Graph {
  name: string;
  nodes: readonly Node[];
  initializers: readonly Tensor[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
}

export interface Model {
  /** ONNX IR version; 8 pairs with opsets up to 18 and loads in every onnxruntime we ship. */
  irVersion: number;
  /** Default-domain ("ai.onnx") opset version. */
  opset: number;
  /** Opsets of other domains the graph uses, e.g. { "ai.onnx.ml": 3 }. */
  domainOpsets?: Readonly<Record<string, number>>;
  producerName: string;
  producerVersion?: string;
  docString?: string;
  graph: Graph;
}

function encodeValueInfo(v: ValueInfo): ProtoWriter {
  // TensorShapeProto.Dimension: dim_value = 1, dim_param = 2
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    const dim = new ProtoWriter();
    if (typeof d === "number") {
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`${v.name}: bad dim ${d}`);
      dim.varint(1, d);
    } else {
      dim.string(2, d);
    }
    shape.message(1, dim); // TensorShapeProto.dim = 1
  }
  // TypeProto.Tensor: elem_type = 1, shape = 2
  const tensorType = new ProtoWriter().varint(1, v.elemType).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType); // TypeProto.tensor_type = 1
  // ValueInfoProto: name = 1, type = 2
  return new ProtoWriter().string(1, v.name).message(2, type);
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Little-endian raw bytes of a typed array (ONNX raw_data is always little-endian).
 * Every host we run on is little-endian, so this is a zero-copy view there; the DataView
 * path keeps big-endian hosts correct rather than silently wrong.
 */
function rawLittleEndian(t: Tensor): Uint8Array {
  // A view, not a copy: the writer copies it into the message once.
  if (HOST_IS_LITTLE_ENDIAN) return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Uint8Array(t.data.length * (t.dataType === TensorDataType.FLOAT ? 4 : 8));
  const view = new DataView(out.buffer);
  if (t.dataType === TensorDataType.FLOAT) {
    t.data.forEach((x, i) => view.setFloat32(i * 4, x, true));
  } else {
    t.data.forEach((x, i) => view.setBigInt64(i * 8, x, true));
  }
  return out;
}

function encodeTensor(t: Tensor): ProtoWriter {
  const expected = t.dims.reduce((a, b) => a * b, 1);
  if (expected !== t.data.length) {
    throw new RangeError(`initializer ${t.name}: dims [${t.dims.join(",")}] need ${expected} values, got ${t.data.length}`);
  }
  // TensorProto: dims = 1 (repeated int64), data_type = 2, name = 8, raw_data = 9.
  // raw_data rather than float_data/int64_data: one memcpy on load, 4 bytes per float.
  return new ProtoWriter().packedVarints(1, t.dims).varint(2, t.dataType).string(8, t.name).bytes(9, rawLittleEndian(t));
}

function encodeAttribute(name: string, a: AttributeValue): ProtoWriter {
  // AttributeProto: name = 1, f = 2, i = 3, s = 4, floats = 7, ints = 8, type = 20
  const w = new ProtoWriter().string(1, name);
  switch (a.kind) {
    case "int":
      return w.varint(3, a.value).varint(20, AttributeType.INT);
    case "float":
      return w.float(2, a.value).varint(20, AttributeType.FLOAT);
    case "string":
      return w.string(4, a.value).varint(20, AttributeType.STRING);
    case "ints":
      return w.packedVarints(8, a.value).varint(20, AttributeType.INTS);
    case "floats": {
      // repeated float, unpacked: parsers must accept both forms and this keeps the writer small.
      for (const f of a.value) w.float(7, f);
      return w.varint(20, AttributeType.FLOATS);
    }
    case "strings": {
      for (const s of a.value) w.string(9, s); // AttributeProto.strings = 9
      return w.varint(20, AttributeType.STRINGS);
    }
  }
}

function encodeNode(n: Node): ProtoWriter {
  // NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name !== undefined) w.string(3, n.name);
  w.string(4, n.opType);
  if (n.domain !== undefined) w.string(7, n.domain); // NodeProto.domain = 7
  for (const [k, v] of Object.entries(n.attributes ?? {})) w.message(5, encodeAttribute(k, v));
  return w;
}

function encodeGraph(g: Graph): ProtoWriter {
  // GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, encodeNode(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, encodeTensor(t));
  for (const i of g.inputs) w.message(11, encodeValueInfo(i));
  for (const o of g.outputs) w.message(12, encodeValueInfo(o));
  return w;
}

/** Serialises a model to ONNX protobuf bytes (what InferenceSession.create accepts). */
export function encodeModel(m: Model): Uint8Array {
  // OperatorSetIdProto: domain = 1, version = 2. Empty domain = the default "ai.onnx".
  const opset = new ProtoWriter().string(1, "").varint(2, m.opset);
  // ModelProto: ir_version = 1, producer_name = 2, producer_version = 3, doc_string = 6,
  // graph = 7, opset_import = 8
  const w = new ProtoWriter().varint(1, m.irVersion).string(2, m.producerName);
  if (m.producerVersion !== undefined) w.string(3, m.producerVersion);
  if (m.docString !== undefined) w.string(6, m.docString);
  w.message(7, encodeGraph(m.graph)).message(8, opset);
  for (const [domain, version] of Object.entries(m.domainOpsets ?? {})) {
    w.message(8, new ProtoWriter().string(1, domain).varint(2, version));
  }
  return w.finish();
}
