/**
 * Per-stage timings, reported in `Server-Timing` so a caller (or a browser's dev
 * tools) sees where the milliseconds of a request went.
 */
export class Timing {
  private readonly entries: Array<{ name: string; ms: number; desc?: string }> = [];
  /** Network round trips the request waited on or started (Redis, Durable Objects, vector store). */
  private roundTrips = 0;

  trip(n = 1): void {
    this.roundTrips += n;
  }

  get trips(): number {
    return this.roundTrips;
  }

  /** `desc` goes into the header with the time, e.g. how many candidates the ranker scored. */
  async measure<T>(name: string, fn: () => Promise<T>, desc?: string): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.entries.push(desc === undefined ? { name, ms: performance.now() - start } : { name, ms: performance.now() - start, desc });
    }
  }

  /** `sinceMs` counts time spent on the stage before fn (a stage split around an await). */
  measureSync<T>(name: string, fn: () => T, sinceMs = 0): T {
    const start = performance.now();
    try {
      return fn();
    } finally {
      this.entries.push({ name, ms: performance.now() - start + sinceMs });
    }
  }

  /**
   * Stages as `name;dur=ms`; the round trips, when there were any, as `trips;desc="n"` (a
   * count, not a time). A stage measured more than once (a bulk call serves many users)
   * is one entry with the summed time and the count, so the header stays a few hundred
   * bytes however many users a call lists.
   */
  header(): string {
    const stages = [...this.byStage()].map(([name, { ms, n, desc }]) => {
      const note = n > 1 ? `${n}x` : desc;
      return note === undefined ? `${name};dur=${ms.toFixed(1)}` : `${name};dur=${ms.toFixed(1)};desc="${note}"`;
    });
    if (this.roundTrips > 0) stages.push(`trips;desc="${this.roundTrips}"`);
    return stages.join(", ");
  }

  /** Milliseconds per stage, summed over repeats. */
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.byStage()].map(([name, { ms }]) => [name, Math.round(ms * 10) / 10]));
  }

  private byStage(): Map<string, { ms: number; n: number; desc: string | undefined }> {
    const out = new Map<string, { ms: number; n: number; desc: string | undefined }>();
    for (const e of this.entries) {
      const seen = out.get(e.name);
      if (seen) {
        seen.ms += e.ms;
        seen.n++;
      } else out.set(e.name, { ms: e.ms, n: 1, desc: e.desc });
    }
    return out;
  }
}
