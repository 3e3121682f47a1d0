/**
 * The ranker's model format: a forest of regression trees (LambdaMART's output,
 * backend/training/lambdamart.ts) as plain JSON-serialisable data, with the checks and
 * the reference scorer shared by the trainer, the ONNX export (models/onnx/ranker-graph.ts)
 * and the publish-time validation. No training code here, so the ONNX builder and the
 * edge never depend on the backend.
 */

/** An internal node: rows with features[feature] ≤ threshold go to `left`. */
export interface SplitNode {
  feature: number;
  /** A float32 value. */
  threshold: number;
  left: number;
  right: number;
}

export interface LeafNode {
  /** A float32 value, already multiplied by the learning rate. */
  value: number;
}

export type TreeNode = SplitNode | LeafNode;

/** nodes[0] is the root; children are indices into `nodes`. */
export interface RegressionTree {
  nodes: TreeNode[];
}

export interface ValidationReport {
  ndcgAt: number;
  /** Best validation NDCG@k, reached with `trees` trees (the model keeps exactly those). */
  bestNdcg: number;
  trees: number;
  /** How many trees were grown before early stopping (or the budget) ended training. */
  treesGrown: number;
}

export interface TreeEnsemble {
  featureCount: number;
  baseScore: number;
  trees: RegressionTree[];
  featureNames?: string[];
  validation?: ValidationReport;
}

export function isLeaf(node: TreeNode): node is LeafNode {
  return "value" in node;
}

function checkPositiveInt(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
}

// ───────────────────────────── prediction ─────────────────────────────

/** The ensemble as flat typed arrays: the tree walk without object property lookups. */
export interface CompiledEnsemble {
  featureCount: number;
  baseScore: number;
  roots: Int32Array;
  /** −1 marks a leaf. */
  feature: Int32Array;
  threshold: Float32Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
}

/**
 * Checks the ensemble is a well-formed forest (every tree a proper tree over nodes[0],
 * features in range, finite values) and flattens it. Thresholds and values are
 * rounded to float32 here, the precision the ONNX graph stores, so a hand-built model
 * with a non-float32 threshold scores the same in `predict` as in onnxruntime.
 */
export function compileEnsemble(model: TreeEnsemble): CompiledEnsemble {
  checkPositiveInt("model.featureCount", model.featureCount);
  if (!Number.isFinite(model.baseScore)) throw new RangeError(`model.baseScore is not finite (${model.baseScore})`);
  const total = model.trees.reduce((s, t) => s + t.nodes.length, 0);
  const c: CompiledEnsemble = {
    featureCount: model.featureCount,
    baseScore: Math.fround(model.baseScore),
    roots: new Int32Array(model.trees.length),
    feature: new Int32Array(total),
    threshold: new Float32Array(total),
    left: new Int32Array(total),
    right: new Int32Array(total),
    value: new Float64Array(total),
  };
  let offset = 0;
  model.trees.forEach((tree, t) => {
    checkTree(tree, t, model.featureCount);
    c.roots[t] = offset;
    tree.nodes.forEach((node, i) => {
      const at = offset + i;
      if (isLeaf(node)) {
        c.feature[at] = -1;
        c.value[at] = Math.fround(node.value);
      } else {
        c.feature[at] = node.feature;
        c.threshold[at] = node.threshold;
        c.left[at] = offset + node.left;
        c.right[at] = offset + node.right;
      }
    });
    offset += tree.nodes.length;
  });
  return c;
}

/** Every node reachable from the root exactly once: no cycles, no shared or orphaned nodes. */
export function checkTree(tree: RegressionTree, t: number, featureCount: number): void {
  const n = tree.nodes.length;
  if (n === 0) throw new RangeError(`tree ${t} has no nodes`);
  const parents = new Int32Array(n);
  tree.nodes.forEach((node, i) => {
    const where = `tree ${t} node ${i}`;
    if (isLeaf(node)) {
      if (!Number.isFinite(node.value)) throw new RangeError(`${where}: leaf value is not finite (${node.value})`);
      return;
    }
    if (!Number.isInteger(node.feature) || node.feature < 0 || node.feature >= featureCount) {
      throw new RangeError(`${where}: feature ${node.feature} is out of range 0..${featureCount - 1}`);
    }
    if (!Number.isFinite(node.threshold)) throw new RangeError(`${where}: threshold is not finite (${node.threshold})`);
    for (const child of [node.left, node.right]) {
      if (!Number.isInteger(child) || child <= 0 || child >= n) throw new RangeError(`${where}: child ${child} is not a node index in 1..${n - 1}`);
      parents[child]!++;
    }
  });
  for (let i = 1; i < n; i++) {
    if (parents[i] !== 1) throw new RangeError(`tree ${t} node ${i} has ${parents[i]} parents; every non-root node needs exactly one`);
  }
  // n − 1 nodes with one parent each and a root with none: a tree iff there is no cycle,
  // and with n − 1 edges that holds iff every node is reachable from the root.
  const seen = new Uint8Array(n);
  const stack = [0];
  let reached = 0;
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (seen[i]) continue;
    seen[i] = 1;
    reached++;
    const node = tree.nodes[i]!;
    if (!isLeaf(node)) stack.push(node.left, node.right);
  }
  if (reached !== n) throw new RangeError(`tree ${t}: ${n - reached} nodes are not reachable from the root (a cycle)`);
}

/** One tree's leaf value for the row starting at features[base]. */
export function walk(c: CompiledEnsemble, root: number, x: Float32Array, base: number): number {
  let node = root;
  let f = c.feature[node]!;
  while (f >= 0) {
    // Both sides are float32 values, so this double comparison is the float32 one ONNX does.
    node = x[base + f]! <= c.threshold[node]! ? c.left[node]! : c.right[node]!;
    f = c.feature[node]!;
  }
  return c.value[node]!;
}

/** Scores of row-major [rows, featureCount] features with a compiled ensemble. */
export function predictCompiled(c: CompiledEnsemble, features: Float32Array, featureCount: number): Float32Array {
  if (featureCount !== c.featureCount) throw new RangeError(`featureCount ${featureCount} does not match the model's ${c.featureCount}`);
  if (features.length % featureCount !== 0) throw new RangeError(`features has ${features.length} values, not a multiple of featureCount ${featureCount}`);
  const rows = features.length / featureCount;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    // Sum in float64 from the base score in tree order: training's running scores do the same.
    let s = c.baseScore;
    for (let t = 0; t < c.roots.length; t++) s += walk(c, c.roots[t]!, features, r * featureCount);
    out[r] = s;
  }
  return out;
}

/**
 * Reference scorer: baseScore + Σ tree leaf values per row. Agrees with the ONNX graph
 * from models/onnx/ranker-graph.ts to float32 summation error. NaN features go right.
 */
export function predict(model: TreeEnsemble, features: Float32Array, featureCount: number): Float32Array {
  return predictCompiled(compileEnsemble(model), features, featureCount);
}
