// Just enough of the WebAssembly binary format to write small SIMD kernels by hand in TypeScript: no
// toolchain at install time and no .wasm files to ship. Opcodes: WebAssembly core spec 2.0, §5.4.

function leb128(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** Signed LEB128 of a 32-bit integer (i32.const immediates). */
function sleb128(n: number): number[] {
  const out: number[] = [];
  n |= 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

function section(id: number, bytes: number[]): number[] {
  return [id, ...leb128(bytes.length), ...bytes];
}

function name(s: string): number[] {
  return [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
}

export type WasmValType = "i32" | "f32" | "v128";

const VALTYPE: Record<WasmValType, number> = { i32: 0x7f, f32: 0x7d, v128: 0x7b };

/** Instructions, each as its bytes. */
export const asm = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, depth],
  brIf: (depth: number) => [0x0d, depth],
  get: (local: number) => [0x20, local],
  set: (local: number) => [0x21, local],
  tee: (local: number) => [0x22, local],
  i32: (n: number) => [0x41, ...sleb128(n)],
  i32Eqz: [0x45],
  i32GeU: [0x4f],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  f32Add: [0x92],
  /** i32.store with 4-byte alignment. */
  i32Store: (offset: number) => [0x36, 0x02, ...leb128(offset)],
  /** One SIMD instruction (0xfd prefix, LEB128 opcode) with its immediates. */
  simd: (op: number, ...imm: number[]) => [0xfd, ...leb128(op), ...imm],
};

/** SIMD opcodes used by rftlab's kernels. */
export const SIMD = {
  load: 0x00, store: 0x0b, const: 0x0c, f32x4Splat: 0x13, i32x4ExtractLane: 0x1b, f32x4ExtractLane: 0x1f,
  i32x4LtS: 0x39, i32x4GtS: 0x3b, f32x4Eq: 0x41, f32x4Ne: 0x42, f32x4Lt: 0x43, f32x4Le: 0x45,
  and: 0x4e, or: 0x50, bitselect: 0x52,
  i32x4ExtendLowI16x8U: 0xa9, i32x4ExtendHighI16x8U: 0xaa, i32x4Shl: 0xab, i32x4ShrU: 0xad, i32x4Add: 0xae, i32x4Sub: 0xb1,
  f32x4Abs: 0xe0, f32x4Sqrt: 0xe3, f32x4Add: 0xe4, f32x4Sub: 0xe5, f32x4Mul: 0xe6, f32x4Div: 0xe7, f32x4Pmax: 0xeb,
} as const;

/** v128.load with 16-byte alignment. */
export const v128Load = (offset: number) => asm.simd(SIMD.load, 0x04, ...leb128(offset));

/** v128.store with 16-byte alignment. */
export const v128Store = (offset: number) => asm.simd(SIMD.store, 0x04, ...leb128(offset));

/** v128.const of four 32-bit lanes given as bit patterns. */
export function i32x4Const(lane: number): number[] {
  const bytes = new Uint8Array(new Uint32Array([lane, lane, lane, lane]).buffer);
  return asm.simd(SIMD.const, ...bytes);
}

/** v128.const of four f32 lanes. */
export function f32x4Const(value: number): number[] {
  const bits = new Uint32Array(new Float32Array([value]).buffer)[0];
  return i32x4Const(bits);
}

function memoryLimits(memory: { import: number; shared?: boolean }): number[] {
  return memory.shared ? [0x03, ...leb128(memory.import), ...leb128(65536)] : [0x00, ...leb128(memory.import)];
}

export interface WasmFunction {
  name: string;
  params: WasmValType[];
  locals: WasmValType[];
  body: number[];
  /** What it returns (none when absent); several need the multi-value proposal, standard since V8 8.5. */
  results?: WasmValType[];
}

/**
 * A module of functions over one memory: `{ export: pages }` defines it and exports it as
 * "mem"; `{ import: minPages }` takes it from the import "env"."mem" (several modules sharing buffers);
 * `shared: true` imports a shared memory (threads), declared with the wasm32 maximum so any fits.
 */
export function wasmModule(funcs: WasmFunction[], memory: { export: number } | { import: number; shared?: boolean }): Uint8Array {
  const types = funcs.flatMap((f) => [0x60, ...leb128(f.params.length), ...f.params.map((t) => VALTYPE[t]), ...leb128(f.results?.length ?? 0), ...(f.results ?? []).map((t) => VALTYPE[t])]);
  const codes = funcs.flatMap((f) => {
    const code = [...leb128(f.locals.length), ...f.locals.flatMap((t) => [0x01, VALTYPE[t]]), ...f.body, ...asm.end];
    return [...leb128(code.length), ...code];
  });
  const exportEntries = funcs.flatMap((f, i) => [...name(f.name), 0x00, ...leb128(i)]);
  const imported = "import" in memory;
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [...leb128(funcs.length), ...types]),
    ...(imported ? section(2, [0x01, ...name("env"), ...name("mem"), 0x02, ...memoryLimits(memory)]) : []),
    ...section(3, [...leb128(funcs.length), ...funcs.flatMap((_, i) => leb128(i))]),
    ...(imported ? [] : section(5, [0x01, 0x00, ...leb128(memory.export)])),
    ...section(7, [...leb128(funcs.length + (imported ? 0 : 1)), ...exportEntries, ...(imported ? [] : [...name("mem"), 0x02, 0x00])]),
    ...section(10, [...leb128(funcs.length), ...codes]),
  ]);
}
