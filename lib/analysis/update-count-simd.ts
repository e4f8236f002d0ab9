// The update-sparsity count (countUpdates) as WebAssembly SIMD over raw stored bytes, 8 entries per step:
// decode bf16/f16/f32 to f32 lanes, round to the compared precision, Δ = tuned − base in f32, then count
// Δ == 0, |Δ| ≤ tol and Δ ≠ Δ (NaN) in lane accumulators. Each (dtype, cast) combination gets its own straight-line
// loop, generated here and compiled once. f32 SIMD arithmetic is IEEE (no flush-to-zero), so every
// step equals the scalar definition, NaN and subnormals included.
import { asm, f32x4Const, i32x4Const, mem, op, v128Load, wasmModule, type WasmFunction } from "../tensor/wasm/asm";

export type StoredFloat = "BF16" | "F16" | "F32";
/** Rounding applied after decoding (null: values as stored). */
export type DiffCast = "bf16" | "fp16" | null;

export const STORED_ITEM: Record<StoredFloat, number> = { BF16: 2, F16: 2, F32: 4 };

const { get, set, tee, i32 } = asm;
const ZERO = i32x4Const(0);
// Locals: params pb, pt, blocks, tol; then tolv, accUnchanged, accZero, vb, vt, t1, t2, t3, accNan.
const PB = 0,
  PT = 1,
  BLOCKS = 2,
  TOL = 3,
  TOLV = 4,
  ACC_U = 5,
  ACC_Z = 6,
  VB = 7,
  VT = 8,
  T1 = 9,
  T2 = 10,
  T3 = 11,
  ACC_N = 12,
  // With sums of squares: f64x2 accumulators of Δ² and θ₀².
  ACC_D = 13,
  ACC_B = 14;

/** Pushes entries 4h..4h+3 of the 8-entry block at `ptr` as f32 lanes. */
function decode(dtype: StoredFloat, ptr: number, h: 0 | 1): number[] {
  if (dtype === "F32") return [...get(ptr), ...v128Load(16 * h)];
  const widen = [...get(ptr), ...v128Load(0), ...op(h ? "i32x4.extend_high_i16x8_u" : "i32x4.extend_low_i16x8_u")];
  // bf16 is the top half of an f32.
  if (dtype === "BF16") return [...widen, ...i32(16), ...op("i32x4.shl")];
  // f16: exponent and mantissa moved into f32 position and scaled by 2^112 (exact, subnormals too);
  // inf/NaN (exponent 31) keep their mantissa under an all-ones exponent; the sign is or-ed back.
  return [
    ...widen,
    ...set(T1),
    ...get(T1),
    ...i32x4Const(0x7fff),
    ...op("v128.and"),
    ...tee(T2),
    ...i32(13),
    ...op("i32x4.shl"),
    ...i32x4Const(0x7f800000),
    ...op("v128.or"),
    ...get(T2),
    ...i32(13),
    ...op("i32x4.shl"),
    ...f32x4Const(2 ** 112),
    ...op("f32x4.mul"),
    ...get(T2),
    ...i32x4Const(0x7bff),
    ...op("i32x4.gt_s"),
    ...op("v128.bitselect"),
    ...get(T1),
    ...i32x4Const(0x8000),
    ...op("v128.and"),
    ...i32(16),
    ...op("i32x4.shl"),
    ...op("v128.or"),
  ];
}

/** Rounds the f32 lanes on the stack to `cast` (round to nearest even, as roundToPrecision); NaN lanes pass through. */
function round(cast: DiffCast): number[] {
  if (cast === null) return [];
  const nanLanes = [...get(T1), ...get(T1), ...op("f32x4.ne")];
  if (cast === "bf16") {
    // (x + 0x7fff + lsb) with the low 16 bits cleared; overflow lands on ±inf.
    return [
      ...tee(T1),
      ...get(T1),
      ...get(T1),
      ...i32(16),
      ...op("i32x4.shr_u"),
      ...i32x4Const(1),
      ...op("v128.and"),
      ...op("i32x4.add"),
      ...i32x4Const(0x7fff),
      ...op("i32x4.add"),
      ...i32x4Const(0xffff0000),
      ...op("v128.and"),
      ...nanLanes,
      ...op("v128.bitselect"),
    ];
  }
  // fp16 on |x|: below 2^-14 (fp16 subnormals) (|x| + 0.5) − 0.5 rounds to a multiple of 2^-24; above, the
  // mantissa is rounded to 10 bits like bf16 and anything past 65504 becomes inf. Then the sign is or-ed back.
  return [
    ...tee(T1),
    ...get(T1),
    ...get(T1),
    ...i32x4Const(0x7fffffff),
    ...op("v128.and"),
    ...tee(T2),
    ...f32x4Const(0.5),
    ...op("f32x4.add"),
    ...f32x4Const(0.5),
    ...op("f32x4.sub"),
    ...i32x4Const(0x7f800000),
    ...get(T2),
    ...get(T2),
    ...i32(13),
    ...op("i32x4.shr_u"),
    ...i32x4Const(1),
    ...op("v128.and"),
    ...op("i32x4.add"),
    ...i32x4Const(0xfff),
    ...op("i32x4.add"),
    ...i32x4Const(0xffffe000),
    ...op("v128.and"),
    ...tee(T3),
    ...get(T3),
    ...i32x4Const(0x477fe000),
    ...op("i32x4.gt_s"),
    ...op("v128.bitselect"),
    ...get(T2),
    ...i32x4Const(0x38800000),
    ...op("i32x4.lt_s"),
    ...op("v128.bitselect"),
    ...get(T1),
    ...i32x4Const(0x80000000),
    ...op("v128.and"),
    ...op("v128.or"),
    ...nanLanes,
    ...op("v128.bitselect"),
  ];
}

/** acc −= mask (a true lane is −1). */
const countInto = (acc: number, mask: number[]) => [...get(acc), ...mask, ...op("i32x4.sub"), ...set(acc)];

/** acc += (the f32 lanes in `v` squared, widened to f64): two f64x2 halves, exact widening, f64 products. */
function squareInto(acc: number, v: number): number[] {
  const half = (widen: number[]) => [
    ...get(acc),
    ...widen,
    ...op("f64x2.promote_low_f32x4"),
    ...tee(T2),
    ...get(T2),
    ...op("f64x2.mul"),
    ...op("f64x2.add"),
    ...set(acc),
  ];
  // Lanes 2, 3 moved to 0, 1 by a byte shuffle of v with itself.
  return [...half(get(v)), ...half([...get(v), ...get(v), ...asm.shuffle([8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15])])];
}

const sumF64 = (acc: number) => [
  ...get(acc),
  ...asm.lane("f64x2.extract_lane", 0),
  ...get(acc),
  ...asm.lane("f64x2.extract_lane", 1),
  ...op("f64.add"),
];

const sumLanes = (acc: number) =>
  [0, 1, 2, 3].flatMap((l) => [...get(acc), ...asm.lane("i32x4.extract_lane", l), ...(l ? op("i32.add") : [])]);

/**
 * count(pb, pt, blocks, tol): over blocks × 8 entries at byte addresses pb (base) and pt (tuned), stores
 * the number of |Δ| ≤ tol at address 0, of Δ == 0 at address 4 and of NaN Δ at address 8 (i32); with
 * `squares`, also Σ Δ² at address 16 and Σ θ₀² at address 24 (f64, of the values as compared).
 */
function countFunction(base: StoredFloat, castB: DiffCast, tuned: StoredFloat, castT: DiffCast, squares: boolean): WasmFunction {
  const half = (h: 0 | 1) => [
    ...decode(base, PB, h),
    ...round(castB),
    ...set(VB),
    ...decode(tuned, PT, h),
    ...round(castT),
    ...set(VT),
    ...get(VT),
    ...get(VB),
    ...op("f32x4.sub"),
    ...set(T1),
    ...countInto(ACC_Z, [...get(T1), ...ZERO, ...op("f32x4.eq")]),
    ...countInto(ACC_U, [...get(T1), ...op("f32x4.abs"), ...get(TOLV), ...op("f32x4.le")]),
    ...countInto(ACC_N, [...get(T1), ...get(T1), ...op("f32x4.ne")]),
    ...(squares ? [...squareInto(ACC_D, T1), ...squareInto(ACC_B, VB)] : []),
  ];
  const advance = (local: number, by: number) => [...get(local), ...i32(by), ...op("i32.add"), ...set(local)];
  const body = [
    ...get(TOL),
    ...op("f32x4.splat"),
    ...set(TOLV),
    ...asm.block,
    ...asm.loop,
    ...get(BLOCKS),
    ...op("i32.eqz"),
    ...asm.brIf(1),
    ...half(0),
    ...half(1),
    ...advance(PB, 8 * STORED_ITEM[base]),
    ...advance(PT, 8 * STORED_ITEM[tuned]),
    ...get(BLOCKS),
    ...i32(1),
    ...op("i32.sub"),
    ...set(BLOCKS),
    ...asm.br(0),
    ...asm.end,
    ...asm.end,
    ...i32(0),
    ...sumLanes(ACC_U),
    ...mem("i32.store", 0),
    ...i32(0),
    ...sumLanes(ACC_Z),
    ...mem("i32.store", 4),
    ...i32(0),
    ...sumLanes(ACC_N),
    ...mem("i32.store", 8),
    ...(squares ? [...i32(0), ...sumF64(ACC_D), ...mem("f64.store", 16), ...i32(0), ...sumF64(ACC_B), ...mem("f64.store", 24)] : []),
  ];
  return {
    name: "count",
    params: ["i32", "i32", "i32", "f32"],
    locals: ["v128", "v128", "v128", "v128", "v128", "v128", "v128", "v128", "v128", ...(squares ? (["v128", "v128"] as const) : [])],
    body,
  };
}

/** The count kernel's module for one combination, its memory imported as env.mem. */
export const countModuleBytes = (base: StoredFloat, castB: DiffCast, tuned: StoredFloat, castT: DiffCast, squares = false) =>
  wasmModule([countFunction(base, castB, tuned, castT, squares)], { import: 1 });

const modules = new Map<string, WebAssembly.Module>();

/** The compiled count kernel for one combination; its memory is imported as env.mem. Throws without SIMD. */
export function countModule(base: StoredFloat, castB: DiffCast, tuned: StoredFloat, castT: DiffCast, squares = false): WebAssembly.Module {
  const key = `${base}:${castB}:${tuned}:${castT}:${squares}`;
  let m = modules.get(key);
  if (!m) {
    m = new WebAssembly.Module(countModuleBytes(base, castB, tuned, castT, squares));
    modules.set(key, m);
  }
  return m;
}
