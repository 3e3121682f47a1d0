/**
 * Key layout of the real-time feature store (Upstash Redis). Backend and edge both
 * import it, so a renamed key cannot silently split the two.
 */
export const POPULARITY_WINDOWS = ["1h", "24h", "7d"] as const;
export type PopularityWindow = (typeof POPULARITY_WINDOWS)[number];

/** Each window is a half-life of exponential decay: "1h" is trending now, "7d" is popular. */
export const WINDOW_HALF_LIFE_MS: Readonly<Record<PopularityWindow, number>> = {
  "1h": 60 * 60 * 1000,
  "24h": 24 * 60 * 60 * 1000,
  "7d": 7 * 24 * 60 * 60 * 1000,
};

/**
 * Forward decay (Cormode et al., "Forward Decay", ICDE 2009): an event at time t adds
 * w·2^((t − L)/h) where L is a landmark. Ranking by the stored score equals ranking by
 * the decayed score at any later time, so nothing is rewritten as time passes. Scores
 * grow by 2^(EPOCH_HALF_LIVES) at most before the landmark moves to a new key; the
 * previous key is still read, scaled down by the same factor, so no history is lost.
 */
export const EPOCH_HALF_LIVES = 64;

const P = "recs";
export const keys = {
  item: (itemId: string) => `${P}:item:${itemId}`,
  /** Sorted set: item id → epoch ms its record last changed (models/catalog-changes.ts). */
  catalogChanged: () => `${P}:catalog:changed`,
  /** Epoch ms from which catalogChanged holds every change; absent: not known to be complete. */
  catalogCompleteSince: () => `${P}:catalog:since`,
  popularity: (window: PopularityWindow, epoch: number, category?: string | null) =>
    category ? `${P}:pop:${window}:${epoch}:c:${category}` : `${P}:pop:${window}:${epoch}`,
  coView: (itemId: string) => `${P}:cv:${itemId}`,
  coPurchase: (itemId: string) => `${P}:cp:${itemId}`,
  userRecent: (userId: string) => `${P}:ur:${userId}`,
  userPurchases: (userId: string) => `${P}:up:${userId}`,
  /** The user's items as the active model was trained on them (models/trained-history.ts). */
  trainedHistory: (userId: string) => `${P}:uh:${userId}`,
  eventSeen: (eventId: string) => `${P}:evt:${eventId}`,
  /** The id of the database (system of record) whose state this Redis holds; see claim-feature-store.ts. */
  owner: () => `${P}:owner`,
  /** Every key of the service, for SCAN MATCH. */
  all: () => `${P}:*`,
  /** Erasure tombstone: erased_at (epoch ms) under the keyed hash of the user id, never the id. */
  tombstone: (userHash: string) => `${P}:tomb:${userHash}`,
} as const;
