import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { tf, initBackend } from "../../lib/tensor";
import { bf16ToF32, f32ToBf16, f16ToF32, f32ToF16, roundToPrecision, castTensorPrecision, PRECISIONS } from "../../lib/tensor/dtype";
import { bf16ToF32Simd } from "../../lib/tensor/wasm/bf16-simd";
import { referenceScript, runPython, torchAvailable } from "../helpers/python";

const f32 = (...xs: number[]) => new Float32Array(xs);
const hex = (a: ArrayLike<number>) => Array.from(a, (x) => "0x" + x.toString(16).padStart(4, "0"));
const fromBits = (...bits: number[]) => new Float32Array(new Uint32Array(bits).buffer);

describe("bf16", () => {
  test("hand-worked round-to-nearest-even cases", () => {
    const cases: [number, number, string][] = [
      [1, 0x3f80, "exact"],
      [1 + 2 ** -8, 0x3f80, "tie between 0x3f80 and 0x3f81 goes to even 0x3f80"],
      [1 + 3 * 2 ** -8, 0x3f82, "tie between 0x3f81 and 0x3f82 goes to even 0x3f82"],
      [1 + 2 ** -8 + 2 ** -20, 0x3f81, "just above the tie rounds up"],
      [1 + 2 ** -8 - 2 ** -20, 0x3f80, "just below the tie rounds down"],
      [-2.5, 0xc020, "negative exact"],
      [-0, 0x8000, "negative zero keeps its sign"],
      [Infinity, 0x7f80, "inf"],
      [-Infinity, 0xff80, "-inf"],
      [3.4028234663852886e38, 0x7f80, "max f32 rounds up to inf"],
      [2 ** -149, 0x0000, "smallest f32 subnormal rounds to zero"],
      [2 ** -133, 0x0001, "smallest bf16 subnormal is exact"],
    ];
    const got = f32ToBf16(f32(...cases.map((c) => c[0])));
    cases.forEach(([x, want, why], i) => assert.equal(got[i], want, `${x} (${why}): got ${hex([got[i]])}, want ${hex([want])}`));
  });

  test("NaN stays NaN, with or without payload and sign", () => {
    const nans = fromBits(0x7fc00000, 0xffc00000, 0x7f800001, 0x7fffffff, 0xff800001);
    for (const b of f32ToBf16(nans)) assert.ok(Number.isNaN(bf16ToF32(new Uint16Array([b]))[0]), `NaN encoded as ${hex([b])}`);
  });

  test("decoding is a 16-bit shift; every non-NaN pattern survives a round trip", () => {
    assert.deepEqual(Array.from(bf16ToF32(new Uint16Array([0x3f80, 0xc020, 0x7f80, 0xff80, 0x0001]))), [
      1,
      -2.5,
      Infinity,
      -Infinity,
      2 ** -133,
    ]);
    const all = new Uint16Array(65536).map((_, i) => i);
    const dec = bf16ToF32(all);
    const back = f32ToBf16(dec);
    for (let i = 0; i < 65536; i++) if (!Number.isNaN(dec[i])) assert.equal(back[i], i, `pattern ${hex([i])}`);
  });
});

describe("bf16 SIMD decode", () => {
  test("matches the 16-bit shift bit for bit, across chunk boundaries, tails and offset views", () => {
    const n = 3 * (1 << 18) + 13; // 1.5 wasm chunks plus a tail that is not a multiple of 8
    const src = new Uint16Array(n + 3);
    for (let i = 0; i < src.length; i++) src[i] = (Math.imul(i, 2654435761) >>> 16) & 0xffff;
    const view = src.subarray(3); // odd element offset into the buffer
    const backing = new Float32Array(n + 2);
    const out = bf16ToF32(view, backing.subarray(1, n + 1));
    assert.equal(out.buffer, backing.buffer);
    const bits = new Uint32Array(backing.buffer, 4, n);
    for (let i = 0; i < n; i++)
      if (bits[i] !== (view[i] << 16) >>> 0) assert.fail(`element ${i}: ${bits[i].toString(16)} from ${view[i].toString(16)}`);
    assert.equal(backing[0], 0);
    assert.equal(backing[n + 1], 0);
  });
  test("returns nothing decoded for an empty input", () => {
    assert.equal(bf16ToF32Simd(new Uint16Array(0), new Float32Array(0)), 0);
    assert.equal(bf16ToF32Simd(new Uint16Array(7), new Float32Array(7)), 0);
  });
});

describe("fp16", () => {
  test("hand-worked rounding, subnormals, overflow", () => {
    const cases: [number, number, string][] = [
      [1, 0x3c00, "exact"],
      [1 + 2 ** -11, 0x3c00, "tie goes to even 0x3c00"],
      [1 + 3 * 2 ** -11, 0x3c02, "tie goes to even 0x3c02"],
      [65504, 0x7bff, "max fp16"],
      [65519, 0x7bff, "below the overflow tie"],
      [65520, 0x7c00, "overflow tie rounds to even = inf"],
      [1e6, 0x7c00, "overflow to inf"],
      [-1e6, 0xfc00, "overflow to -inf"],
      [2 ** -14, 0x0400, "smallest normal"],
      [2 ** -24, 0x0001, "smallest subnormal"],
      [1023 * 2 ** -24, 0x03ff, "largest subnormal"],
      [1023.5 * 2 ** -24, 0x0400, "tie at the subnormal/normal boundary goes to even 0x0400"],
      [2 ** -25, 0x0000, "half the smallest subnormal: tie to even zero"],
      [1.5 * 2 ** -25, 0x0001, "above that tie"],
      [3 * 2 ** -25, 0x0002, "tie between 1 and 2 subnormal ulps goes to 2"],
      [5 * 2 ** -25, 0x0002, "tie between 2 and 3 goes to 2"],
      [1e-8, 0x0000, "underflow to zero"],
      [-0, 0x8000, "negative zero"],
      [Infinity, 0x7c00, "inf"],
      [-Infinity, 0xfc00, "-inf"],
    ];
    const got = f32ToF16(f32(...cases.map((c) => c[0])));
    cases.forEach(([x, want, why], i) => assert.equal(got[i], want, `${x} (${why}): got ${hex([got[i]])}, want ${hex([want])}`));
  });

  test("decode: subnormals, inf, nan, signed zero", () => {
    const d = f16ToF32(new Uint16Array([0x0001, 0x03ff, 0x0400, 0x3c00, 0xc000, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x8000, 0x7c01]));
    assert.deepEqual(Array.from(d.subarray(0, 8)), [2 ** -24, 1023 * 2 ** -24, 2 ** -14, 1, -2, 65504, Infinity, -Infinity]);
    assert.ok(Number.isNaN(d[8]) && Number.isNaN(d[10]));
    assert.ok(Object.is(d[9], -0));
  });

  test("every non-NaN pattern survives a round trip; NaN stays NaN", () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const dec = f16ToF32(all);
    const back = f32ToF16(dec);
    for (let i = 0; i < 65536; i++) {
      if (Number.isNaN(dec[i])) assert.ok((back[i] & 0x7c00) === 0x7c00 && (back[i] & 0x3ff) !== 0, `NaN ${hex([i])} → ${hex([back[i]])}`);
      else assert.equal(back[i], i, `pattern ${hex([i])}`);
    }
  });
});

describe("roundToPrecision", () => {
  const x = f32(1 + 2 ** -8 + 2 ** -20, 65520, 3 * 2 ** -25, -0.1, 7);
  test("equals encode then decode; fp32 copies", () => {
    assert.deepEqual(roundToPrecision(x, "bf16"), bf16ToF32(f32ToBf16(x)));
    assert.deepEqual(roundToPrecision(x, "fp16"), f16ToF32(f32ToF16(x)));
    const copy = roundToPrecision(x, "fp32");
    assert.deepEqual(copy, x);
    assert.notEqual(copy, x);
  });
  test("writes into out and may run in place", () => {
    const out = new Float32Array(8).fill(9);
    assert.equal(roundToPrecision(x, "bf16", out), out);
    assert.deepEqual(Array.from(out.subarray(0, 5)), Array.from(roundToPrecision(x, "bf16")));
    assert.equal(out[5], 9);
    const y = x.slice();
    roundToPrecision(y, "fp16", y);
    assert.deepEqual(y, roundToPrecision(x, "fp16"));
  });
  test("rejects a short out and an unknown precision", () => {
    assert.throws(() => roundToPrecision(x, "bf16", new Float32Array(2)), /out has 2 elements, need at least 5/);
    assert.throws(() => f32ToBf16(x, new Uint16Array(1)), /f32ToBf16: out has 1/);
    assert.throws(() => roundToPrecision(x, "fp8" as never), /precision must be one of bf16, fp16, fp32; got "fp8"/);
  });
});

describe("castTensorPrecision", () => {
  before(async () => {
    // One wasm thread is plenty for a 4-element cast, and pool threads can keep the test process alive.
    process.env.RFTLAB_WASM_THREADS ??= "1";
    await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
  });
  test("returns a new f32 tensor of rounded values, input untouched, no leaks", () => {
    const vals = f32(1.2345678, -3.14159, 65520, 1e-7);
    const t = tf.tensor(vals, [2, 2]);
    const before = tf.memory().numTensors;
    for (const p of PRECISIONS) {
      const r = castTensorPrecision(t, p);
      assert.equal(r.dtype, "float32");
      assert.deepEqual(r.shape, [2, 2]);
      assert.deepEqual(r.dataSync(), roundToPrecision(vals, p));
      r.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(t.dataSync(), vals);
    t.dispose();
  });
});

/** Deterministic f32 test values: many magnitudes, exact ties at both precisions, f16 subnormals, specials. */
function castProbeValues(n: number, seed: number): (number | string)[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const bits = new Uint32Array(1);
  const asF32 = new Float32Array(bits.buffer);
  // Strings for what JSON cannot carry; the script reads them with float().
  const out: (number | string)[] = ["nan", "inf", "-inf", 0, "-0"];
  while (out.length < n) {
    const kind = out.length % 4;
    if (kind === 0) asF32[0] = (rand() - 0.5) * 10 ** (rand() * 16 - 10);
    else if (kind === 1)
      bits[0] = (rand() * 2 ** 32) >>> 0; // any pattern, NaNs included
    else if (kind === 2)
      bits[0] = (((rand() * 2 ** 16) >>> 0) << 16) | 0x8000; // exact bf16 tie
    else bits[0] = (((((rand() * 2 ** 19) >>> 0) << 13) | 0x1000) & 0x3fffffff) | (rand() < 0.5 ? 0x80000000 : 0); // exact f16 tie
    out.push(Number.isNaN(asF32[0]) ? "nan" : Object.is(asF32[0], -0) ? "-0" : asF32[0]);
  }
  return out;
}

describe("bit-exact against torch", { skip: !torchAvailable() && "python3-torch not installed" }, () => {
  test("f32 → bf16 (.to(torch.bfloat16)) and → fp16 (.half()) on 4000 probe values", () => {
    const values = castProbeValues(4000, 1234);
    const ref = runPython<{ bf16: number[]; f16: number[] }>(referenceScript("io-safetensors.py"), { mode: "cast", values });
    const x = new Float32Array(
      values.map((v) =>
        typeof v === "string" ? ({ nan: NaN, inf: Infinity, "-inf": -Infinity, "-0": -0 } as Record<string, number>)[v] : v,
      ),
    );
    const bf = f32ToBf16(x);
    const h = f32ToF16(x);
    for (let i = 0; i < x.length; i++) {
      if (Number.isNaN(x[i])) {
        assert.ok(Number.isNaN(bf16ToF32(bf.subarray(i, i + 1))[0]) && Number.isNaN(f16ToF32(h.subarray(i, i + 1))[0]), `NaN at ${i}`);
        continue;
      }
      assert.equal(bf[i], ref.bf16[i], `bf16 of ${x[i]} (#${i}): got ${hex([bf[i]])}, torch ${hex([ref.bf16[i]])}`);
      assert.equal(h[i], ref.f16[i], `fp16 of ${x[i]} (#${i}): got ${hex([h[i]])}, torch ${hex([ref.f16[i]])}`);
    }
  });
});
