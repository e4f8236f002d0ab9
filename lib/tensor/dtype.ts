// Reduced-precision float codecs on plain typed arrays (bf16, fp16), bit-exact with PyTorch's casts.
// Only castTensorPrecision touches tfjs. All functions assume a little-endian host, as do tfjs and safetensors.
import { tf } from "./tf";
import { bf16ToF32Simd } from "./wasm/bf16-simd";

export type Precision = "bf16" | "fp16" | "fp32";

export const PRECISIONS: readonly Precision[] = ["bf16", "fp16", "fp32"];

function outArray<T extends Float32Array | Uint16Array>(what: string, n: number, out: T | undefined, make: (n: number) => T): T {
  if (out === undefined) return make(n);
  if (out.length < n) throw new RangeError(`${what}: out has ${out.length} elements, need at least ${n} (pass a larger array or omit out)`);
  return out;
}

/** Below this many elements the plain loop beats copying through wasm memory. */
const SIMD_MIN_ELEMENTS = 1 << 14;

/** bf16 is the top half of an f32: decoding is a 16-bit shift (WebAssembly SIMD for large arrays). */
export function bf16ToF32(src: Uint16Array, out?: Float32Array): Float32Array {
  const n = src.length;
  const dst = outArray("bf16ToF32", n, out, (k) => new Float32Array(k));
  const done = n >= SIMD_MIN_ELEMENTS ? bf16ToF32Simd(src, dst) : 0;
  const bits = new Uint32Array(dst.buffer, dst.byteOffset, n);
  for (let i = done; i < n; i++) bits[i] = src[i] << 16;
  return dst;
}

/** Round-to-nearest-even of one f32 bit pattern to bf16; NaN stays NaN (sign kept, quiet bit set). */
function bf16FromBits(x: number): number {
  if ((x & 0x7fffffff) > 0x7f800000) return (x >>> 16) | 0x0040;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function f32ToBf16(src: Float32Array, out?: Uint16Array): Uint16Array {
  const n = src.length;
  const dst = outArray("f32ToBf16", n, out, (k) => new Uint16Array(k));
  const bits = new Uint32Array(src.buffer, src.byteOffset, n);
  for (let i = 0; i < n; i++) dst[i] = bf16FromBits(bits[i]);
  return dst;
}

// Every fp16 value decoded once: a 256 KiB table is faster than branching on subnormal/inf/nan per element.
let f16Table: Float32Array | undefined;
function f16DecodeTable(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  const bits = new Uint32Array(t.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0)
      t[h] = (sign ? -1 : 1) * mant * 2 ** -24; // zero and subnormals
    else if (exp === 0x1f)
      bits[h] = sign | 0x7f800000 | (mant << 13); // inf, nan (payload kept)
    else bits[h] = sign | ((exp + 112) << 23) | (mant << 13);
  }
  f16Table = t;
  return t;
}

export function f16ToF32(src: Uint16Array, out?: Float32Array): Float32Array {
  const n = src.length;
  const dst = outArray("f16ToF32", n, out, (k) => new Float32Array(k));
  const table = f16DecodeTable();
  for (let i = 0; i < n; i++) dst[i] = table[src[i]];
  return dst;
}

/** Round-to-nearest-even of one f32 bit pattern to fp16; overflow gives ±inf, NaN stays NaN. */
function f16FromBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 112; // fp16 biased exponent
  if (e >= 0x1f) return sign | 0x7c00;
  if (e > 0) {
    // A carry out of the mantissa bumps the exponent, and past 0x7bff lands exactly on inf (0x7c00).
    const h = (e << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    return sign | (rem > 0x1000 || (rem === 0x1000 && h & 1) ? h + 1 : h);
  }
  // Subnormal result: value / 2^-24 = (1.mant) * 2^(exp-126), so shift the 24-bit significand by 126 - exp.
  const s = 126 - exp;
  if (s > 25) return sign;
  const m = mant | 0x800000;
  const h = m >>> s;
  const rem = m & ((1 << s) - 1);
  const half = 1 << (s - 1);
  return sign | (rem > half || (rem === half && h & 1) ? h + 1 : h);
}

export function f32ToF16(src: Float32Array, out?: Uint16Array): Uint16Array {
  const n = src.length;
  const dst = outArray("f32ToF16", n, out, (k) => new Uint16Array(k));
  const bits = new Uint32Array(src.buffer, src.byteOffset, n);
  for (let i = 0; i < n; i++) dst[i] = f16FromBits(bits[i]);
  return dst;
}

/** Each value as it would read back after being stored in precision p (fp32: a copy). */
export function roundToPrecision(src: Float32Array, p: Precision, out?: Float32Array): Float32Array {
  const n = src.length;
  const dst = outArray("roundToPrecision", n, out, (k) => new Float32Array(k));
  const inBits = new Uint32Array(src.buffer, src.byteOffset, n);
  const outBits = new Uint32Array(dst.buffer, dst.byteOffset, n);
  if (p === "fp32") dst.set(src);
  else if (p === "bf16") for (let i = 0; i < n; i++) outBits[i] = bf16FromBits(inBits[i]) << 16;
  else if (p === "fp16") {
    const table = f16DecodeTable();
    for (let i = 0; i < n; i++) dst[i] = table[f16FromBits(inBits[i])];
  } else throw new RangeError(`roundToPrecision: precision must be one of ${PRECISIONS.join(", ")}; got ${JSON.stringify(p)}`);
  return dst;
}

/** A new float32 tensor holding t's values rounded to precision p; t is not disposed. */
export function castTensorPrecision(t: tf.Tensor, p: Precision): tf.Tensor {
  if (!PRECISIONS.includes(p)) {
    throw new RangeError(`castTensorPrecision: precision must be one of ${PRECISIONS.join(", ")}; got ${JSON.stringify(p)}`);
  }
  const data = t.dataSync();
  const f32 = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
  return tf.tensor(roundToPrecision(f32, p), t.shape, "float32");
}
