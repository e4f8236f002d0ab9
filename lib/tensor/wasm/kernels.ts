// Faster BatchMatMul for tfjs-backend-wasm 4.22 (pinned exactly: this relies on its internals).
// The stock kernel reaches XNNPACK's GEMM only for one [1, M, K] × [1, K, N] product without transpose
// flags; batched products (attention) and every matmul gradient (transposeA/B) fall to a naive loop at
// 0.5–2 GFLOP/s. This kernel transposes explicitly and runs rftlab's FMA GEMM (gemm.ts) on every
// product whose M % 4 = 0 and N % 8 = 0; the others go to XNNPACK, folding a shared right operand's batch
// into M, otherwise one GEMM per batch entry on zero-copy views: extra tensor ids registered on the wasm
// side at offsets inside the operands' buffers (the C++ side keeps only id → pointer, and JS-side
// `tfjs.disposeData(id)` forgets an id without freeing memory). Tested against the cpu backend.
import { tf } from "../tf";
import { heapKernels } from "./heap-kernels";
import { gemmKernelFor, type GemmKernel } from "./gemm";
import { registerFusedKernels, unregisterFusedKernels } from "./fused-kernels";
import {
  isOverridden,
  overrideKernel,
  restoreKernel,
  stockKernel,
  wasmMemory,
  type KernelArgs,
  type KernelFunc,
  type TensorInfo,
  type WasmBackend,
} from "./override";

type GemmFn = (
  aId: number,
  aShape: Uint8Array,
  aRank: number,
  bId: number,
  bShape: Uint8Array,
  bRank: number,
  transposeA: boolean,
  transposeB: boolean,
  outId: number,
) => void;

const gemmByModule = new WeakMap<object, GemmFn>();

function gemmFor(backend: WasmBackend): GemmFn {
  let fn = gemmByModule.get(backend.wasm);
  if (!fn) {
    fn = backend.wasm.cwrap("BatchMatMul", null, [
      "number",
      "array",
      "number",
      "number",
      "array",
      "number",
      "number",
      "number",
      "number",
    ]) as GemmFn;
    gemmByModule.set(backend.wasm, fn);
  }
  return fn;
}

const shapeBytes = (s: number[]) => new Uint8Array(new Int32Array(s).buffer);

/** Swaps the last two axes with the wasm Transpose kernel; the caller disposes the result. */
function transposeLast2(x: TensorInfo, backend: WasmBackend): TensorInfo {
  const r = x.shape.length;
  const perm = [...Array(r - 2).keys(), r - 1, r - 2];
  return tf.getKernel("Transpose", "wasm")!.kernelFunc({ inputs: { x }, backend, attrs: { perm } } as never) as TensorInfo;
}

/** Row-major strides of `dims` broadcast to `outDims` (0 on broadcast axes), counted in matrices. */
function batchStrides(dims: number[], outDims: number[]): number[] {
  const padded = [...Array(outDims.length - dims.length).fill(1), ...dims];
  const strides = new Array<number>(outDims.length);
  let s = 1;
  for (let i = outDims.length - 1; i >= 0; i--) {
    strides[i] = padded[i] === 1 ? 0 : s;
    s *= padded[i];
  }
  return strides;
}

/**
 * One product C = A·B [M, N] computed as (Bᵀ·Aᵀ)ᵀ. XNNPACK repacks its right operand on every call (the
 * packing runs at ~10 ns per element here, as much as the GEMM for a weight gradient) and reads the left one
 * as it is, so when M ≪ N packing Aᵀ (K·M) instead of B (K·N) wins, even with the transposes around it:
 * the weight gradients Xᵀ·dY of layers that widen (c_attn, c_fc) and the decode-step products.
 */
function swappedProduct(
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  outShape: number[],
  backend: WasmBackend,
): TensorInfo {
  const [m, n] = outShape.slice(-2);
  const bT = transposeB ? b : transposeLast2(b, backend); // [N, K]
  const aT = transposeA ? a : transposeLast2(a, backend); // [K, M]
  const k = bT.shape[bT.shape.length - 1];
  const ct = backend.makeOutput([n, m], "float32");
  const ids = (t: TensorInfo) => backend.dataIdMap.get(t.dataId).id;
  gemmFor(backend)(ids(bT), shapeBytes([1, n, k]), 3, ids(aT), shapeBytes([1, k, m]), 3, false, false, ids(ct));
  const out = transposeLast2(ct, backend);
  out.shape = outShape;
  for (const t of [bT, aT, ct]) if (t !== a && t !== b) backend.disposeData(t.dataId);
  return out;
}

// Cache blocking of the FMA kernel: a KC×8 panel of B stays in L1 and an MC×KC block of A in L2 (measured
// best of 128–512 × 32–128 on the bench shapes: 40–53 GFLOP/s vs XNNPACK's 20–30 with its repacking).
const KC = 256;
const MC = 64;

/** C = A·B with gemm.ts's kernel on row-major operands at byte offsets (one matrix). */
function blockedGemm(kernel: GemmKernel, a: number, b: number, c: number, m: number, n: number, k: number): void {
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = Math.min(KC, k - k0);
    for (let i0 = 0; i0 < m; i0 += MC)
      kernel(a + 4 * (i0 * k + k0), b + 4 * k0 * n, c + 4 * i0 * n, Math.min(MC, m - i0), n, kc, k, n, n, k0 > 0 ? 1 : 0);
  }
}

/** Batched product with the FMA kernel (m % 4 = 0, n % 8 = 0): operands transposed to [..., M, K] and [..., K, N]. */
function fmaProduct(
  kernel: GemmKernel,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  outBatch: number[],
  backend: WasmBackend,
): TensorInfo {
  const at = transposeA ? transposeLast2(a, backend) : a; // [..., M, K]
  const bt = transposeB ? transposeLast2(b, backend) : b; // [..., K, N]
  const [m, k] = at.shape.slice(-2);
  const n = bt.shape[bt.shape.length - 1];
  const out = backend.makeOutput([...outBatch, m, n], "float32");
  const sa = batchStrides(a.shape.slice(0, -2), outBatch);
  const sb = batchStrides(b.shape.slice(0, -2), outBatch);
  const [ao, bo, oo] = [at, bt, out].map((t) => backend.dataIdMap.get(t.dataId).memoryOffset);
  const count = tf.util.sizeFromShape(outBatch);
  for (let i = 0; i < count; i++) {
    const [ia, ib] = batchIndex(i, outBatch, sa, sb);
    blockedGemm(kernel, ao + 4 * ia * m * k, bo + 4 * ib * k * n, oo + 4 * i * m * n, m, n, k);
  }
  if (at !== a) backend.disposeData(at.dataId);
  if (bt !== b) backend.disposeData(bt.dataId);
  return out;
}

/** Matrix indices into the two operands for output batch entry `i`. */
function batchIndex(i: number, outBatch: number[], sa: number[], sb: number[]): [number, number] {
  let ia = 0;
  let ib = 0;
  for (let d = outBatch.length - 1, rest = i; d >= 0; d--) {
    const idx = rest % outBatch[d];
    rest = Math.floor(rest / outBatch[d]);
    ia += idx * sa[d];
    ib += idx * sb[d];
  }
  return [ia, ib];
}

function fastBatchMatMul(args: KernelArgs): TensorInfo {
  const { a, b } = args.inputs;
  const transposeA = args.attrs.transposeA as boolean;
  const transposeB = args.attrs.transposeB as boolean;
  const backend = args.backend as WasmBackend;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [m, k] = transposeA ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
  const [kb, n] = transposeB ? [b.shape[rb - 1], b.shape[rb - 2]] : [b.shape[rb - 2], b.shape[rb - 1]];
  if (a.dtype !== "float32" || b.dtype !== "float32" || m * n * k === 0 || k !== kb) {
    return stockKernel("BatchMatMul", args); // its own checks and messages
  }
  const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const fma = m % 4 === 0 && n % 8 === 0 ? gemmKernelFor(wasmMemory(backend)) : null;
  if (fma) return fmaProduct(fma, a, b, transposeA, transposeB, outBatch, backend);
  if (tf.util.sizeFromShape(outBatch) === 1 && 2 * m <= n)
    return swappedProduct(a, b, transposeA, transposeB, [...outBatch, m, n], backend);
  const at = transposeA ? transposeLast2(a, backend) : a; // [..., M, K]
  const bt = transposeB ? transposeLast2(b, backend) : b; // [..., K, N]
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  const batchOut = tf.util.sizeFromShape(outBatch);
  const out = backend.makeOutput([...outBatch, m, n], "float32");
  const gemm = gemmFor(backend);
  const ids = (t: TensorInfo) => backend.dataIdMap.get(t.dataId);
  if (batchB === 1) {
    // one operand shared by every batch entry: [batchOut·M, K] × [K, N] in a single GEMM
    gemm(ids(at).id, shapeBytes([1, batchOut * m, k]), 3, ids(bt).id, shapeBytes([1, k, n]), 3, false, false, ids(out).id);
  } else {
    const sa = batchStrides(a.shape.slice(0, -2), outBatch);
    const sb = batchStrides(b.shape.slice(0, -2), outBatch);
    const aBase = ids(at).memoryOffset;
    const bBase = ids(bt).memoryOffset;
    const oBase = ids(out).memoryOffset;
    const aShape = shapeBytes([1, m, k]);
    const bShape = shapeBytes([1, k, n]);
    const { tfjs } = backend.wasm;
    for (let i = 0; i < batchOut; i++) {
      const [ia, ib] = batchIndex(i, outBatch, sa, sb);
      const [va, vb, vo] = [backend.dataIdNextNumber++, backend.dataIdNextNumber++, backend.dataIdNextNumber++];
      tfjs.registerTensor(va, m * k, aBase + 4 * ia * m * k);
      tfjs.registerTensor(vb, k * n, bBase + 4 * ib * k * n);
      tfjs.registerTensor(vo, m * n, oBase + 4 * i * m * n);
      gemm(va, aShape, 3, vb, bShape, 3, false, false, vo);
      // forgets the ids (and the GEMM operator cached for vb) without freeing the operands' memory
      tfjs.disposeData(va);
      tfjs.disposeData(vb);
      tfjs.disposeData(vo);
    }
  }
  if (at !== a) backend.disposeData(at.dataId);
  if (bt !== b) backend.disposeData(bt.dataId);
  return out;
}

/** rftlab's wasm kernels by kernel name. */
const OVERRIDES: Record<string, KernelFunc> = { BatchMatMul: fastBatchMatMul, ...heapKernels };

/** True when rftlab's kernels are the ones registered for "wasm". */
export function wasmKernelsInstalled(): boolean {
  return Object.keys(OVERRIDES).every(isOverridden);
}

/**
 * Replaces the wasm backend's BatchMatMul with the GEMM-routed version and the heap kernels of
 * heap-kernels.ts, and registers the fused kernels of fused-kernels.ts (idempotent). The stock kernels are kept for inputs the overrides do not handle and
 * for `uninstallWasmKernels` (benchmarks compare both).
 */
export function installWasmKernels(): void {
  for (const [name, func] of Object.entries(OVERRIDES)) overrideKernel(name, func);
  registerFusedKernels();
}

/** Restores the stock wasm kernels (for before/after measurements). */
export function uninstallWasmKernels(): void {
  for (const name of Object.keys(OVERRIDES)) restoreKernel(name);
  unregisterFusedKernels();
}
