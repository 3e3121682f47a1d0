/**
 * ONNX graph for the LambdaMART ranker: one ai.onnx.ml TreeEnsembleRegressor.
 *
 * Why: the backend trains the ensemble (backend/training/lambdamart.ts) and the edge
 * scores candidates with it; shipping it as ONNX means both run the same bytes in
 * onnxruntime (node in the backend for publish-time checks, web/wasm at the edge), and
 * the reference `predict` in the trainer is the oracle both are tested against.
 *
 * Graph (default opset 17, ai.onnx.ml opset 3, IR 8):
 *   features [candidates, F] float ─ TreeEnsembleRegressor(SUM, post_transform NONE,
 *     base_values [baseScore]) → scores [candidates, 1] float
 *
 * Semantics that must match `predict`:
 * - A split node is BRANCH_LEQ: x ≤ threshold takes the true branch, which is our left child.
 * - nodes_values and target_weights are float32 in the protobuf, so thresholds and leaf
 *   values are rounded to float32 on export; `predict` rounds them the same way.
 * - nodes_missing_value_tracks_true is 0 everywhere, so NaN (for which ≤ is false) goes
 *   to the false (right) branch, as it does in `predict`.
 * Node ids are the indices in each tree's `nodes` array; tree ids are positions in
 * `model.trees`. onnxruntime accumulates in float32, `predict` in float64: the two agree
 * to float32 rounding of the sum (≈1e-7 relative), not bit for bit.
 */
import { compileEnsemble, isLeaf, type TreeEnsemble } from "../ranker-model.js";
import { encodeModel, TensorDataType, type AttributeValue } from "./onnx-model.js";

export const RANKER_INPUT = "features";
export const RANKER_OUTPUT = "scores";
/** The symbolic batch dimension: how many candidates one request scores. */
export const RANKER_BATCH_DIM = "candidates";

interface NodeColumns {
  treeIds: number[];
  nodeIds: number[];
  featureIds: number[];
  values: number[];
  modes: string[];
  trueIds: number[];
  falseIds: number[];
}

interface TargetColumns {
  treeIds: number[];
  nodeIds: number[];
  weights: number[];
}

/** The flat per-node and per-leaf attribute columns TreeEnsembleRegressor takes. */
function columns(model: TreeEnsemble): { nodes: NodeColumns; targets: TargetColumns } {
  const nodes: NodeColumns = { treeIds: [], nodeIds: [], featureIds: [], values: [], modes: [], trueIds: [], falseIds: [] };
  const targets: TargetColumns = { treeIds: [], nodeIds: [], weights: [] };
  model.trees.forEach((tree, t) => {
    tree.nodes.forEach((node, i) => {
      nodes.treeIds.push(t);
      nodes.nodeIds.push(i);
      if (isLeaf(node)) {
        nodes.featureIds.push(0);
        nodes.values.push(0);
        nodes.modes.push("LEAF");
        nodes.trueIds.push(0);
        nodes.falseIds.push(0);
        targets.treeIds.push(t);
        targets.nodeIds.push(i);
        targets.weights.push(Math.fround(node.value));
      } else {
        nodes.featureIds.push(node.feature);
        nodes.values.push(Math.fround(node.threshold));
        nodes.modes.push("BRANCH_LEQ");
        nodes.trueIds.push(node.left);
        nodes.falseIds.push(node.right);
      }
    });
  });
  return { nodes, targets };
}

/** TreeEnsembleRegressor attributes for the ensemble (exported for inspection in tests). */
export function treeEnsembleAttributes(model: TreeEnsemble): Record<string, AttributeValue> {
  const { nodes, targets } = columns(model);
  const ints = (value: readonly number[]): AttributeValue => ({ kind: "ints", value });
  return {
    n_targets: { kind: "int", value: 1 },
    aggregate_function: { kind: "string", value: "SUM" },
    post_transform: { kind: "string", value: "NONE" },
    base_values: { kind: "floats", value: [Math.fround(model.baseScore)] },
    nodes_treeids: ints(nodes.treeIds),
    nodes_nodeids: ints(nodes.nodeIds),
    nodes_featureids: ints(nodes.featureIds),
    nodes_values: { kind: "floats", value: nodes.values },
    nodes_modes: { kind: "strings", value: nodes.modes },
    nodes_truenodeids: ints(nodes.trueIds),
    nodes_falsenodeids: ints(nodes.falseIds),
    nodes_missing_value_tracks_true: ints(nodes.modes.map(() => 0)),
    target_treeids: ints(targets.treeIds),
    target_nodeids: ints(targets.nodeIds),
    target_ids: ints(targets.treeIds.map(() => 0)),
    target_weights: { kind: "floats", value: targets.weights },
  };
}

/**
 * @returns ONNX model bytes scoring `features` [candidates, model.featureCount] into
 *   `scores` [candidates, 1].
 * @throws RangeError if the ensemble is malformed (the same checks as `predict`), or has
 *   no trees (onnxruntime rejects a TreeEnsembleRegressor without nodes).
 */
export function buildRankerGraph(model: TreeEnsemble): Uint8Array {
  compileEnsemble(model); // validates structure, feature ranges and finiteness
  if (model.trees.length === 0) throw new RangeError("model has no trees; a TreeEnsembleRegressor needs at least one");
  const names = model.featureNames;
  if (names !== undefined && names.length !== model.featureCount) {
    throw new RangeError(`model.featureNames has ${names.length} names for ${model.featureCount} features`);
  }
  return encodeModel({
    irVersion: 8,
    opset: 17,
    domainOpsets: { "ai.onnx.ml": 3 },
    producerName: "edge-recs",
    docString: `LambdaMART ranker: ${model.trees.length} trees over ${model.featureCount} features${names === undefined ? "" : ` (${names.join(", ")})`}`,
    graph: {
      name: "ranker",
      nodes: [
        {
          opType: "TreeEnsembleRegressor",
          domain: "ai.onnx.ml",
          name: "lambdamart",
          inputs: [RANKER_INPUT],
          outputs: [RANKER_OUTPUT],
          attributes: treeEnsembleAttributes(model),
        },
      ],
      initializers: [],
      inputs: [{ name: RANKER_INPUT, elemType: TensorDataType.FLOAT, shape: [RANKER_BATCH_DIM, model.featureCount] }],
      outputs: [{ name: RANKER_OUTPUT, elemType: TensorDataType.FLOAT, shape: [RANKER_BATCH_DIM, 1] }],
    },
  });
}
