import { RftlabError } from "../errors";

/** A seeded pseudo-random stream (mulberry32 over a splitmix32-scrambled seed); identical on every platform. */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number;
  /** One element of a non-empty array. */
  choice<T>(items: readonly T[]): T;
  /** A shuffled copy (Fisher–Yates); the input is not changed. */
  shuffle<T>(items: readonly T[]): T[];
  /** Standard normal sample (Box–Muller). */
  normal(): number;
  /** An independent child stream, e.g. one per example, so adding draws in one place does not shift others. */
  fork(): Rng;
}

/** splitmix32 finaliser: spreads nearby seeds (0, 1, 2, ...) into unrelated states. */
function scramble(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * The raw mulberry32 stream seeded with `seed` as is (no scrambling): values in [0, 1). createRng scrambles
 * its seed first; model initialisation and randomized SVD seed this directly (their streams stay as published).
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fills `out` with N(0, std²) samples, two per pair of uniforms (Box–Muller, cos and sin). */
export function fillNormals<T extends Float32Array | Float64Array>(out: T, rand: () => number, std = 1): T {
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rand())) * std; // 1 − u ∈ (0, 1]: the log stays finite
    const theta = 2 * Math.PI * rand();
    out[i] = r * Math.cos(theta);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}

/** Creates a seeded generator. `seed` must be a finite integer (negative and large values are reduced mod 2³²). */
export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed)) throw new RftlabError(`createRng: seed must be an integer; got ${seed}`);
  const next = mulberry32(scramble(Number(BigInt.asUintN(32, BigInt(seed)))));
  const int = (lo: number, hi: number): number => {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) {
      throw new RftlabError(`rng.int(lo, hi): need integers with lo ≤ hi; got lo=${lo}, hi=${hi}`);
    }
    return lo + Math.floor(next() * (hi - lo + 1));
  };
  const rng: Rng = {
    next,
    int,
    choice<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RftlabError("rng.choice: items is empty; pass at least one item");
      return items[Math.floor(next() * items.length)];
    },
    shuffle<T>(items: readonly T[]): T[] {
      const out = items.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
    },
    normal(): number {
      const u = 1 - next(); // (0, 1]: log stays finite
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
    fork(): Rng {
      return createRng(Math.floor(next() * 4294967296));
    },
  };
  return rng;
}
