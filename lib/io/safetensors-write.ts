// Writing safetensors files the way the reference (Rust/Python) writer does: tensors sorted by dtype
// alignment then name, compact JSON header padded with spaces to 8 bytes, atomic temp-file + rename.
import fs from "node:fs";
import path from "node:path";
import { f32ToBf16, f32ToF16 } from "../tensor/dtype";
import { writeChunksAtomic, writeFileAtomic } from "./atomic";
import { INDEX_FILE, SINGLE_FILE } from "./checkpoint-path";
import {
  encodeSafetensorsHeader,
  SAFETENSORS_DTYPES,
  SAFETENSORS_ITEM_SIZE,
  safetensorsWriteRank,
  type SafetensorsDtype,
} from "./safetensors-format";

export interface TensorToWrite {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /**
   * Float32Array is encoded to dtype (BF16/F16 round to nearest even; integer dtypes need integral values);
   * Float64Array is written as F64 or rounded to f32 first; any other typed array whose element width
   * matches dtype is written as is (e.g. Uint16Array holding bf16 bits).
   */
  data:
    | Float32Array
    | Float64Array
    | Int32Array
    | BigInt64Array
    | Uint8Array
    | Uint16Array
    | Int8Array
    | Int16Array
    | Uint32Array
    | BigUint64Array;
}

export interface ShardedWriteOptions {
  /** A new shard starts when adding the next tensor would exceed this many data bytes (a larger tensor gets a shard to itself). */
  maxShardBytes: number;
  metadata?: Record<string, string>;
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function fromFloat32(src: Float32Array, dtype: SafetensorsDtype, name: string): ArrayBufferView {
  switch (dtype) {
    case "F32":
      return src;
    case "BF16":
      return f32ToBf16(src);
    case "F16":
      return f32ToF16(src);
    case "F64":
      return Float64Array.from(src);
    case "BOOL":
      return Uint8Array.from(src, (x) => (x ? 1 : 0));
    case "F8_E4M3":
    case "F8_E5M2":
      throw new RangeError(
        `writeSafetensors: tensor "${name}": encoding f32 to ${dtype} is not supported; pass the raw bytes as a Uint8Array`,
      );
  }
  const bad = src.findIndex((x) => !Number.isInteger(x));
  if (bad >= 0)
    throw new RangeError(`writeSafetensors: tensor "${name}": dtype ${dtype} needs integer values; element ${bad} is ${src[bad]}`);
  const ctors = { I8: Int8Array, U8: Uint8Array, I16: Int16Array, U16: Uint16Array, I32: Int32Array, U32: Uint32Array } as const;
  if (dtype === "I64") return BigInt64Array.from(src, (x) => BigInt(x));
  if (dtype === "U64") return BigUint64Array.from(src, (x) => BigInt(x));
  return ctors[dtype].from(src);
}

/** The bytes stored for one tensor, after validating name, dtype, shape and length. */
export function encodeTensor(t: TensorToWrite): Uint8Array {
  const where = `writeSafetensors: tensor "${t.name}"`;
  if (!SAFETENSORS_DTYPES.includes(t.dtype))
    throw new RangeError(`${where}: unknown dtype ${JSON.stringify(t.dtype)}; use one of ${SAFETENSORS_DTYPES.join(", ")}`);
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new RangeError(`${where}: shape must be non-negative integers; got ${JSON.stringify(t.shape)}`);
  }
  const numel = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== numel)
    throw new RangeError(`${where}: shape ${JSON.stringify(t.shape)} has ${numel} elements but data has ${t.data.length}`);
  const size = SAFETENSORS_ITEM_SIZE[t.dtype];
  if (t.data instanceof Float32Array) return bytesOf(fromFloat32(t.data, t.dtype, t.name));
  if (t.data instanceof Float64Array) return bytesOf(t.dtype === "F64" ? t.data : fromFloat32(Float32Array.from(t.data), t.dtype, t.name));
  if (t.data.BYTES_PER_ELEMENT !== size) {
    throw new RangeError(
      `${where}: ${t.data.constructor.name} has ${t.data.BYTES_PER_ELEMENT}-byte elements but ${t.dtype} needs ${size}; pass a Float32Array to convert`,
    );
  }
  return bytesOf(t.data);
}

/** HF layout order: larger dtypes first (keeps every tensor aligned), then by name. */
function sortForWrite(tensors: TensorToWrite[]): TensorToWrite[] {
  return [...tensors].sort(
    (a, b) => safetensorsWriteRank(a.dtype) - safetensorsWriteRank(b.dtype) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

function checkNames(tensors: TensorToWrite[], fn: string): void {
  const seen = new Set<string>();
  for (const t of tensors) {
    if (typeof t.name !== "string" || t.name === "" || t.name === "__metadata__")
      throw new RangeError(`${fn}: invalid tensor name ${JSON.stringify(t.name)}`);
    if (seen.has(t.name)) throw new RangeError(`${fn}: duplicate tensor name "${t.name}"`);
    seen.add(t.name);
  }
}

/** Metadata every shard gets: {"format": "pt"} (which transformers requires) plus the caller's entries. */
function shardMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  const m: Record<string, string> = { format: "pt", ...metadata };
  for (const [k, v] of Object.entries(m))
    if (typeof v !== "string") throw new RangeError(`writeSafetensors: metadata.${k} must be a string; got ${JSON.stringify(v)}`);
  return m;
}

/**
 * Writes one .safetensors file atomically. Metadata defaults to {"format": "pt"}; extra entries are added.
 * Tensors are encoded one at a time, so memory beyond the inputs stays at one tensor.
 */
export async function writeSafetensors(file: string, tensors: TensorToWrite[], metadata?: Record<string, string>): Promise<void> {
  checkNames(tensors, "writeSafetensors");
  const sorted = sortForWrite(tensors);
  const encoded = sorted.map((t) => ({ t, byteLength: encodeTensorLength(t) }));
  const header = encodeSafetensorsHeader(
    encoded.map(({ t, byteLength }) => ({ ...t, byteLength })),
    shardMetadata(metadata),
  );
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(header.length), true);
  await writeChunksAtomic(
    file,
    (function* () {
      yield prefix;
      yield header;
      for (const t of sorted) yield encodeTensor(t);
    })(),
  );
}

function encodeTensorLength(t: TensorToWrite): number {
  const numel = Array.isArray(t.shape) ? t.shape.reduce((a, b) => a * b, 1) : NaN;
  // Full validation happens in encodeTensor; this only needs the size (and catches bad input early).
  if (!(t.dtype in SAFETENSORS_ITEM_SIZE) || t.data?.length !== numel) encodeTensor(t);
  return numel * SAFETENSORS_ITEM_SIZE[t.dtype];
}

const SHARD_PATTERN = /^model-\d{5}-of-\d{5}\.safetensors$/;

/**
 * Writes a sharded checkpoint into dir as transformers does: model-0000i-of-0000n.safetensors plus
 * model.safetensors.index.json ({metadata: {total_size}, weight_map}); a checkpoint that fits one shard
 * is written as model.safetensors with no index. Shards are filled in the given tensor order. Stale shards
 * and index from an earlier save in dir are removed. Returns the paths written.
 */
export async function writeShardedSafetensors(dir: string, tensors: TensorToWrite[], opts: ShardedWriteOptions): Promise<string[]> {
  if (!(opts.maxShardBytes > 0)) throw new RangeError(`writeShardedSafetensors: maxShardBytes must be > 0; got ${opts.maxShardBytes}`);
  checkNames(tensors, "writeShardedSafetensors");
  const shards: TensorToWrite[][] = [];
  let current: TensorToWrite[] = [];
  let currentBytes = 0;
  let total = 0;
  for (const t of tensors) {
    const bytes = encodeTensorLength(t);
    if (current.length > 0 && currentBytes + bytes > opts.maxShardBytes) {
      shards.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(t);
    currentBytes += bytes;
    total += bytes;
  }
  shards.push(current);
  const n = shards.length;
  const names =
    n === 1 ? [SINGLE_FILE] : shards.map((_, i) => `model-${String(i + 1).padStart(5, "0")}-of-${String(n).padStart(5, "0")}.safetensors`);
  const written: string[] = [];
  for (let i = 0; i < n; i++) {
    const file = path.join(dir, names[i]);
    await writeSafetensors(file, shards[i], opts.metadata);
    written.push(file);
  }
  if (n > 1) {
    const weightMap: Record<string, string> = {};
    for (const [i, shard] of shards.entries()) for (const t of shard) weightMap[t.name] = names[i];
    const sortedMap = Object.fromEntries(
      Object.keys(weightMap)
        .sort()
        .map((k) => [k, weightMap[k]]),
    );
    const index = path.join(dir, INDEX_FILE);
    await writeFileAtomic(index, JSON.stringify({ metadata: { total_size: total }, weight_map: sortedMap }, null, 2) + "\n");
    written.push(index);
  }
  for (const e of await fs.promises.readdir(dir)) {
    const stale = (SHARD_PATTERN.test(e) && !names.includes(e)) || (n === 1 && e === INDEX_FILE) || (n > 1 && e === SINGLE_FILE);
    if (stale) await fs.promises.rm(path.join(dir, e), { force: true });
  }
  return written;
}
