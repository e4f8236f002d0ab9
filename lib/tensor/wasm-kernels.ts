// Faster BatchMatMul for tfjs-backend-wasm 4.22 (pinned exactly: this relies on its internals).
// The stock kernel reaches XNNPACK's GEMM only for one [1, M, K] × [1, K, N] product without transpose
// flags; batched products (attention) and every matmul gradient (transposeA/B) fall to a naive loop at
// 0.5–2 GFLOP/s. This kernel transposes explicitly, folds a shared right operand's batch into M, and
// otherwise issues one GEMM per batch entry on zero-copy views: extra tensor ids registered on the wasm
// side at offsets inside the operands' buffers (the C++ side keeps only id → pointer, and JS-side
// `tfjs.disposeData(id)` forgets an id without freeing memory). Tested against the cpu backend.
import { tf } from "./tf";

type TensorInfo = { dataId: object; shape: number[]; dtype: tf.DataType };
type KernelArgs = { inputs: Record<string, TensorInfo>; backend: unknown; attrs: Record<string, unknown> };
type KernelFunc = (args: KernelArgs) => TensorInfo;

/** The parts of tfjs-backend-wasm's BackendWasm this file uses (4.22). */
interface WasmBackend {
  wasm: {
    cwrap(name: string, ret: null, args: string[]): (...a: unknown[]) => void;
    tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
  };
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } };
  dataIdNextNumber: number;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

type GemmFn = (aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number,
  transposeA: boolean, transposeB: boolean, outId: number) => void;

const gemmByModule = new WeakMap<object, GemmFn>();
let stockBatchMatMul: tf.KernelConfig | undefined;
const stockSetUp = new WeakSet<object>();

/** Runs the stock kernel; its setup (binding the wasm export) never ran if we replaced it before the backend started. */
function stockKernel(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackend;
  if (!stockSetUp.has(backend.wasm)) {
    stockBatchMatMul!.setupFunc?.(backend as never);
    stockSetUp.add(backend.wasm);
  }
  return stockBatchMatMul!.kernelFunc(args as never) as TensorInfo;
}

function gemmFor(backend: WasmBackend): GemmFn {
  let fn = gemmByModule.get(backend.wasm);
  if (!fn) {
    fn = backend.wasm.cwrap("BatchMatMul", null, ["number", "array", "number", "number", "array", "number", "number", "number", "number"]) as GemmFn;
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
    return stockKernel(args); // its own checks and messages
  }
  const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
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
      let ia = 0;
      let ib = 0;
      for (let d = outBatch.length - 1, rest = i; d >= 0; d--) {
        const idx = rest % outBatch[d];
        rest = Math.floor(rest / outBatch[d]);
        ia += idx * sa[d];
        ib += idx * sb[d];
      }
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

/** True when rftlab's BatchMatMul kernel is the one registered for "wasm". */
export function wasmKernelsInstalled(): boolean {
  return tf.getKernel("BatchMatMul", "wasm")?.kernelFunc === (fastBatchMatMul as unknown);
}

/**
 * Replaces the wasm backend's BatchMatMul with the GEMM-routed version (idempotent). The stock kernel is
 * kept for non-float32 inputs and for `uninstallWasmKernels` (benchmarks compare both).
 */
export function installWasmKernels(): void {
  if (wasmKernelsInstalled()) return;
  const stock = tf.getKernel("BatchMatMul", "wasm");
  if (!stock) return; // tfjs-backend-wasm not loaded
  stockBatchMatMul ??= stock; // after an uninstall the registered one is our wrapper of the stock kernel
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel({ kernelName: "BatchMatMul", backendName: "wasm", kernelFunc: fastBatchMatMul as unknown as tf.KernelFunc });
}

/** Restores the stock wasm BatchMatMul (for before/after measurements). */
export function uninstallWasmKernels(): void {
  if (!wasmKernelsInstalled() || !stockBatchMatMul) return;
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel({ ...stockBatchMatMul, setupFunc: undefined, kernelFunc: stockKernel as unknown as tf.KernelFunc });
}
