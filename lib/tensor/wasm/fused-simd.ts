// WebAssembly SIMD (f32x4) versions of the fused kernels (fused-kernels.ts), run in place on tfjs's
// heap: a small module, built here with asm.ts, imports tfjs's own WebAssembly.Memory, so kernels read
// and write tensors at their byte offsets with no copies. One instance per tfjs module. The element-wise
// functions handle the first n − n % 4 elements and the norms' row functions rows of a multiple of 4; the
// caller's JS loops do the rest, and everything when SIMD or the memory import is unavailable.
//
// tanh and the sigmoid come from one exp(−|z|) (Cephes' expf polynomial, ~1 ulp): σ(z) = 1/(1 + e^−z) and
// 1 − σ(z) are each computed as whichever of 1/(1 + E) or E/(1 + E), E = e^−|z|, is the right side, so both
// keep their relative accuracy in the tails without branches (1 + tanh(u) = 2σ(2u)).
import { warnOnce } from "../../errors";
import {
  asm,
  f32x4Const,
  i32x4Const,
  op as opcode,
  v128Load,
  v128Store,
  wasmModule,
  type Opcode,
  type WasmFunction,
  type WasmValType,
} from "./asm";
import { heapModule, wasmMemory, type WasmBackend } from "./override";

const { get, set, i32 } = asm;
type Code = number[];
const op =
  (name: Opcode) =>
  (...args: Code[]): Code => [...args.flat(), ...opcode(name)];
const add = op("f32x4.add"),
  sub = op("f32x4.sub"),
  mul = op("f32x4.mul"),
  div = op("f32x4.div");
const abs = op("f32x4.abs"),
  sqrt = op("f32x4.sqrt"),
  lt = op("f32x4.lt");
/** max for operands that are not NaN (one instruction; f32x4.max's NaN rules cost several). */
const pmax = op("f32x4.pmax");
const MAGIC = 1.5 * 2 ** 23;
/** a where mask, else b. */
const select = (a: Code, b: Code, mask: Code) => op("v128.bitselect")(a, b, mask);

const k = f32x4Const;

const C = Math.sqrt(2 / Math.PI);
const A = 0.044715;

interface Env {
  load(pointer: number): Code;
  store(pointer: number, value: Code): Code;
  /** Local holding scalar parameter j splatted to four lanes. */
  scalar(j: number): number;
  /** Local index of v128 temporary j. */
  tmp(j: number): number;
}

/**
 * name(p₀ … p_{k−1}, bytes, s₀ … s_{m−1}): for byte offsets i = 0, 16, … < bytes, runs `body`, whose loads and
 * stores address pointer + i. The f32 scalars are splatted once, before the loop. Reductions accumulate in
 * temps (locals start at zero) and return `results` f32 values pushed by `finish` after the loop.
 */
function elementwise(
  name: string,
  pointers: number,
  scalars: number,
  temps: number,
  body: (e: Env) => Code,
  results = 0,
  finish?: (e: Env) => Code,
): WasmFunction {
  const BYTES = pointers,
    I = pointers + 1 + scalars;
  const at = (p: number) => [...get(p), ...get(I), ...opcode("i32.add")];
  const env: Env = {
    load: (p) => [...at(p), ...v128Load(0)],
    store: (p, value) => [...at(p), ...value, ...v128Store(0)],
    scalar: (j) => I + 1 + j,
    tmp: (j) => I + 1 + scalars + j,
  };
  const splats = Array.from({ length: scalars }, (_, j) => [...get(BYTES + 1 + j), ...opcode("f32x4.splat"), ...set(env.scalar(j))]).flat();
  return {
    name,
    params: [...Array<WasmValType>(pointers + 1).fill("i32"), ...Array<WasmValType>(scalars).fill("f32")],
    locals: ["i32", ...Array<WasmValType>(scalars + temps).fill("v128")],
    body: [
      ...splats,
      ...asm.block,
      ...asm.loop,
      ...get(I),
      ...get(BYTES),
      ...opcode("i32.ge_u"),
      ...asm.brIf(1),
      ...body(env),
      ...get(I),
      ...i32(16),
      ...opcode("i32.add"),
      ...set(I),
      ...asm.br(0),
      ...asm.end,
      ...asm.end,
      ...(finish?.(env) ?? []),
    ],
    results: Array<WasmValType>(results).fill("f32"),
  };
}

/**
 * e^x for x ≤ 0 (clamped at −87, where e^x is still a normal float): Cephes expf. Uses locals x, t and f.
 * Rounding x·log₂e to the integer f is an add of 1.5·2²³, whose float bits then hold f + 0x4b400000; shifting
 * (bits + 127) left by 23 drops that constant and leaves 2^f's bits.
 */
function expNonPositive(value: Code, x: number, t: number, f: number): Code {
  const poly = [1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]
    .slice(1)
    .reduce((p, c) => add(mul(p, get(x)), k(c)), k(1.98756915e-4));
  const pow2 = [...get(t), ...i32x4Const(127), ...opcode("i32x4.add"), ...i32(23), ...opcode("i32x4.shl")];
  return [
    ...pmax(value, k(-87)),
    ...set(x),
    ...add(mul(get(x), k(Math.LOG2E)), k(MAGIC)),
    ...set(t),
    ...sub(get(t), k(MAGIC)),
    ...set(f),
    // x − f·ln 2 in two parts (the first exact in float32)
    ...sub(sub(get(x), mul(get(f), k(0.693359375))), mul(get(f), k(-2.1219444e-4))),
    ...set(x),
    ...mul(add(add(mul(mul(poly, get(x)), get(x)), get(x)), k(1)), pow2),
  ];
}

/**
 * Given −|z|, sets locals big = 1/(1 + E) and small = E/(1 + E), E = e^−|z|: σ(z) is big for z ≥ 0 and small below,
 * 1 − σ(z) the other one. Uses locals x, t and f too.
 */
function sigmoidSides(minusAbsZ: Code, big: number, small: number, [x, t, f]: number[]): Code {
  return [
    ...expNonPositive(minusAbsZ, x, t, f),
    ...set(small),
    ...div(k(1), add(k(1), get(small))),
    ...set(big),
    ...mul(get(small), get(big)),
    ...set(small),
  ];
}

// gelu_new(x, out, bytes): temps V, U, BIG, SMALL, scratch X, T, P; P = ½(1 + tanh(u)) = σ(2u), Q = ½(1 − tanh(u)).
const V = 0,
  U = 1,
  BIG = 2,
  SMALL = 3,
  X = 4,
  T = 5,
  P = 6;
function geluSides(e: Env, x: number): Code {
  const [v, u] = [e.tmp(V), e.tmp(U)];
  return [
    ...e.load(x),
    ...set(v),
    ...mul(get(v), add(k(C), mul(mul(get(v), get(v)), k(C * A)))),
    ...set(u),
    ...sigmoidSides(mul(abs(get(u)), k(-2)), e.tmp(BIG), e.tmp(SMALL), [e.tmp(X), e.tmp(T), e.tmp(P)]),
    ...select(get(e.tmp(SMALL)), get(e.tmp(BIG)), lt(get(u), k(0))),
    ...set(e.tmp(P)),
  ];
}

const geluNew = elementwise("geluNew", 2, 0, 7, (e) => [...geluSides(e, 0), ...e.store(1, mul(get(e.tmp(V)), get(e.tmp(P))))]);

// geluNewGrad(dy, x, out, bytes): dy·(P + 2·x·P·Q·√(2/π)·(1 + 3·0.044715·x²)).
const geluNewGrad = elementwise("geluNewGrad", 3, 0, 7, (e) => {
  const [v, p] = [get(e.tmp(V)), get(e.tmp(P))];
  const q = select(get(e.tmp(BIG)), get(e.tmp(SMALL)), lt(get(e.tmp(U)), k(0)));
  const slope = mul(mul(mul(mul(v, p), q), k(2 * C)), add(k(1), mul(mul(v, v), k(3 * A))));
  return [...geluSides(e, 1), ...e.store(2, mul(e.load(0), add(p, slope)))];
});

// siluMul(gate, up, out, bytes) and siluMulGrad(dy, gate, up, dGate, dUp, bytes); temps a (V), BIG, SMALL, scratch.
function siluSides(e: Env, gate: number): Code {
  return [
    ...e.load(gate),
    ...set(e.tmp(V)),
    ...sigmoidSides(mul(abs(get(e.tmp(V))), k(-1)), e.tmp(BIG), e.tmp(SMALL), [e.tmp(X), e.tmp(T), e.tmp(U)]),
  ];
}
const sigma = (e: Env, lower: number, upper: number) => select(get(e.tmp(lower)), get(e.tmp(upper)), lt(get(e.tmp(V)), k(0)));

const siluMul = elementwise("siluMul", 3, 0, 6, (e) => [
  ...siluSides(e, 0),
  ...e.store(2, mul(mul(get(e.tmp(V)), sigma(e, SMALL, BIG)), e.load(1))),
]);

const siluMulGrad = elementwise("siluMulGrad", 5, 0, 6, (e) => {
  const [a, sig] = [get(e.tmp(V)), sigma(e, SMALL, BIG)];
  return [
    ...siluSides(e, 1),
    ...e.store(3, mul(mul(mul(e.load(0), e.load(2)), sig), add(k(1), mul(a, sigma(e, BIG, SMALL))))),
    ...e.store(4, mul(mul(e.load(0), a), sig)),
  ];
});

// adamW(θ, g, m, v, θ', m', v', bytes, β1, 1 − β1, β2, 1 − β2, eps, step, bc2Sqrt, decay): as the JS loop.
const adamW = elementwise("adamW", 7, 8, 3, (e) => {
  const s = (j: number) => get(e.scalar(j));
  const [G, M1, V1] = [e.tmp(0), e.tmp(1), e.tmp(2)];
  return [
    ...e.load(1),
    ...set(G),
    ...add(mul(e.load(2), s(0)), mul(get(G), s(1))),
    ...set(M1),
    ...add(mul(e.load(3), s(2)), mul(mul(get(G), get(G)), s(3))),
    ...set(V1),
    ...e.store(5, get(M1)),
    ...e.store(6, get(V1)),
    ...e.store(4, sub(mul(e.load(0), s(7)), mul(div(get(M1), add(div(sqrt(get(V1)), s(6)), s(4))), s(5)))),
  ];
});

// Row kernels of LayerNorm and RMSNorm (D a multiple of 4; the JS loops take other D): JS walks the rows and
// computes each row's scalars in float64 from the sums these return. Accumulators are four-lane f32.
/** Sum of the four lanes of local `acc`. */
const laneSum = (acc: number): Code =>
  [0, 1, 2, 3].flatMap((l) => [...get(acc), ...asm.lane("f32x4.extract_lane", l), ...(l ? opcode("f32.add") : [])]);
const accumulate = (acc: number, value: Code): Code => [...add(get(acc), value), ...set(acc)];

// sumSquares(x, bytes, c) = Σ (x − c)²; sum(x, bytes) = Σ x.
const sumSquares = elementwise(
  "sumSquares",
  1,
  1,
  2,
  (e) => [...sub(e.load(0), get(e.scalar(0))), ...set(e.tmp(1)), ...accumulate(e.tmp(0), mul(get(e.tmp(1)), get(e.tmp(1))))],
  1,
  (e) => laneSum(e.tmp(0)),
);
const sum = elementwise(
  "sum",
  1,
  0,
  1,
  (e) => accumulate(e.tmp(0), e.load(0)),
  1,
  (e) => laneSum(e.tmp(0)),
);

// layerNormApply(x, w, b, out, bytes, mean, rstd): (x − mean)·rstd·w + b. rmsNormApply(x, w, out, bytes, rstd): x·rstd·w.
const layerNormApply = elementwise("layerNormApply", 4, 2, 0, (e) =>
  e.store(3, add(mul(mul(sub(e.load(0), get(e.scalar(0))), get(e.scalar(1))), e.load(1)), e.load(2))),
);
const rmsNormApply = elementwise("rmsNormApply", 3, 1, 0, (e) => e.store(2, mul(mul(e.load(0), get(e.scalar(0))), e.load(1))));

// layerNormGradSums(dy, x, w, dw, db, bytes, mean, rstd) → (Σ g, Σ g·x̂), g = dy·w, x̂ = (x − mean)·rstd; dw += dy·x̂, db += dy.
const layerNormGradSums = elementwise(
  "layerNormGradSums",
  5,
  2,
  4,
  (e) => {
    const [sumG, sumGX, xh, g] = [0, 1, 2, 3].map(e.tmp);
    return [
      ...mul(sub(e.load(1), get(e.scalar(0))), get(e.scalar(1))),
      ...set(xh),
      ...mul(e.load(0), e.load(2)),
      ...set(g),
      ...accumulate(sumG, get(g)),
      ...accumulate(sumGX, mul(get(g), get(xh))),
      ...e.store(3, add(e.load(3), mul(e.load(0), get(xh)))),
      ...e.store(4, add(e.load(4), e.load(0))),
    ];
  },
  2,
  (e) => [...laneSum(e.tmp(0)), ...laneSum(e.tmp(1))],
);

// layerNormGradApply(dy, x, w, dx, bytes, mean, rstd, mean g, mean g·x̂): dx = rstd·(dy·w − mean g − x̂·mean g·x̂).
const layerNormGradApply = elementwise("layerNormGradApply", 4, 4, 0, (e) => {
  const s = (j: number) => get(e.scalar(j));
  const xh = mul(sub(e.load(1), s(0)), s(1));
  return e.store(3, mul(s(1), sub(sub(mul(e.load(0), e.load(2)), s(2)), mul(xh, s(3)))));
});

// rmsNormGradSums(dy, x, w, dw, bytes, rstd) → Σ dy·w·x̂, x̂ = x·rstd; dw += dy·x̂.
const rmsNormGradSums = elementwise(
  "rmsNormGradSums",
  4,
  1,
  2,
  (e) => [
    ...mul(e.load(1), get(e.scalar(0))),
    ...set(e.tmp(1)),
    ...accumulate(e.tmp(0), mul(mul(e.load(0), e.load(2)), get(e.tmp(1)))),
    ...e.store(3, add(e.load(3), mul(e.load(0), get(e.tmp(1))))),
  ],
  1,
  (e) => laneSum(e.tmp(0)),
);

// rmsNormGradApply(dy, x, w, dx, bytes, rstd, mean g·x̂): dx = rstd·(dy·w − x·rstd·mean g·x̂).
const rmsNormGradApply = elementwise("rmsNormGradApply", 4, 2, 0, (e) => {
  const s = (j: number) => get(e.scalar(j));
  return e.store(3, mul(s(0), sub(mul(e.load(0), e.load(2)), mul(mul(e.load(1), s(0)), s(1)))));
});

export interface SimdKernels {
  geluNew(x: number, out: number, bytes: number): void;
  geluNewGrad(dy: number, x: number, out: number, bytes: number): void;
  siluMul(gate: number, up: number, out: number, bytes: number): void;
  siluMulGrad(dy: number, gate: number, up: number, dGate: number, dUp: number, bytes: number): void;
  adamW(p: number, g: number, m: number, v: number, p2: number, m2: number, v2: number, bytes: number, ...scalars: number[]): void;
  sum(x: number, bytes: number): number;
  sumSquares(x: number, bytes: number, center: number): number;
  layerNormApply(x: number, w: number, b: number, out: number, bytes: number, mean: number, rstd: number): void;
  rmsNormApply(x: number, w: number, out: number, bytes: number, rstd: number): void;
  layerNormGradSums(dy: number, x: number, w: number, dw: number, db: number, bytes: number, mean: number, rstd: number): [number, number];
  layerNormGradApply(
    dy: number,
    x: number,
    w: number,
    dx: number,
    bytes: number,
    mean: number,
    rstd: number,
    mg: number,
    mgx: number,
  ): void;
  rmsNormGradSums(dy: number, x: number, w: number, dw: number, bytes: number, rstd: number): number;
  rmsNormGradApply(dy: number, x: number, w: number, dx: number, bytes: number, rstd: number, mgx: number): void;
}

const FUNCTIONS = [
  geluNew,
  geluNewGrad,
  siluMul,
  siluMulGrad,
  adamW,
  sum,
  sumSquares,
  layerNormApply,
  rmsNormApply,
  layerNormGradSums,
  layerNormGradApply,
  rmsNormGradSums,
  rmsNormGradApply,
];
/** The fused kernels' module on tfjs' memory (imported as env.mem, shared for the threaded build). */
export const fusedModuleBytes = (shared: boolean) => wasmModule(FUNCTIONS, { import: 1, shared });
const simdOn = heapModule<SimdKernels>((shared) => new WebAssembly.Module(fusedModuleBytes(shared)));
let enabled = true;
let broken = false;

/** Switches the SIMD kernels off (true: back on), for tests of the JS loops and before/after benchmarks. */
export function useSimdKernels(on: boolean): void {
  enabled = on;
}

/** The SIMD kernels on `backend`'s heap, or null (disabled, or no SIMD: warns once). */
export function simdKernels(backend: WasmBackend): SimdKernels | null {
  if (!enabled || broken) return null;
  try {
    const memory = wasmMemory(backend);
    if (!memory) throw new Error("tfjs's WebAssembly.Memory not found");
    return simdOn(memory);
  } catch (e) {
    warnOnce("fused-simd", `rftlab: WebAssembly SIMD fused kernels unavailable (${(e as Error).message}); using the JS loops (~5x slower)`);
    broken = true;
    return null;
  }
}

/** How many of n elements the SIMD kernels handle (the rest is the JS loop's). */
export const simdCount = (n: number) => n - (n % 4);
