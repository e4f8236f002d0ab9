// Just enough of the WebAssembly binary format to write small SIMD kernels by hand in TypeScript: no
// toolchain at install time and no .wasm files to ship. Every kernel emits its code through this file, the
// one table of opcodes (named as in the spec's text format): WebAssembly core spec 2.0 §5.4, SIMD after its
// 0xfd prefix, relaxed SIMD (f32x4.relaxed_madd). The kernels on tfjs' heap and the bf16 decoder live in this
// folder; the SVD's (lib/linalg/bidiagonal-simd.ts) and the update count's (lib/analysis/update-count-simd.ts)
// stay with their only users, whose algorithms they encode, and import this file.
import { closestName, RftlabError } from "../../errors";

/** Unsigned LEB128 (counts, indices, offsets, SIMD opcodes); n must be an integer in [0, 2^32). */
export function leb128(n: number): number[] {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RftlabError(`leb128: n must be an integer in [0, 2^32); got ${n}`);
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
export function sleb128(n: number): number[] {
  const out: number[] = [];
  n |= 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

/** One-byte opcodes. */
const CORE = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  drop: 0x1a,
  "local.get": 0x20,
  "local.set": 0x21,
  "local.tee": 0x22,
  "f64.load": 0x2b,
  "i32.store": 0x36,
  "f64.store": 0x39,
  "i32.const": 0x41,
  "i32.eqz": 0x45,
  "i32.lt_u": 0x49,
  "i32.ge_u": 0x4f,
  "i32.add": 0x6a,
  "i32.sub": 0x6b,
  "i32.mul": 0x6c,
  "f32.add": 0x92,
  "f64.add": 0xa0,
} as const;

/** Opcodes after the 0xfd prefix (written as LEB128). */
const SIMD = {
  "v128.load": 0x00,
  "v128.load32_splat": 0x09,
  "v128.store": 0x0b,
  "v128.const": 0x0c,
  "i8x16.shuffle": 0x0d,
  "i8x16.splat": 0x0f,
  "f32x4.splat": 0x13,
  "f64x2.splat": 0x14,
  "i32x4.extract_lane": 0x1b,
  "f32x4.extract_lane": 0x1f,
  "f64x2.extract_lane": 0x21,
  "i32x4.lt_s": 0x39,
  "i32x4.gt_s": 0x3b,
  "f32x4.eq": 0x41,
  "f32x4.ne": 0x42,
  "f32x4.lt": 0x43,
  "f32x4.le": 0x45,
  "v128.and": 0x4e,
  "v128.or": 0x50,
  "v128.bitselect": 0x52,
  "f64x2.promote_low_f32x4": 0x5f,
  "i32x4.extend_low_i16x8_u": 0xa9,
  "i32x4.extend_high_i16x8_u": 0xaa,
  "i32x4.shl": 0xab,
  "i32x4.shr_u": 0xad,
  "i32x4.add": 0xae,
  "i32x4.sub": 0xb1,
  "f32x4.abs": 0xe0,
  "f32x4.sqrt": 0xe3,
  "f32x4.add": 0xe4,
  "f32x4.sub": 0xe5,
  "f32x4.mul": 0xe6,
  "f32x4.div": 0xe7,
  "f32x4.pmax": 0xeb,
  "f64x2.add": 0xf0,
  "f64x2.sub": 0xf1,
  "f64x2.mul": 0xf2,
  "f32x4.relaxed_madd": 0x105,
} as const;

export type Opcode = keyof typeof CORE | keyof typeof SIMD;

/** log2 of each memory instruction's natural alignment (its memarg's default). */
const NATURAL_ALIGN: Partial<Record<Opcode, number>> = {
  "f64.load": 3,
  "i32.store": 2,
  "f64.store": 3,
  "v128.load": 4,
  "v128.load32_splat": 2,
  "v128.store": 4,
};

/** The bytes of opcode `name` (with the SIMD prefix where it has one). */
export function op(name: Opcode): number[] {
  if (Object.hasOwn(CORE, name)) return [CORE[name as keyof typeof CORE]];
  if (Object.hasOwn(SIMD, name)) return [0xfd, ...leb128(SIMD[name as keyof typeof SIMD])];
  const near = closestName(name, [...Object.keys(CORE), ...Object.keys(SIMD)]);
  throw new RftlabError(
    `wasm opcode "${name}" is not in the opcode table (did you mean "${near}"?); add it to lib/tensor/wasm/asm.ts with its number from the spec`,
  );
}

/** A load or store with memarg (log2 alignment, byte offset); the alignment defaults to the natural one. */
export function mem(name: Opcode, offset: number, align = NATURAL_ALIGN[name]): number[] {
  if (align === undefined) throw new RftlabError(`mem: "${name}" is not a memory instruction; use op("${name}")`);
  return [...op(name), ...leb128(align), ...leb128(offset)];
}

/** Instructions with their immediates (blocks have no result type). */
export const asm = {
  block: [...op("block"), 0x40],
  loop: [...op("loop"), 0x40],
  if: [...op("if"), 0x40],
  else: op("else"),
  end: op("end"),
  br: (depth: number) => [...op("br"), ...leb128(depth)],
  brIf: (depth: number) => [...op("br_if"), ...leb128(depth)],
  get: (local: number) => [...op("local.get"), ...leb128(local)],
  set: (local: number) => [...op("local.set"), ...leb128(local)],
  tee: (local: number) => [...op("local.tee"), ...leb128(local)],
  i32: (n: number) => [...op("i32.const"), ...sleb128(n)],
  /** An extract_lane (or other lane instruction) with its lane index. */
  lane: (name: Opcode, index: number) => [...op(name), index],
  /** i8x16.shuffle: result byte i is byte lanes[i] of the two operands' 32 bytes. */
  shuffle: (lanes: number[]) => [...op("i8x16.shuffle"), ...lanes],
};

/** v128.load at the natural (16-byte) alignment unless `align` (log2) says less. */
export const v128Load = (offset: number, align?: number) => mem("v128.load", offset, align);

/** v128.store at the natural (16-byte) alignment unless `align` (log2) says less. */
export const v128Store = (offset: number, align?: number) => mem("v128.store", offset, align);

/** v128.const of 16 bytes. */
export const v128Const = (bytes: ArrayLike<number>) => [...op("v128.const"), ...Array.from(bytes)];

/** v128.const of four 32-bit lanes given as bit patterns. */
export const i32x4Const = (lane: number) => v128Const(new Uint8Array(new Uint32Array([lane, lane, lane, lane]).buffer));

/** v128.const of four f32 lanes. */
export const f32x4Const = (value: number) => i32x4Const(new Uint32Array(new Float32Array([value]).buffer)[0]);

/** "\0asm", binary format version 1. */
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

function section(id: number, bytes: number[]): number[] {
  return [id, ...leb128(bytes.length), ...bytes];
}

function name(s: string): number[] {
  return [...leb128(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

export type WasmValType = "i32" | "f32" | "v128";

const VALTYPE: Record<WasmValType, number> = { i32: 0x7f, f32: 0x7d, v128: 0x7b };

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
 * `shared: true` imports a shared memory (threads), declared with the wasm32 maximum so any fits;
 * `null`: no memory (feature probes).
 */
export function wasmModule(funcs: WasmFunction[], memory: { export: number } | { import: number; shared?: boolean } | null): Uint8Array {
  const types = funcs.flatMap((f) => [
    0x60,
    ...leb128(f.params.length),
    ...f.params.map((t) => VALTYPE[t]),
    ...leb128(f.results?.length ?? 0),
    ...(f.results ?? []).map((t) => VALTYPE[t]),
  ]);
  const codes = funcs.flatMap((f) => {
    const code = [...leb128(f.locals.length), ...f.locals.flatMap((t) => [0x01, VALTYPE[t]]), ...f.body, ...asm.end];
    return [...leb128(code.length), ...code];
  });
  const exportEntries = funcs.flatMap((f, i) => [...name(f.name), 0x00, ...leb128(i)]);
  const imported = memory !== null && "import" in memory;
  const exported = memory !== null && "export" in memory;
  return new Uint8Array([
    ...HEADER,
    ...section(1, [...leb128(funcs.length), ...types]),
    ...(imported ? section(2, [0x01, ...name("env"), ...name("mem"), 0x02, ...memoryLimits(memory)]) : []),
    ...section(3, [...leb128(funcs.length), ...funcs.flatMap((_, i) => leb128(i))]),
    ...(exported ? section(5, [0x01, 0x00, ...leb128(memory.export)]) : []),
    ...section(7, [...leb128(funcs.length + (exported ? 1 : 0)), ...exportEntries, ...(exported ? [...name("mem"), 0x02, 0x00] : [])]),
    ...section(10, [...leb128(funcs.length), ...codes]),
  ]);
}
