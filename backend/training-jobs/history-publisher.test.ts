import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys } from "../../models/feature-keys.js";
import { decodeTrainedHistory, type TrainedItem } from "../../models/trained-history.js";
import { hashUserId } from "../../models/user-hash.js";
import type { FeatureStore } from "../feature-store/feature-store.js";
import { DEFAULT_GATE_CONFIG } from "../registry/gates.js";
import { startHarness, TEST_REDIS_URL, type Harness } from "../test-support/backend-harness.js";
import { makeCandidate, recordingPublisher } from "../test-support/training-stand-ins.js";
import { writeTombstone } from "../users/erased-users.js";
import { createHistoryPublisher } from "./history-publisher.js";
import { insertJob } from "./job-store.js";
import { releaseCandidate } from "./release-candidate.js";

const HASH_KEY = "test-user-hash-key-history";
let h: Harness;
let redis: IORedis;

beforeAll(async () => {
  h = await startHarness({ redis: "gateway" });
  redis = new IORedis(TEST_REDIS_URL);
});

afterAll(async () => {
  await redis?.quit();
  await h?.close();
});

const jobId = async () => (await insertJob(h.database.db, { modelType: "pipeline", trigger: "api", window: {} })).id;
const stored = async (user: string) => decodeTrainedHistory(await redis.get(keys.trainedHistory(user)));
const item = (item_id: string, ts: number, weight = 1): TrainedItem => ({ item_id, ts, weight });

describe("the trained-history publisher", () => {
  it("writes every user's value in batches, reporting progress after each", async () => {
    const users = Array.from({ length: 5 }, (_, i) => `${h.prefix}-u${i}`);
    const histories = new Map(users.map((u, i) => [u, [item(`i${i}`, 2000, 3), item("shared", 1000)]]));
    const progress: Array<[number, number]> = [];
    const publisher = createHistoryPublisher({ db: h.database.db, featureStore: h.featureStore, userIdHashKey: HASH_KEY, batchSize: 2 });
    expect(await publisher.publish(histories, (done, total) => progress.push([done, total]))).toBe(5);
    expect(progress).toEqual([
      [2, 5],
      [4, 5],
      [5, 5],
    ]);
    expect(await stored(users[3]!)).toEqual([item("i3", 2000, 3), item("shared", 1000)]);
  });

  it("drops what an erasure covered, and deletes the value of a user erased while it was written", async () => {
    const [kept, erasedBefore, erasedDuring] = ["kept", "erased-before", "erased-during"].map((u) => `${h.prefix}-${u}`) as [string, string, string];
    await writeTombstone(h.database.db, await hashUserId(erasedBefore, HASH_KEY), new Date(1500));
    const racing: Pick<FeatureStore, "writeTrainedHistories" | "deleteTrainedHistories"> = {
      async writeTrainedHistories(entries) {
        await h.featureStore.writeTrainedHistories(entries);
        await writeTombstone(h.database.db, await hashUserId(erasedDuring, HASH_KEY), new Date(5000));
      },
      deleteTrainedHistories: (users) => h.featureStore.deleteTrainedHistories(users),
    };
    const histories = new Map([
      [kept, [item("a", 2000)]],
      // Came back after the erasure: only the newer item is theirs to keep.
      [erasedBefore, [item("b", 2000), item("c", 1000)]],
      [erasedDuring, [item("d", 2000)]],
    ]);
    const publisher = createHistoryPublisher({ db: h.database.db, featureStore: racing, userIdHashKey: HASH_KEY });
    expect(await publisher.publish(histories)).toBe(2);
    expect(await stored(kept)).toEqual([item("a", 2000)]);
    expect(await stored(erasedBefore)).toEqual([item("b", 2000)]);
    expect(await redis.exists(keys.trainedHistory(erasedDuring))).toBe(0);
  });
});

describe("releasing a candidate with trained histories", () => {
  it("publishes them before the version is activated", async () => {
    const publisher = recordingPublisher();
    const user = `${h.prefix}-release`;
    const activatedBeforeHistories: string[][] = [];
    const histories = {
      publish: async (m: ReadonlyMap<string, readonly TrainedItem[]>) => {
        activatedBeforeHistories.push([...publisher.activated]);
        return createHistoryPublisher({ db: h.database.db, featureStore: h.featureStore, userIdHashKey: HASH_KEY }).publish(m);
      },
    };
    const c = { ...(await makeCandidate({ version: `${h.prefix}-v1`, ndcg: 0.3, recall: 0.2 })), userHistories: new Map([[user, [item("x", 10)]]]) };
    const steps: string[] = [];
    const out = await releaseCandidate({ db: h.database.db, publisher, gate: DEFAULT_GATE_CONFIG, histories }, c, {
      jobId: await jobId(),
      step: async (m) => void steps.push(m),
    });
    expect(out.promoted).toBe(true);
    expect(activatedBeforeHistories).toEqual([[]]);
    expect(publisher.activated).toEqual([c.version]);
    expect(steps).toContain("publishing the trained histories of 1 user");
    expect(await stored(user)).toEqual([item("x", 10)]);
  });

  it("still activates the version when the feature store is down, and says so", async () => {
    const publisher = recordingPublisher();
    const c = {
      ...(await makeCandidate({ version: `${h.prefix}-v2`, ndcg: 0.31, recall: 0.2 })),
      userHistories: new Map([[`${h.prefix}-down`, [item("x", 10)]]]),
    };
    const steps: string[] = [];
    h.featureStore.failing = true;
    try {
      const histories = createHistoryPublisher({ db: h.database.db, featureStore: h.featureStore, userIdHashKey: HASH_KEY });
      const out = await releaseCandidate({ db: h.database.db, publisher, gate: DEFAULT_GATE_CONFIG, histories }, c, {
        jobId: await jobId(),
        step: async (m) => void steps.push(m),
      });
      expect(out.promoted).toBe(true);
    } finally {
      h.featureStore.failing = false;
    }
    expect(publisher.activated).toEqual([c.version]);
    expect(steps.find((s) => s.startsWith("trained histories not published"))).toMatch(/feature store down \(test\).*live sessions only/);
  });
});
