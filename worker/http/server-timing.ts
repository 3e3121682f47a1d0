/**
 * Per-stage timings, reported in `Server-Timing` so a caller (or a browser's dev
 * tools) sees where the milliseconds of a request went.
 */
export class Timing {
  private readonly entries: Array<{ name: string; ms: number; desc?: string }> = [];

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

  header(): string {
    return this.entries.map((e) => `${e.name};dur=${e.ms.toFixed(1)}`).join(", ");
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.entries.map((e) => [e.name, Math.round(e.ms * 10) / 10]));
  }
}
