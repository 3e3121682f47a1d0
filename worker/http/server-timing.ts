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

  async measure<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.entries.push({ name, ms: performance.now() - start });
    }
  }

  measureSync<T>(name: string, fn: () => T): T {
    const start = performance.now();
    try {
      return fn();
    } finally {
      this.entries.push({ name, ms: performance.now() - start });
    }
  }

  /** Stages as `name;dur=ms`; the round trips, when there were any, as `trips;desc="n"` (a count, not a time). */
  header(): string {
    const stages = this.entries.map((e) => `${e.name};dur=${e.ms.toFixed(1)}`);
    if (this.roundTrips > 0) stages.push(`trips;desc="${this.roundTrips}"`);
    return stages.join(", ");
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.entries.map((e) => [e.name, Math.round(e.ms * 10) / 10]));
  }
}
