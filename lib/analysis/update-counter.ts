// Fixed buffers that raw chunks of two checkpoints are read into, and countUpdates over them: WebAssembly
// SIMD (update-count-simd.ts) for bf16/f16/f32, plain JS for other dtypes or without SIMD. The buffers
// live in the kernels' memory so file reads land where the kernel reads them, with no copy.
import { warnOnce } from "../errors";
import { decodeToFloat32 } from "../io/decode";
import { SAFETENSORS_ITEM_SIZE, type SafetensorsDtype } from "../io/safetensors-format";
import { roundToPrecision } from "../tensor/dtype";
import { bf16Lut, countUpdates, countUpdatesBf16, type DiffPrecision, type UpdateCounts } from "./sparsity";
import { countModule, type DiffCast, type StoredFloat, STORED_ITEM } from "./update-count-simd";

/** Rounding needed to compare values stored as `dtype` at `precision` (null when the values are unchanged by it). */
export function castFor(dtype: SafetensorsDtype, precision: DiffPrecision): DiffCast {
  if (precision === "native" || precision === "fp32") return null;
  return (precision === "bf16" && dtype === "BF16") || (precision === "fp16" && dtype === "F16") ? null : precision;
}

const isStoredFloat = (d: SafetensorsDtype): d is StoredFloat => d in STORED_ITEM;

/** Region header: the kernel writes its three counts here. */
const HEADER = 64;
/** The kernel takes 8 entries per step; chunks are zero-padded up to that. */
const BLOCK = 8;

/** One side of a comparison: stored dtype and the rounding to apply. */
export interface CountSide {
  dtype: SafetensorsDtype;
  cast: DiffCast;
}

export class UpdateCounter {
  private readonly memory: ArrayBuffer;
  private readonly regionBytes: number;
  private readonly kernels = new Map<string, (pb: number, pt: number, blocks: number, tol: number) => void>();
  private readonly wasm: WebAssembly.Memory | null;
  private scratch: [Float32Array, Float32Array] | null = null;

  /**
   * Buffers for `slots` chunk pairs of up to `elements` entries of at most `itemBytes` bytes each;
   * `simd: false` forces the plain-JS count (tests).
   */
  constructor(
    readonly elements: number,
    itemBytes: number,
    readonly slots = 2,
    simd = true,
  ) {
    this.regionBytes = Math.ceil((Math.ceil(elements / BLOCK) * BLOCK * itemBytes) / 16) * 16;
    const bytes = HEADER + 2 * slots * this.regionBytes;
    this.wasm = simd ? simdMemory(bytes) : null;
    this.memory = this.wasm ? this.wasm.buffer : new ArrayBuffer(bytes);
  }

  /** Where side 0 (base) or 1 (tuned) of a slot's chunk is read to (the full region). */
  region(slot: number, side: 0 | 1): Uint8Array {
    return new Uint8Array(this.memory, this.offset(slot, side), this.regionBytes);
  }

  private offset(slot: number, side: 0 | 1): number {
    return HEADER + (2 * slot + side) * this.regionBytes;
  }

  /** countUpdates over the first n entries held in a slot (raw bytes as read). */
  count(slot: number, n: number, base: CountSide, tuned: CountSide, tol: number): UpdateCounts {
    if (this.wasm && isStoredFloat(base.dtype) && isStoredFloat(tuned.dtype)) return this.countSimd(slot, n, base, tuned, tol, false);
    return this.countJs(slot, n, base, tuned, tol);
  }

  /**
   * count plus Σ Δ² and Σ θ₀² (float64, values as compared) in the same SIMD pass; other dtypes, or without
   * SIMD, through sumSquares (`withBase: false` may skip Σ θ₀² there, returning 0 for it).
   */
  countWithSquares(
    slot: number,
    n: number,
    base: CountSide,
    tuned: CountSide,
    tol: number,
    withBase = true,
  ): UpdateCounts & { delta2: number; base2: number } {
    if (this.wasm && isStoredFloat(base.dtype) && isStoredFloat(tuned.dtype)) {
      const c = this.countSimd(slot, n, base, tuned, tol, true);
      const sums = new Float64Array(this.memory, 16, 2);
      return { ...c, delta2: sums[0], base2: sums[1] };
    }
    return { ...this.countJs(slot, n, base, tuned, tol), ...this.sumSquares(slot, n, base, tuned, withBase) };
  }

  private countSimd(slot: number, n: number, base: CountSide, tuned: CountSide, tol: number, squares: boolean): UpdateCounts {
    const b = base.dtype as StoredFloat;
    const t = tuned.dtype as StoredFloat;
    const padded = Math.ceil(n / BLOCK) * BLOCK;
    // Zero padding compares 0 with 0: unchanged and exactly zero, taken off below.
    for (const [side, d] of [
      [0, b],
      [1, t],
    ] as const)
      this.region(slot, side).fill(0, n * STORED_ITEM[d], padded * STORED_ITEM[d]);
    this.kernel(b, base.cast, t, tuned.cast, squares)(this.offset(slot, 0), this.offset(slot, 1), padded / BLOCK, tol);
    const out = new Int32Array(this.memory, 0, 3);
    const pad = padded - n;
    return { numel: n, unchanged: out[0] - pad, exactZero: out[1] - pad, nanDelta: out[2] };
  }

  private kernel(b: StoredFloat, castB: DiffCast, t: StoredFloat, castT: DiffCast, squares: boolean) {
    const key = `${b}:${castB}:${t}:${castT}:${squares}`;
    let k = this.kernels.get(key);
    if (!k) {
      const inst = new WebAssembly.Instance(countModule(b, castB, t, castT, squares), { env: { mem: this.wasm! } });
      k = inst.exports.count as (pb: number, pt: number, blocks: number, tol: number) => void;
      this.kernels.set(key, k);
    }
    return k;
  }

  /** The scalar definition: decode, round, countUpdates (bf16 pairs on bit patterns). */
  private countJs(slot: number, n: number, base: CountSide, tuned: CountSide, tol: number): UpdateCounts {
    if (base.dtype === "BF16" && tuned.dtype === "BF16" && !base.cast && !tuned.cast) {
      const u16 = (side: 0 | 1) => new Uint16Array(this.memory, this.offset(slot, side), n);
      return countUpdatesBf16(u16(0), u16(1), tol);
    }
    return countUpdates(this.values(slot, 0, n, base), this.values(slot, 1, n, tuned), tol);
  }

  /** The first n entries of one side of a slot, decoded to f32 and rounded as compared (in a scratch buffer). */
  private values(slot: number, side: 0 | 1, n: number, s: CountSide): Float32Array {
    this.scratch ??= [new Float32Array(this.elements), new Float32Array(this.elements)];
    const raw = new Uint8Array(this.memory, this.offset(slot, side), n * SAFETENSORS_ITEM_SIZE[s.dtype]);
    const f = decodeToFloat32(raw, s.dtype, this.scratch[side]).subarray(0, n);
    return s.cast ? roundToPrecision(f, s.cast, f) : f;
  }

  /**
   * Σ Δ² and Σ θ₀² over the first n entries of a slot, float64 sums of the values as compared (Δ in f32, as
   * counted), for the relative update norm ‖Δ‖/‖θ₀‖. bf16 pairs as stored skip the decode: equal bit
   * patterns add nothing to Σ Δ². `withBase: false` skips Σ θ₀² (known from an earlier pass; returned as 0).
   */
  private sumSquares(slot: number, n: number, base: CountSide, tuned: CountSide, withBase = true): { delta2: number; base2: number } {
    let delta2 = 0;
    let base2 = 0;
    if (base.dtype === "BF16" && tuned.dtype === "BF16" && !base.cast && !tuned.cast) {
      const lut = bf16Lut();
      const b = new Uint16Array(this.memory, this.offset(slot, 0), n);
      const t = new Uint16Array(this.memory, this.offset(slot, 1), n);
      if (withBase) {
        for (let i = 0; i < n; i++) {
          const x = lut[b[i]];
          base2 += x * x;
        }
      }
      for (let i = 0; i < n; i++) {
        if (b[i] === t[i]) continue;
        const d = Math.fround(lut[t[i]] - lut[b[i]]);
        delta2 += d * d;
      }
      return { delta2, base2 };
    }
    const b = this.values(slot, 0, n, base);
    const t = this.values(slot, 1, n, tuned);
    for (let i = 0; i < n; i++) {
      const d = Math.fround(t[i] - b[i]);
      delta2 += d * d;
      if (withBase) base2 += b[i] * b[i];
    }
    return { delta2, base2 };
  }
}

let simdOk: boolean | undefined;
/** A wasm memory of at least `bytes`, or null (with a warning) when WebAssembly SIMD is unavailable. */
function simdMemory(bytes: number): WebAssembly.Memory | null {
  if (simdOk === undefined) {
    try {
      countModule("BF16", null, "BF16", null);
      simdOk = true;
    } catch (e) {
      warnOnce(
        "count-simd",
        `WebAssembly SIMD unavailable (${(e as Error).message}); checkpoint diffs count in plain JS (several times slower)`,
      );
      simdOk = false;
    }
  }
  return simdOk ? new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) }) : null;
}
