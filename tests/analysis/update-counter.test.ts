// The WebAssembly SIMD count equals the scalar definition (decode, castForDiff, countUpdates) exactly, for every
// stored dtype pair and precision, on random bits and edge values: NaN, ±0, ±inf, subnormals, rounding ties,
// fp16 overflow, and lengths that are not a multiple of the 8-entry SIMD step.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { decodeToFloat32 } from "../../lib/io/decode";
import { castForDiff, DIFF_PRECISIONS, type DiffPrecision } from "../../lib/analysis";
import { countUpdates } from "../../lib/analysis/sparsity";
import { castFor, UpdateCounter } from "../../lib/analysis/update-counter";
import { f32ToBf16, f32ToF16 } from "../../lib/tensor/dtype";

type Dtype = "BF16" | "F16" | "F32";
const DTYPES: Dtype[] = ["BF16", "F16", "F32"];

const F32_EDGES = [
  0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffc00001, 0x00000001, 0x807fffff, 0x00800000, 0x38800000, 0x387fffff,
  0x38000000, 0x477fe000, 0x477fefff, 0x477ff000, 0xc77ff000, 0x33800000, 0x33000000, 0x33000001, 0x7f7fffff, 0xff7fffff, 0x3f808000,
  0x3f818000, 0x3f800000, 0x3f800001, 0x3727c5ac, 0xb727c5ac,
];
const U16_EDGES = [
  0x0000, 0x8000, 0x7f80, 0xff80, 0x7fc0, 0x7f81, 0x0001, 0x8001, 0x007f, 0x7c00, 0xfc00, 0x7e00, 0x7c01, 0x03ff, 0x0400, 0x7bff, 0x7f7f,
  0x3c00, 0x3c01,
];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

/** Base and tuned values: edge bit patterns, random bits, and nearby pairs so every count is non-trivial. */
function values(n: number, seed: number): [Float32Array, Float32Array] {
  const r = rng(seed);
  const b = new Uint32Array(n);
  const t = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const kind = r() % 4;
    b[i] = kind === 0 ? F32_EDGES[r() % F32_EDGES.length] : kind === 1 ? r() : 0x3c000000 + (r() % 0x4000000);
    const u = r() % 5;
    t[i] = u === 0 ? b[i] : u === 1 ? F32_EDGES[r() % F32_EDGES.length] : u === 2 ? r() : b[i] + (r() % 0x40000) - 0x20000;
  }
  return [new Float32Array(b.buffer), new Float32Array(t.buffer)];
}

/** Stored bytes of `v` as `dtype`; 16-bit types get some raw edge patterns too. */
function store(v: Float32Array, dtype: Dtype, seed: number): Uint8Array {
  if (dtype === "F32") return new Uint8Array(v.slice().buffer);
  const h = dtype === "BF16" ? f32ToBf16(v) : f32ToF16(v);
  const r = rng(seed);
  for (let i = 0; i < h.length; i++) if (r() % 6 === 0) h[i] = U16_EDGES[r() % U16_EDGES.length];
  return new Uint8Array(h.buffer);
}

function definition(b: Uint8Array, bd: Dtype, t: Uint8Array, td: Dtype, precision: DiffPrecision, tol: number) {
  const cast = (x: Uint8Array, d: Dtype) => castForDiff(decodeToFloat32(x, d), precision);
  return countUpdates(cast(b, bd), cast(t, td), tol);
}

function viaCounter(simd: boolean, b: Uint8Array, bd: Dtype, t: Uint8Array, td: Dtype, precision: DiffPrecision, tol: number) {
  const n = b.byteLength / (bd === "F32" ? 4 : 2);
  const c = new UpdateCounter(n + 5, 4, 2, simd);
  // Stale bytes after the chunk must not count: fill the region first.
  for (const side of [0, 1] as const) c.region(1, side).fill(0x7f);
  c.region(1, 0).set(b);
  c.region(1, 1).set(t);
  return c.count(1, n, { dtype: bd, cast: castFor(bd, precision) }, { dtype: td, cast: castFor(td, precision) }, tol);
}

describe("UpdateCounter: SIMD count equals the scalar definition", () => {
  test("castFor skips the rounding that leaves stored values unchanged", () => {
    assert.deepEqual(
      DTYPES.map((d) => DIFF_PRECISIONS.map((p) => castFor(d, p))),
      [
        [null, "fp16", null, null],
        ["bf16", null, null, null],
        ["bf16", "fp16", null, null],
      ],
    );
  });

  for (const bd of DTYPES) {
    for (const td of DTYPES) {
      test(`${bd} vs ${td}, every precision and tolerance, lengths 1..9 and 4001`, () => {
        let seed = 1;
        for (const n of [1, 2, 7, 8, 9, 4001]) {
          const [vb, vt] = values(n, seed++);
          const b = store(vb, bd, seed++);
          const t = store(vt, td, seed++);
          for (const precision of DIFF_PRECISIONS) {
            for (const tol of [0, 1e-5, 1e-2, 3e38]) {
              const want = definition(b, bd, t, td, precision, tol);
              const what = `${bd}/${td} n=${n} ${precision} tol=${tol}`;
              assert.deepEqual(viaCounter(true, b, bd, t, td, precision, tol), want, `simd ${what}`);
              assert.deepEqual(viaCounter(false, b, bd, t, td, precision, tol), want, `js ${what}`);
            }
          }
        }
      });
    }
  }

  test("every bf16 and fp16 bit pattern against its neighbours, zero and infinity", () => {
    const n = 65536 * 4;
    for (const d of ["BF16", "F16"] as const) {
      const b = new Uint16Array(n);
      const t = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        b[i] = i & 0xffff;
        t[i] = [b[i] + 1, 0, d === "BF16" ? 0x7f80 : 0x7c00, b[i] ^ 0x8000][i >>> 16] & 0xffff;
      }
      for (const precision of DIFF_PRECISIONS) {
        const bytes = [new Uint8Array(b.buffer), new Uint8Array(t.buffer)] as const;
        assert.deepEqual(
          viaCounter(true, bytes[0], d, bytes[1], d, precision, 1e-5),
          definition(bytes[0], d, bytes[1], d, precision, 1e-5),
          `${d} ${precision}`,
        );
      }
    }
  });
});

describe("UpdateCounter.countWithSquares: Σ Δ² and Σ θ₀² of the values as compared", () => {
  /** The definition in float64: Δ as the f32 difference of the cast values, as counted. */
  function squares(b: Uint8Array, bd: Dtype, t: Uint8Array, td: Dtype, precision: DiffPrecision) {
    const x = castForDiff(decodeToFloat32(b, bd), precision);
    const y = castForDiff(decodeToFloat32(t, td), precision);
    let delta2 = 0;
    let base2 = 0;
    for (let i = 0; i < x.length; i++) {
      const d = Math.fround(y[i] - x[i]);
      delta2 += d * d;
      base2 += x[i] * x[i];
    }
    return { delta2, base2 };
  }
  test("SIMD and plain JS agree with the definition (finite values), counts unchanged; withBase: false skips Σ θ₀² in JS", () => {
    let seed = 100;
    for (const bd of DTYPES) {
      for (const td of DTYPES) {
        for (const n of [1, 9, 4001]) {
          const r = rng(seed++);
          const vb = Float32Array.from({ length: n }, () => ((r() % 2001) - 1000) * 1e-4);
          const vt = vb.map((v) => (r() % 3 === 0 ? v + ((r() % 201) - 100) * 1e-5 : v));
          const b = store(vb, "F32", 0);
          const t = store(vt, "F32", 0);
          const [sb, st] = [
            bd === "F32" ? b : new Uint8Array((bd === "BF16" ? f32ToBf16(vb) : f32ToF16(vb)).buffer),
            td === "F32" ? t : new Uint8Array((td === "BF16" ? f32ToBf16(vt) : f32ToF16(vt)).buffer),
          ];
          for (const precision of DIFF_PRECISIONS) {
            const want = squares(sb, bd, st, td, precision);
            for (const simd of [true, false]) {
              const c = new UpdateCounter(n, 4, 1, simd);
              c.region(0, 0).set(sb);
              c.region(0, 1).set(st);
              const sides = [
                { dtype: bd, cast: castFor(bd, precision) },
                { dtype: td, cast: castFor(td, precision) },
              ] as const;
              const got = c.countWithSquares(0, n, sides[0], sides[1], 1e-5);
              const what = `${simd ? "simd" : "js"} ${bd}/${td} n=${n} ${precision}`;
              assert.deepEqual(
                { ...got, delta2: 0, base2: 0 },
                { ...definition(sb, bd, st, td, precision, 1e-5), delta2: 0, base2: 0 },
                what,
              );
              for (const k of ["delta2", "base2"] as const) {
                assert.ok(Math.abs(got[k] - want[k]) <= 1e-12 * want[k] + 1e-300, `${what} ${k}: ${got[k]} vs ${want[k]}`);
              }
              if (!simd) assert.equal(c.countWithSquares(0, n, sides[0], sides[1], 1e-5, false).base2, 0);
            }
          }
        }
      }
    }
  });
});
