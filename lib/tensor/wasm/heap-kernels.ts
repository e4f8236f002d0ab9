// Kernels for tfjs-backend-wasm 4.22 written as plain loops over the wasm heap, replacing stock ones that
// copy or transpose needlessly in training: Identity and same-dtype Cast copy their input (tfjs-core's
// gradients call both all the time; the cpu backend aliases instead, as Reshape does on wasm), Sum over
// leading axes transposes the whole input first (every bias, LayerNorm-weight and broadcast gradient), and
// SplitV runs a generic strided Slice per part (the fused QKV split of GPT-2), and Transpose walks the
// output element by element (60 ms for a [2048, 1024] matrix, the operand of every weight gradient).
import { tf } from "../tf";
import { heapF32, offsetF32, stockKernel, type KernelArgs, type KernelFunc, type TensorInfo, type WasmBackend } from "./override";

/** Same data, same shape: shares the buffer (refcounted) instead of copying it. */
function alias(x: TensorInfo, backend: WasmBackend): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function identity(args: KernelArgs): TensorInfo {
  const { x } = args.inputs;
  return x.dtype === "string" ? stockKernel("Identity", args) : alias(x, args.backend as WasmBackend);
}

function cast(args: KernelArgs): TensorInfo {
  const { x } = args.inputs;
  return x.dtype === args.attrs.dtype && x.dtype !== "string" ? alias(x, args.backend as WasmBackend) : stockKernel("Cast", args);
}

const product = (dims: number[]) => dims.reduce((p, d) => p * d, 1);

/**
 * Float32 sum over a run of adjacent axes that does not end at the last one: the input is [outer, reduce,
 * inner] and each output row accumulates `reduce` contiguous rows of length `inner` (in float64, so long
 * reductions such as a bias gradient over B·T rows do not drift). Other sums go to the stock kernel, which
 * needs no transpose when the reduced axes are innermost.
 */
function sum(args: KernelArgs): TensorInfo {
  const { x } = args.inputs;
  const rank = x.shape.length;
  const axes = [...new Set(tf.util.parseAxisParam(args.attrs.axis as number | number[], x.shape))].sort((a, b) => a - b);
  const contiguous = axes.every((a, i) => a === axes[0] + i);
  if (x.dtype !== "float32" || axes.length === 0 || !contiguous || axes[axes.length - 1] === rank - 1 || product(x.shape) === 0) {
    return stockKernel("Sum", args);
  }
  const first = axes[0];
  const last = axes[axes.length - 1];
  const outer = product(x.shape.slice(0, first));
  const reduce = product(x.shape.slice(first, last + 1));
  const inner = product(x.shape.slice(last + 1));
  const outShape = args.attrs.keepDims
    ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d))
    : x.shape.filter((_, i) => i < first || i > last);
  const backend = args.backend as WasmBackend;
  const out = backend.makeOutput(outShape, "float32");
  const heap = heapF32(backend);
  const xo = offsetF32(backend, x);
  const oo = offsetF32(backend, out);
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    let r = 0;
    for (; r + 4 <= reduce; r += 4) {
      // four rows per pass over acc: a quarter of its loads and stores
      const b0 = xo + (o * reduce + r) * inner;
      const [b1, b2, b3] = [b0 + inner, b0 + 2 * inner, b0 + 3 * inner];
      for (let j = 0; j < inner; j++) acc[j] += heap[b0 + j] + heap[b1 + j] + heap[b2 + j] + heap[b3 + j];
    }
    for (; r < reduce; r++) {
      const base = xo + (o * reduce + r) * inner;
      for (let j = 0; j < inner; j++) acc[j] += heap[base + j];
    }
    const dst = oo + o * inner;
    for (let j = 0; j < inner; j++) heap[dst + j] = acc[j];
  }
  return out;
}

/** Split along any axis of a 4-byte tensor as row copies (memmove) inside the heap. */
function splitV(args: KernelArgs): TensorInfo[] {
  const { x } = args.inputs;
  if (x.dtype !== "float32" && x.dtype !== "int32") return stockKernel("SplitV", args) as unknown as TensorInfo[];
  const axis = tf.util.parseAxisParam(args.attrs.axis as number, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, args.attrs.numOrSizeSplits as number[] | number, axis);
  const backend = args.backend as WasmBackend;
  const outs = sizes.map((s) =>
    backend.makeOutput(
      x.shape.map((d, i) => (i === axis ? s : d)),
      x.dtype,
    ),
  );
  const heap = heapF32(backend); // int32 data moves bit-for-bit through a float view with copyWithin
  const outer = product(x.shape.slice(0, axis));
  const inner = product(x.shape.slice(axis + 1));
  const rowIn = x.shape[axis] * inner;
  const xo = offsetF32(backend, x);
  let start = 0;
  sizes.forEach((s, k) => {
    const rowOut = s * inner;
    const oo = offsetF32(backend, outs[k]);
    for (let o = 0; o < outer; o++) {
      const src = xo + o * rowIn + start;
      heap.copyWithin(oo + o * rowOut, src, src + rowOut);
    }
    start += rowOut;
  });
  return outs;
}

/** Cache-blocked transpose of `count` row-major [rows, cols] matrices at float offsets src → dst. */
function transposeMatrices(h: Float32Array, src: number, dst: number, count: number, rows: number, cols: number): void {
  const B = 16; // a 16×16 float block keeps both the rows read and the rows written in L1
  for (let m = 0; m < count; m++) {
    const s = src + m * rows * cols;
    const d = dst + m * rows * cols;
    for (let i0 = 0; i0 < rows; i0 += B) {
      const i1 = Math.min(i0 + B, rows);
      for (let j0 = 0; j0 < cols; j0 += B) {
        const j1 = Math.min(j0 + B, cols);
        for (let i = i0; i < i1; i++) {
          for (let j = j0; j < j1; j++) h[d + j * rows + i] = h[s + i * cols + j];
        }
      }
    }
  }
}

/**
 * Transpose of a 4-byte tensor. Two shapes of permutation are handled here: swapping the last two axes
 * (batched matrix transpose, blocked) and permutations that keep a trailing run of axes in place (row copies,
 * e.g. attention's [B, T, H, hd] → [B, H, T, hd]); others go to the stock kernel.
 */
function transpose(args: KernelArgs): TensorInfo {
  const { x } = args.inputs;
  const perm = args.attrs.perm as number[];
  const rank = x.shape.length;
  if ((x.dtype !== "float32" && x.dtype !== "int32") || rank < 2 || product(x.shape) === 0) return stockKernel("Transpose", args);
  let kept = rank; // axes kept..rank−1 stay in place
  while (kept > 0 && perm[kept - 1] === kept - 1) kept--;
  const swapsLastTwo = perm[rank - 1] === rank - 2 && perm[rank - 2] === rank - 1 && perm.slice(0, -2).every((p, i) => p === i);
  if (!swapsLastTwo && kept === rank) return stockKernel("Transpose", args);
  const backend = args.backend as WasmBackend;
  const out = backend.makeOutput(
    perm.map((p) => x.shape[p]),
    x.dtype,
  );
  const h = heapF32(backend); // int32 moves bit-for-bit through float copies (no arithmetic on the values)
  const xo = offsetF32(backend, x);
  const oo = offsetF32(backend, out);
  if (kept === 0)
    h.copyWithin(oo, xo, xo + product(x.shape)); // identity permutation
  else if (swapsLastTwo) transposeMatrices(h, xo, oo, product(x.shape.slice(0, -2)), x.shape[rank - 2], x.shape[rank - 1]);
  else {
    const run = product(x.shape.slice(kept));
    const outDims = perm.slice(0, kept).map((p) => x.shape[p]);
    const inStrides = x.shape.map((_, i) => product(x.shape.slice(i + 1)));
    const srcStride = perm.slice(0, kept).map((p) => inStrides[p]); // input step per output index, leading axes
    const idx = new Array<number>(kept).fill(0);
    const runs = product(outDims);
    let src = 0;
    for (let r = 0; r < runs; r++) {
      h.copyWithin(oo + r * run, xo + src, xo + src + run);
      for (let a = kept - 1; a >= 0; a--) {
        // odometer over the output's leading axes
        src += srcStride[a];
        if (++idx[a] < outDims[a]) break;
        src -= srcStride[a] * outDims[a];
        idx[a] = 0;
      }
    }
  }
  return out;
}

/** Heap kernels by tfjs kernel name (installed with the BatchMatMul override by `installWasmKernels`). */
export const heapKernels: Record<string, KernelFunc> = { Identity: identity, Cast: cast, Sum: sum, SplitV: splitV, Transpose: transpose };
