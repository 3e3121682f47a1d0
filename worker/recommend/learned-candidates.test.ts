/**
 * Retrieval scores for candidates other sources found, in workerd: the graph gathers
 * them (item_scores), and every id must get the score the older layout's all_scores holds
 * for it, however the ids come (repeats, items outside the version, items in the top list).
 * The tiny versions' numbers are worked out in test-support/model-artifacts.ts.
 */
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { uniq } from "../test-support/fixtures.js";
import { buildTestVersion, storeVersion, V1_FACTORS, writePointer } from "../test-support/model-artifacts.js";
import { getActiveModel, resetActiveModelForTests, type LoadedModel } from "../models/active-model.js";
import { inProcessRetrieval } from "./learned-candidates.js";

async function serve(opts: { allScoresOutput?: boolean }): Promise<LoadedModel> {
  await resetActiveModelForTests();
  const v = await buildTestVersion(uniq("v"), V1_FACTORS, opts);
  await writePointer(v.version, await storeVersion(v));
  const m = await getActiveModel(env);
  if (!m) throw new Error("the version did not load");
  return m;
}

beforeEach(() => resetActiveModelForTests());

describe("inProcessRetrieval", () => {
  // History b at strength 1 over y = [1, 2, −1]: scores a 4/11, b 8/11, c −4/11; the top 2 are b, a.
  const history = [{ index: 1, strength: 1 }];
  const others = ["c", "missing", "a", "c"];

  it("scores the other sources' candidates from the graph's gather, c only there", async () => {
    const m = await serve({});
    expect(m.retrieval!.inputNames).toContain("score_items");
    const found = await inProcessRetrieval(m, history, others);
    expect(found.top.map(([id]) => id)).toEqual(["b", "a"]);
    expect(found.scoreOf("c")).toBeCloseTo(-4 / 11, 5);
    expect(found.scoreOf("a")).toBeCloseTo(4 / 11, 5);
    expect(found.scoreOf("b")).toBeCloseTo(8 / 11, 5);
    expect(found.scoreOf("missing")).toBeNull();
  });

  it("gives the same scores as a version whose graph hands out every item's score", async () => {
    const gathered = await inProcessRetrieval(await serve({}), history, others);
    const legacy = await inProcessRetrieval(await serve({ allScoresOutput: true }), history, others);
    expect(legacy.top).toEqual(gathered.top);
    for (const id of ["a", "b", "c", "missing"]) expect(legacy.scoreOf(id)).toBe(gathered.scoreOf(id));
  });

  it("asks for no scores when no other source found anything", async () => {
    const found = await inProcessRetrieval(await serve({}), history, []);
    expect(found.top.map(([id]) => id)).toEqual(["b", "a"]);
    expect(found.scoreOf("c")).toBeNull();
  });
});
