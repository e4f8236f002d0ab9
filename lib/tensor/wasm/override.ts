// Replacing kernels of tfjs-backend-wasm 4.22 (pinned exactly: the overrides rely on its internals) while
// keeping the stock kernel callable, for inputs an override does not handle and for before/after benchmarks.
import { tf } from "../tf";

export type TensorInfo = { dataId: object; shape: number[]; dtype: tf.DataType };
export type KernelArgs = { inputs: Record<string, TensorInfo>; backend: unknown; attrs: Record<string, unknown> };
export type KernelFunc = (args: KernelArgs) => TensorInfo | TensorInfo[];

/** The parts of tfjs-backend-wasm's BackendWasm the overrides use (4.22). */
export interface WasmBackend {
  wasm: {
    HEAPU8: Uint8Array;
    cwrap(name: string, ret: null, args: string[]): (...a: unknown[]) => void;
    tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
  };
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } };
  dataIdNextNumber: number;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
}

const stock = new Map<string, tf.KernelConfig>();
const ours = new Map<string, KernelFunc>();

/** Runs the stock kernel (for inputs an override leaves to it). */
export function stockKernel(name: string, args: KernelArgs): TensorInfo {
  return stock.get(name)!.kernelFunc(args as never) as TensorInfo;
}

/** tfjs' WebAssembly.Memory: exported by the single-threaded build, imported (shared) and kept by the threaded one. */
export function wasmMemory(backend: WasmBackend): WebAssembly.Memory | undefined {
  const w = backend.wasm as unknown as { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory };
  const memory = w.asm?.memory ?? w.wasmMemory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

/** Whether `memory` is the threaded build's shared memory (modules importing it must declare it shared). */
export function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}

/**
 * A wasm module working in place on tfjs' heap (the memory imported as env.mem): `compile` runs once per kind
 * of memory (the threaded build's is shared), the instance is made once per tfjs memory. Errors propagate.
 */
export function heapModule<T>(compile: (shared: boolean) => WebAssembly.Module): (memory: WebAssembly.Memory) => T {
  const compiled = new Map<boolean, WebAssembly.Module>();
  const instances = new WeakMap<WebAssembly.Memory, T>();
  return (memory) => {
    let exports = instances.get(memory);
    if (!exports) {
      const shared = isShared(memory);
      let mod = compiled.get(shared);
      if (!mod) compiled.set(shared, (mod = compile(shared)));
      exports = new WebAssembly.Instance(mod, { env: { mem: memory } }).exports as unknown as T;
      instances.set(memory, exports);
    }
    return exports;
  };
}

/** Float32 view of the whole wasm heap; take it after the last `makeOutput` (growing memory detaches views). */
export function heapF32(backend: WasmBackend): Float32Array {
  return new Float32Array(backend.wasm.HEAPU8.buffer);
}

/** Float offset of a tensor's data in the heap. */
export function offsetF32(backend: WasmBackend, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset / 4;
}

export function isOverridden(name: string): boolean {
  const f = ours.get(name);
  return f !== undefined && tf.getKernel(name, "wasm")?.kernelFunc === (f as unknown);
}

/** Registers `func` as the wasm kernel `name` (idempotent; no-op when tfjs-backend-wasm is not loaded). */
export function overrideKernel(name: string, func: KernelFunc): void {
  if (isOverridden(name)) return;
  const current = tf.getKernel(name, "wasm");
  if (!current) return;
  if (!stock.has(name)) stock.set(name, current);
  ours.set(name, func);
  tf.unregisterKernel(name, "wasm");
  // The stock setup must still run when the backend starts: it binds the wasm export that the stock kernel,
  // and other stock kernels calling it internally (Sum → Transpose), use.
  tf.registerKernel({ kernelName: name, backendName: "wasm", kernelFunc: func as unknown as tf.KernelFunc, setupFunc: current.setupFunc });
}

/** Puts the stock kernel back (for before/after measurements). */
export function restoreKernel(name: string): void {
  if (!isOverridden(name) || !stock.has(name)) return;
  tf.unregisterKernel(name, "wasm");
  tf.registerKernel(stock.get(name)!);
}
