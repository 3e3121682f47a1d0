/**
 * Seeded pseudo-random numbers for training: factor initialisation and synthetic data.
 *
 * Training must be reproducible (a fit is a function of its data and seed), so nothing
 * here reads Math.random. The generator is SplitMix32-style mixing of a Weyl sequence:
 * 32-bit state, full period 2³², good enough statistical quality for initial values
 * and test data, and a handful of integer operations per draw. Normals come from the
 * Box–Muller transform, caching the second value of each pair.
 */
export class Rng {
  private state: number;
  private spareNormal = 0;
  private hasSpare = false;

  constructor(seed: number) {
    // Mix the seed once so that nearby seeds (1, 2, 3) start far apart.
    this.state = Math.imul(seed | 0, 0x9e3779b9) ^ 0x6d2b79f5;
  }

  /** Uniform on [0, 1), 32 bits of resolution. */
  next(): number {
    this.state = (this.state + 0x9e3779b9) | 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / 4294967296;
  }

  /** Shuffles `values` in place (Fisher–Yates) and returns them. */
  shuffle<T>(values: T[]): T[] {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [values[i], values[j]] = [values[j]!, values[i]!];
    }
    return values;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Normal(mean, sd). */
  normal(mean = 0, sd = 1): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return mean + sd * this.spareNormal;
    }
    // 1 − next() is in (0, 1], so the logarithm is finite.
    const u = 1 - this.next();
    const v = this.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = radius * Math.sin(2 * Math.PI * v);
    this.hasSpare = true;
    return mean + sd * radius * Math.cos(2 * Math.PI * v);
  }

  /** Fills `out` with Normal(0, sd) draws. */
  fillNormal(out: Float32Array | Float64Array, sd: number): void {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(0, sd);
  }
}
