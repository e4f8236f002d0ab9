// Configuration of the wasm backend before it starts (threads, SIMD). Extended by the performance work.
let threads = 1;
let simd = true;

export async function configureWasm(): Promise<void> {
  // Stock tfjs-backend-wasm disables threads under Node; single-threaded SIMD is the baseline.
  threads = 1;
  simd = true;
}
export function wasmThreads(): number {
  return threads;
}
export function wasmSimd(): boolean {
  return simd;
}
