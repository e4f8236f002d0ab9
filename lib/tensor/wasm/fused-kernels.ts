// Fused forward/backward kernels for the wasm backend, as plain loops over the heap: GPT-2's gelu_new and
// LayerNorm, Llama's RMSNorm and SwiGLU product, and AdamW's update (optim.ts). Composed from tfjs ops each
// of these is 10–30 kernels, each a full pass over memory plus an allocation; fused, one or two passes. Registered under rftlab's own kernel
// names for "wasm" only; `fused-ops.ts` falls back to the composed ops on other backends. The element-wise
// ones run WebAssembly SIMD (fused-simd.ts) on all but the last n % 4 elements, the norms on rows whose
// length is a multiple of 4; the loops here do the rest, and everything where SIMD is unavailable.
import { tf } from "../tf";
import { RftlabError } from "../../errors";
import { simdCount, simdKernels } from "./fused-simd";
import { heapF32, offsetF32, type KernelArgs, type TensorInfo, type WasmBackend } from "./override";

const C = Math.sqrt(2 / Math.PI);
const A = 0.044715;

/**
 * 1 + tanh(u), the factor gelu_new needs. For |u| ≤ 3 a [13/6] rational
 * approximation of tanh (the float32 one Eigen uses; ~3× faster than Math.exp or Math.tanh, which V8 calls
 * out to); in the tails, where 1 ± tanh cancels, 2/(1 + e^(∓2u)) keeps the small side's relative accuracy.
 */
function onePlusTanh(u: number): number {
  if (u < -3) return 2 / (1 + Math.exp(-2 * u));
  if (u > 3) return 2 - 2 / (1 + Math.exp(2 * u));
  const u2 = u * u;
  let p = -2.76076847742355e-16;
  p = p * u2 + 2.00018790482477e-13;
  p = p * u2 - 8.60467152213735e-11;
  p = p * u2 + 5.12229709037114e-8;
  p = p * u2 + 1.48572235717979e-5;
  p = p * u2 + 6.37261928875436e-4;
  p = p * u2 + 4.89352455891786e-3;
  let q = 1.19825839466702e-6;
  q = q * u2 + 1.18534705686654e-4;
  q = q * u2 + 2.268434632439e-3;
  q = q * u2 + 4.89352518554385e-3;
  return 1 + (u * p) / q;
}

/**
 * Runs the SIMD kernel `name` (fused-simd.ts) on the first elements, given the tensors' float offsets
 * and its scalars; returns where the JS loop takes over (0 without SIMD).
 */
function simdPrefix(
  backend: WasmBackend,
  name: "geluNew" | "geluNewGrad" | "siluMul" | "siluMulGrad" | "adamW",
  n: number,
  offsets: number[],
  scalars: number[] = [],
): number {
  const kernels = simdKernels(backend);
  if (!kernels) return 0;
  const done = simdCount(n);
  (kernels[name] as (...a: number[]) => void)(...offsets.map((o) => o * 4), done * 4, ...scalars);
  return done;
}

/** The SIMD kernels for rows of d features (d a multiple of 4), else null. */
const rowKernels = (backend: WasmBackend, d: number) => (d % 4 === 0 ? simdKernels(backend) : null);
type RowKernels = NonNullable<ReturnType<typeof rowKernels>>;

/** LayerNorm's mean and 1/√(var + eps) of the row of d floats at byte offset `xr`, by the SIMD sums. */
function simdRowStats(vec: RowKernels, xr: number, d: number, eps: number): [number, number] {
  const mean = vec.sum(xr, 4 * d) / d;
  return [mean, 1 / Math.sqrt(vec.sumSquares(xr, 4 * d, mean) / d + eps)];
}

/** RMSNorm's 1/√(mean(x²) + eps) of the row of d floats at byte offset `xr`, by the SIMD sums. */
const simdRmsRstd = (vec: RowKernels, xr: number, d: number, eps: number) => 1 / Math.sqrt(vec.sumSquares(xr, 4 * d, 0) / d + eps);

function f32Inputs(args: KernelArgs, kernel: string): { backend: WasmBackend } {
  for (const [name, t] of Object.entries(args.inputs)) {
    if (t.dtype !== "float32") throw new RftlabError(`${kernel}: input ${name} must be float32; got ${t.dtype}`);
  }
  return { backend: args.backend as WasmBackend };
}

/** y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
function geluNew(args: KernelArgs): TensorInfo {
  const { backend } = f32Inputs(args, "RftlabGeluNew");
  const { x } = args.inputs;
  const out = backend.makeOutput(x.shape, "float32");
  const h = heapF32(backend);
  const xo = offsetF32(backend, x);
  const oo = offsetF32(backend, out);
  const n = tf.util.sizeFromShape(x.shape);
  for (let i = simdPrefix(backend, "geluNew", n, [xo, oo]); i < n; i++) {
    const v = h[xo + i];
    h[oo + i] = 0.5 * v * onePlusTanh(C * (v + A * v * v * v));
  }
  return out;
}

/** dx = dy·(½(1 + t) + ½·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²)), t = tanh(…) as in the forward. */
function geluNewGrad(args: KernelArgs): TensorInfo {
  const { backend } = f32Inputs(args, "RftlabGeluNewGrad");
  const { dy, x } = args.inputs;
  const out = backend.makeOutput(x.shape, "float32");
  const h = heapF32(backend);
  const xo = offsetF32(backend, x);
  const go = offsetF32(backend, dy);
  const oo = offsetF32(backend, out);
  const n = tf.util.sizeFromShape(x.shape);
  for (let i = simdPrefix(backend, "geluNewGrad", n, [go, xo, oo]); i < n; i++) {
    const v = h[xo + i];
    const u = C * (v + A * v * v * v);
    const p = onePlusTanh(u);
    const q = u > 3 ? 2 / (1 + Math.exp(2 * u)) : 2 - p; // 1 − t, accurate where it is small
    h[oo + i] = h[go + i] * (0.5 * p + 0.5 * v * p * q * C * (1 + 3 * A * v * v)); // 1 − t² = (1 + t)(1 − t)
  }
  return out;
}

/** Mean and 1/√(var + eps) of row r (length d at float offset `o`), in float64. */
function rowStats(h: Float32Array, o: number, d: number, eps: number): [number, number] {
  let s = 0;
  for (let j = 0; j < d; j++) s += h[o + j];
  const mean = s / d;
  let ss = 0;
  for (let j = 0; j < d; j++) {
    const c = h[o + j] - mean;
    ss += c * c;
  }
  return [mean, 1 / Math.sqrt(ss / d + eps)];
}

const FLUSH_ROWS = 16;

/**
 * Zeroes h[o, o + d), where a SIMD kernel adds one row's terms per call in float32, and returns flush(last),
 * called after each row: every FLUSH_ROWS rows it moves those partial sums into float64 totals, and at the
 * last row stores the totals there. Sums over thousands of rows keep the JS loop's float64 accuracy.
 */
function partialSums(h: Float32Array, o: number, d: number): (last: boolean) => void {
  const total = new Float64Array(d);
  let pending = 0;
  h.fill(0, o, o + d);
  return (last) => {
    if (++pending < FLUSH_ROWS && !last) return;
    pending = 0;
    for (let j = 0; j < d; j++) {
      total[j] += h[o + j];
      h[o + j] = last ? total[j] : 0;
    }
  };
}

/** A norm kernel's backend, eps, row length D (last axis of x) and row count. */
function normArgs(args: KernelArgs, kernel: string): { backend: WasmBackend; eps: number; d: number; rows: number } {
  const { backend } = f32Inputs(args, kernel);
  const { x } = args.inputs;
  const d = x.shape[x.shape.length - 1];
  return { backend, eps: args.attrs.eps as number, d, rows: tf.util.sizeFromShape(x.shape) / d };
}

/** LayerNorm over the last axis: y = (x − μ)·rstd·w + b. x [..., D], w and b [D]. */
function layerNorm(args: KernelArgs): TensorInfo {
  const { backend, eps, d, rows } = normArgs(args, "RftlabLayerNorm");
  const { x, w, b } = args.inputs;
  const out = backend.makeOutput(x.shape, "float32");
  const h = heapF32(backend);
  const [xo, wo, bo, oo] = [x, w, b, out].map((t) => offsetF32(backend, t));
  const vec = rowKernels(backend, d);
  if (vec) {
    for (let r = 0, xr = xo * 4, or = oo * 4; r < rows; r++, xr += 4 * d, or += 4 * d) {
      const [mean, rstd] = simdRowStats(vec, xr, d, eps);
      vec.layerNormApply(xr, wo * 4, bo * 4, or, 4 * d, mean, rstd);
    }
    return out;
  }
  for (let r = 0; r < rows; r++) {
    const [mean, rstd] = rowStats(h, xo + r * d, d, eps);
    for (let j = 0; j < d; j++) h[oo + r * d + j] = (h[xo + r * d + j] - mean) * rstd * h[wo + j] + h[bo + j];
  }
  return out;
}

/**
 * LayerNorm backward, x̂ = (x − μ)·rstd and g = dy·w: dx = rstd·(g − mean(g) − x̂·mean(g·x̂)),
 * dw = Σ_rows dy·x̂, db = Σ_rows dy. Returns [dx, dw, db].
 */
function layerNormGrad(args: KernelArgs): TensorInfo[] {
  const { backend, eps, d, rows } = normArgs(args, "RftlabLayerNormGrad");
  const { dy, x, w } = args.inputs;
  const dx = backend.makeOutput(x.shape, "float32");
  const dw = backend.makeOutput([d], "float32");
  const db = backend.makeOutput([d], "float32");
  const h = heapF32(backend);
  const [xo, go, wo, dxo, dwo, dbo] = [x, dy, w, dx, dw, db].map((t) => offsetF32(backend, t));
  const vec = rowKernels(backend, d);
  if (vec) {
    const [flushW, flushB] = [dwo, dbo].map((o) => partialSums(h, o, d));
    for (let r = 0, ro = 0; r < rows; r++, ro += 4 * d) {
      const [xr, gr] = [xo * 4 + ro, go * 4 + ro];
      const [mean, rstd] = simdRowStats(vec, xr, d, eps);
      const [sumG, sumGX] = vec.layerNormGradSums(gr, xr, wo * 4, dwo * 4, dbo * 4, 4 * d, mean, rstd);
      vec.layerNormGradApply(gr, xr, wo * 4, dxo * 4 + ro, 4 * d, mean, rstd, sumG / d, sumGX / d);
      flushW(r + 1 === rows);
      flushB(r + 1 === rows);
    }
    return [dx, dw, db];
  }
  const accW = new Float64Array(d);
  const accB = new Float64Array(d);
  const xhat = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    const ro = r * d;
    const [mean, rstd] = rowStats(h, xo + ro, d, eps);
    let sumG = 0;
    let sumGX = 0;
    for (let j = 0; j < d; j++) {
      const xh = (h[xo + ro + j] - mean) * rstd;
      const gy = h[go + ro + j];
      const g = gy * h[wo + j];
      xhat[j] = xh;
      sumG += g;
      sumGX += g * xh;
      accW[j] += gy * xh;
      accB[j] += gy;
    }
    const mg = sumG / d;
    const mgx = sumGX / d;
    for (let j = 0; j < d; j++) h[dxo + ro + j] = rstd * (h[go + ro + j] * h[wo + j] - mg - xhat[j] * mgx);
  }
  for (let j = 0; j < d; j++) {
    h[dwo + j] = accW[j];
    h[dbo + j] = accB[j];
  }
  return [dx, dw, db];
}

/** RMSNorm over the last axis (Llama/Qwen2): y = x·rstd·w, rstd = 1/√(mean(x²) + eps). */
function rmsNorm(args: KernelArgs): TensorInfo {
  const { backend, eps, d, rows } = normArgs(args, "RftlabRmsNorm");
  const { x, w } = args.inputs;
  const out = backend.makeOutput(x.shape, "float32");
  const h = heapF32(backend);
  const [xo, wo, oo] = [x, w, out].map((t) => offsetF32(backend, t));
  const vec = rowKernels(backend, d);
  if (vec) {
    for (let ro = 0; ro < rows * d * 4; ro += 4 * d) {
      vec.rmsNormApply(xo * 4 + ro, wo * 4, oo * 4 + ro, 4 * d, simdRmsRstd(vec, xo * 4 + ro, d, eps));
    }
    return out;
  }
  for (let r = 0; r < rows; r++) {
    const rstd = rmsRstd(h, xo + r * d, d, eps);
    for (let j = 0; j < d; j++) h[oo + r * d + j] = h[xo + r * d + j] * rstd * h[wo + j];
  }
  return out;
}

function rmsRstd(h: Float32Array, o: number, d: number, eps: number): number {
  let ss = 0;
  for (let j = 0; j < d; j++) ss += h[o + j] * h[o + j];
  return 1 / Math.sqrt(ss / d + eps);
}

/** RMSNorm backward, x̂ = x·rstd and g = dy·w: dx = rstd·(g − x̂·mean(g·x̂)), dw = Σ_rows dy·x̂. Returns [dx, dw]. */
function rmsNormGrad(args: KernelArgs): TensorInfo[] {
  const { backend, eps, d, rows } = normArgs(args, "RftlabRmsNormGrad");
  const { dy, x, w } = args.inputs;
  const dx = backend.makeOutput(x.shape, "float32");
  const dw = backend.makeOutput([d], "float32");
  const h = heapF32(backend);
  const [xo, go, wo, dxo, dwo] = [x, dy, w, dx, dw].map((t) => offsetF32(backend, t));
  const vec = rowKernels(backend, d);
  if (vec) {
    const flushW = partialSums(h, dwo, d);
    for (let r = 0, ro = 0; r < rows; r++, ro += 4 * d) {
      const [xr, gr] = [xo * 4 + ro, go * 4 + ro];
      const rstd = simdRmsRstd(vec, xr, d, eps);
      const sumGX = vec.rmsNormGradSums(gr, xr, wo * 4, dwo * 4, 4 * d, rstd);
      vec.rmsNormGradApply(gr, xr, wo * 4, dxo * 4 + ro, 4 * d, rstd, sumGX / d);
      flushW(r + 1 === rows);
    }
    return [dx, dw];
  }
  const accW = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    const ro = r * d;
    const rstd = rmsRstd(h, xo + ro, d, eps);
    let sumGX = 0;
    for (let j = 0; j < d; j++) {
      const xh = h[xo + ro + j] * rstd;
      const gy = h[go + ro + j];
      sumGX += gy * h[wo + j] * xh;
      accW[j] += gy * xh;
    }
    const mgx = sumGX / d;
    for (let j = 0; j < d; j++) h[dxo + ro + j] = rstd * (h[go + ro + j] * h[wo + j] - h[xo + ro + j] * rstd * mgx);
  }
  for (let j = 0; j < d; j++) h[dwo + j] = accW[j];
  return [dx, dw];
}

/** SwiGLU's product silu(gate)·up, silu(a) = a·σ(a) with σ(a) = ½(1 + tanh(a/2)). */
function siluMul(args: KernelArgs): TensorInfo {
  const { backend } = f32Inputs(args, "RftlabSiluMul");
  const { gate, up } = args.inputs;
  const out = backend.makeOutput(gate.shape, "float32");
  const h = heapF32(backend);
  const [go, uo, oo] = [gate, up, out].map((t) => offsetF32(backend, t));
  const n = tf.util.sizeFromShape(gate.shape);
  for (let i = simdPrefix(backend, "siluMul", n, [go, uo, oo]); i < n; i++) {
    const a = h[go + i];
    h[oo + i] = a * 0.5 * onePlusTanh(0.5 * a) * h[uo + i];
  }
  return out;
}

/** d gate = dy·up·σ(a)·(1 + a·(1 − σ(a))), d up = dy·silu(a). Returns [dGate, dUp]. */
function siluMulGrad(args: KernelArgs): TensorInfo[] {
  const { backend } = f32Inputs(args, "RftlabSiluMulGrad");
  const { dy, gate, up } = args.inputs;
  const dGate = backend.makeOutput(gate.shape, "float32");
  const dUp = backend.makeOutput(gate.shape, "float32");
  const h = heapF32(backend);
  const [yo, go, uo, dgo, duo] = [dy, gate, up, dGate, dUp].map((t) => offsetF32(backend, t));
  const n = tf.util.sizeFromShape(gate.shape);
  for (let i = simdPrefix(backend, "siluMulGrad", n, [yo, go, uo, dgo, duo]); i < n; i++) {
    const a = h[go + i];
    const sig = 0.5 * onePlusTanh(0.5 * a);
    const oneMinusSig = a > 6 ? 1 / (1 + Math.exp(a)) : 1 - sig; // accurate where it is small
    const g = h[yo + i];
    h[dgo + i] = g * h[uo + i] * sig * (1 + a * oneMinusSig);
    h[duo + i] = g * a * sig;
  }
  return [dGate, dUp];
}

/**
 * One AdamW step (torch.optim.AdamW semantics, see optim.ts) on flat float32 tensors: returns
 * [θ', m', v'] from θ, g, m, v. attrs: beta1, beta2, eps, step = lr / (1 − β1ᵗ), bc2Sqrt = √(1 − β2ᵗ),
 * decay = 1 − lr·λ.
 */
function adamW(args: KernelArgs): TensorInfo[] {
  const { backend } = f32Inputs(args, "RftlabAdamW");
  const { param, g, m, v } = args.inputs;
  const { beta1, beta2, eps, step, bc2Sqrt, decay } = args.attrs as Record<string, number>;
  const outs = [param, m, v].map((t) => backend.makeOutput(t.shape, "float32"));
  const h = heapF32(backend);
  const [po, gi, mo, vo, po2, mo2, vo2] = [param, g, m, v, ...outs].map((t) => offsetF32(backend, t));
  const n = tf.util.sizeFromShape(param.shape);
  // float64 arithmetic, rounded once per stored value (Math.fround per step would make it 5× slower in V8);
  // agrees with the float32 composed ops and with torch to ~1e-7 relative (tests).
  const start = simdPrefix(
    backend,
    "adamW",
    n,
    [po, gi, mo, vo, po2, mo2, vo2],
    [beta1, 1 - beta1, beta2, 1 - beta2, eps, step, bc2Sqrt, decay],
  );
  for (let i = start; i < n; i++) {
    const gv = h[gi + i];
    const m1 = h[mo + i] * beta1 + gv * (1 - beta1);
    const v1 = h[vo + i] * beta2 + gv * gv * (1 - beta2);
    h[po2 + i] = h[po + i] * decay - (m1 / (Math.sqrt(v1) / bc2Sqrt + eps)) * step;
    h[mo2 + i] = m1;
    h[vo2 + i] = v1;
  }
  return outs;
}

const KERNELS: Record<string, (args: KernelArgs) => TensorInfo | TensorInfo[]> = {
  RftlabGeluNew: geluNew,
  RftlabGeluNewGrad: geluNewGrad,
  RftlabLayerNorm: layerNorm,
  RftlabLayerNormGrad: layerNormGrad,
  RftlabRmsNorm: rmsNorm,
  RftlabRmsNormGrad: rmsNormGrad,
  RftlabSiluMul: siluMul,
  RftlabSiluMulGrad: siluMulGrad,
  RftlabAdamW: adamW,
};

/** Registers the fused kernels for "wasm" (idempotent). */
export function registerFusedKernels(): void {
  for (const [name, func] of Object.entries(KERNELS)) {
    if (!tf.getKernel(name, "wasm"))
      tf.registerKernel({ kernelName: name, backendName: "wasm", kernelFunc: func as unknown as tf.KernelFunc });
  }
}

/** Removes them (benchmarks of stock tfjs). */
export function unregisterFusedKernels(): void {
  for (const name of Object.keys(KERNELS)) if (tf.getKernel(name, "wasm")) tf.unregisterKernel(name, "wasm");
}

/** Whether the active backend runs the fused kernels. */
export function fusedKernelsActive(): boolean {
  return tf.getBackend() === "wasm" && tf.getKernel("RftlabGeluNew", "wasm") !== undefined;
}
