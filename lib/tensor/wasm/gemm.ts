// A float32 GEMM in WebAssembly SIMD with fused multiply-add (relaxed SIMD's f32x4.relaxed_madd), working in
// place on tfjs-backend-wasm's memory. XNNPACK (what tfjs calls) has no FMA in its wasm build and repacks its
// right operand on every call (~8–10 ns per element); this kernel reads B as it is stored, so the products of a
// training step — weight gradients of fresh activations, attention's many small products — skip the packing.
// Relaxed SIMD ships behind a flag in Node 20 (V8 11.3); it is turned on for this module only when the runtime
// accepts it, else tfjs' GEMM stays in use.
import v8 from "node:v8";
import { asm, i32x4Const, mem, op, v128Load, v128Store, wasmModule, type WasmFunction } from "./asm";
import { heapModule } from "./override";

// Operands sit at any float offset in tfjs' heap: alignment hints of 4 bytes.
const load = (offset: number) => v128Load(offset, 2);
const store = (offset: number) => v128Store(offset, 2);
const load32Splat = mem("v128.load32_splat", 0);
const madd = op("f32x4.relaxed_madd");
const lessU = op("i32.lt_u");

// params: a, b, c (byte offsets), m, n, k, lda, ldb, ldc (in floats), accumulate (0: C = A·B, 1: C += A·B)
const [A, B, C, M, N, K, LDA, LDB, LDC, ACC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
// locals
const [I, J, KK, PA0, PA1, PA2, PA3, PB, PC] = [10, 11, 12, 13, 14, 15, 16, 17, 18];
const ACCS = [19, 20, 21, 22, 23, 24, 25, 26]; // row r, half h at 19 + 2r + h
const [B0, B1, AV] = [27, 28, 29];

const get = asm.get;
const set = asm.set;
const add = (x: number[], y: number[]) => [...x, ...y, ...op("i32.add")];
const mul = (x: number[], y: number[]) => [...x, ...y, ...op("i32.mul")];
const bytes4 = (x: number[]) => mul(x, asm.i32(4));

/** C[m, n] (+)= A[m, k]·B[k, n], row-major, m % 4 = 0 and n % 8 = 0, in 4×8 register tiles. */
function gemmFunction(): WasmFunction {
  const body: number[] = [];
  const rowPtr = (row: number[]) => add(get(A), bytes4(mul(row, get(LDA))));
  body.push(...asm.i32(0), ...set(J), ...asm.block, ...asm.loop); // for j in 0..n step 8
  body.push(...asm.i32(0), ...set(I), ...asm.block, ...asm.loop); //   for i in 0..m step 4
  body.push(...rowPtr(get(I)), ...set(PA0));
  body.push(...add(get(PA0), bytes4(get(LDA))), ...set(PA1));
  body.push(...add(get(PA1), bytes4(get(LDA))), ...set(PA2));
  body.push(...add(get(PA2), bytes4(get(LDA))), ...set(PA3));
  body.push(...add(get(C), bytes4(add(mul(get(I), get(LDC)), get(J)))), ...set(PC));
  // accumulators: zero, or C's tile when accumulating
  body.push(...get(ACC), ...op("i32.eqz"), ...asm.if); // if (!acc)
  for (const r of ACCS) body.push(...i32x4Const(0), ...set(r));
  body.push(...asm.else);
  for (let r = 0; r < 4; r++) {
    for (let h = 0; h < 2; h++) body.push(...add(get(PC), bytes4(mul(asm.i32(r), get(LDC)))), ...load(16 * h), ...set(ACCS[2 * r + h]));
  }
  body.push(...asm.end);
  body.push(...add(get(B), bytes4(get(J))), ...set(PB));
  body.push(...get(K), ...set(KK), ...asm.loop); //     for k in 0..k
  body.push(...get(PB), ...load(0), ...set(B0), ...get(PB), ...load(16), ...set(B1));
  [PA0, PA1, PA2, PA3].forEach((pa, r) => {
    body.push(...get(pa), ...load32Splat, ...set(AV));
    for (let h = 0; h < 2; h++) body.push(...get(AV), ...get(h ? B1 : B0), ...get(ACCS[2 * r + h]), ...madd, ...set(ACCS[2 * r + h]));
    body.push(...add(get(pa), asm.i32(4)), ...set(pa));
  });
  body.push(...add(get(PB), bytes4(get(LDB))), ...set(PB));
  body.push(...get(KK), ...asm.i32(1), ...op("i32.sub"), ...asm.tee(KK), ...asm.brIf(0), ...asm.end);
  for (let r = 0; r < 4; r++) {
    for (let h = 0; h < 2; h++) body.push(...add(get(PC), bytes4(mul(asm.i32(r), get(LDC)))), ...get(ACCS[2 * r + h]), ...store(16 * h));
  }
  body.push(...add(get(I), asm.i32(4)), ...asm.tee(I), ...get(M), ...lessU, ...asm.brIf(0), ...asm.end, ...asm.end);
  body.push(...add(get(J), asm.i32(8)), ...asm.tee(J), ...get(N), ...lessU, ...asm.brIf(0), ...asm.end, ...asm.end);
  return {
    name: "gemm",
    params: Array(10).fill("i32"),
    locals: [...Array(9).fill("i32"), ...Array(11).fill("v128")],
    body,
  };
}

export type GemmKernel = (
  a: number,
  b: number,
  c: number,
  m: number,
  n: number,
  k: number,
  lda: number,
  ldb: number,
  ldc: number,
  acc: number,
) => void;

/** The GEMM's module on tfjs' memory (imported as env.mem, shared for the threaded build). */
export const gemmModuleBytes = (shared: boolean) => wasmModule([gemmFunction()], { import: 1, shared });

const gemmOn = heapModule<{ gemm: GemmKernel }>((shared) => {
  const bytes = gemmModuleBytes(shared);
  if (!WebAssembly.validate(bytes)) v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
  if (!WebAssembly.validate(bytes)) throw new Error("relaxed SIMD is not available");
  return new WebAssembly.Module(bytes);
});
let unavailable = false;

/** The kernel on `memory` (tfjs' own), or null when relaxed SIMD is unavailable. */
export function gemmKernelFor(memory: WebAssembly.Memory | undefined): GemmKernel | null {
  if (!memory || unavailable) return null;
  try {
    return gemmOn(memory).gemm;
  } catch {
    unavailable = true; // XNNPACK does every product
    return null;
  }
}
