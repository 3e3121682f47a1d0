import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { bucketOf, chooseExperiment, trafficBucketOf, type TargetingRequest } from "../models/experiments/assignment.js";
import { ExperimentSchema, type Experiment } from "../models/experiments/experiment.js";
import { ASSIGNMENTS_LIMIT, type UserSession } from "./user-session.js";

const stubFor = (unit: string) => env.USER_SESSION.get(env.USER_SESSION.idFromName(unit));
const REQUEST: TargetingRequest = { context: "home", country: "DE", device: "mobile", returning: true };

function experiment(weights: [number, number]): Experiment {
  return ExperimentSchema.parse({
    id: "hp-ranker",
    name: "Ranker v2 on the home page",
    salt: "hp-ranker-2026",
    status: "running",
    traffic_share: 1,
    variants: [
      { key: "control", weight: weights[0] },
      { key: "treatment", weight: weights[1] },
    ],
    primary_metric: "ctr",
    control: "control",
  });
}

/** What the serving path will do: stored assignments first, else bucket and store. */
async function serve(unit: string, e: Experiment): Promise<string> {
  const stub = stubFor(unit);
  const stored = new Map((await stub.assignments()).map((a) => [a.experiment_id, a.variant]));
  const choice = chooseExperiment([e], REQUEST, unit, stored);
  if (!choice) throw new Error("expected an assignment");
  return choice.source === "stored" ? choice.variant.key : await stub.assign(e.id, choice.variant.key);
}

describe("UserSession sticky assignments", () => {
  it("stores the first exposure and keeps it when a later call proposes another variant", async () => {
    const stub = stubFor("assign-u1");
    expect(await stub.assignments()).toEqual([]);
    expect(await stub.assign("exp-a", "treatment")).toBe("treatment");
    // The weights changed and bucketing now says control: the stored variant wins.
    expect(await stub.assign("exp-a", "control")).toBe("treatment");
    expect(await stub.assign("exp-b", "control")).toBe("control");
    const list = await stub.assignments();
    expect(list.map(({ experiment_id, variant }) => [experiment_id, variant])).toEqual([
      ["exp-a", "treatment"],
      ["exp-b", "control"],
    ]);
    expect(list.every((a) => Number.isInteger(a.assigned_at) && a.assigned_at > 0)).toBe(true);
  });

  it("keeps users independent", async () => {
    expect(await stubFor("assign-u2").assign("exp-a", "control")).toBe("control");
    expect(await stubFor("assign-u3").assign("exp-a", "treatment")).toBe("treatment");
    expect(await stubFor("assign-u2").assign("exp-a", "treatment")).toBe("control");
    expect(await stubFor("assign-u4").assignments()).toEqual([]);
  });

  it("gives concurrent first exposures one answer", async () => {
    const stub = stubFor("assign-race");
    const answers = await Promise.all(["a", "b", "c", "d"].map((v) => stub.assign("exp-race", v)));
    expect(new Set(answers).size).toBe(1);
  });

  it("survives a weight change end to end for users already assigned", async () => {
    const before = experiment([50, 50]);
    const after = experiment([10, 90]);
    const units = Array.from({ length: 40 }, (_, i) => `assign-e2e-${i}`);
    const first = await Promise.all(units.map((u) => serve(u, before)));
    expect(new Set(first)).toEqual(new Set(["control", "treatment"]));
    const later = await Promise.all(units.map((u) => serve(u, after)));
    expect(later).toEqual(first);
    // Some of them would have moved without the stored assignment.
    const rebucketed = units.map((u) => chooseExperiment([after], REQUEST, u)!.variant.key);
    expect(rebucketed).not.toEqual(first);
  });

  it("refuses empty or oversized keys", async () => {
    // Called in the object, not over RPC: an exception thrown across RPC is also reported
    // by the test pool as an unhandled rejection.
    await runInDurableObject(stubFor("assign-bad"), (instance) => {
      const session = instance as UserSession;
      expect(() => session.assign("", "control")).toThrow(/experimentId/);
      expect(() => session.assign("exp", "x".repeat(129))).toThrow(/proposedVariant/);
      expect(session.assignments()).toEqual([]);
    });
  });

  it("carries an anonymous session's assignments to the logged-in user once, the user's own winning", async () => {
    const session = stubFor("assign-anon-session-1");
    await session.assign("exp-a", "treatment");
    await session.assign("exp-b", "treatment");
    const user = stubFor("assign-login-user-1");
    await user.assign("exp-b", "control");
    expect(await user.linkAnonymous("assign-anon-session-1")).toBe(1);
    expect(await user.assign("exp-a", "control")).toBe("treatment");
    expect(await user.assign("exp-b", "treatment")).toBe("control");
    // A session assigned later is not copied again: each session is linked once.
    await session.assign("exp-c", "treatment");
    expect(await user.linkAnonymous("assign-anon-session-1")).toBe(0);
    expect((await user.assignments()).map((a) => a.experiment_id).sort()).toEqual(["exp-a", "exp-b"]);
    expect(await user.linkAnonymous("assign-login-user-1")).toBe(0); // itself
  });

  it("is bounded and erased with the rest of the session", async () => {
    const stub = stubFor("assign-erase");
    await runInDurableObject(stub, async (instance) => {
      const session = instance as UserSession;
      for (let i = 0; i < ASSIGNMENTS_LIMIT + 5; i++) session.assign(`exp-${i}`, "control");
      const held = session.assignments();
      expect(held).toHaveLength(ASSIGNMENTS_LIMIT);
      expect(held.some((a) => a.experiment_id === `exp-${ASSIGNMENTS_LIMIT + 4}`)).toBe(true);
      await session.erase();
      expect(session.assignments()).toEqual([]);
      expect(session.assign("exp-0", "treatment")).toBe("treatment");
    });
  });

  it("buckets exactly as in Node (same hash in every isolate)", () => {
    // The same reference values as models/experiments/assignment.test.ts (Node).
    expect(bucketOf("user-1", "hp-ranker-2026")).toBe(7794);
    expect(bucketOf("user-2", "hp-ranker-2026")).toBe(9515);
    expect(bucketOf("anon-7f3a", "hp-ranker-2026")).toBe(2009);
    expect(trafficBucketOf("user-1")).toBe(2373);
    expect(trafficBucketOf("anon-7f3a")).toBe(84);
  });
});
