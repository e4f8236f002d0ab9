// The safetensors layout: u64 little-endian header length N, N bytes of JSON header, then the data.
// Header: {"__metadata__": {str: str}?, name: {dtype, shape, data_offsets: [begin, end]}} with offsets
// relative to the first data byte. Validation follows the reference Rust reader: tensors must tile the
// data region exactly (no gaps, no overlaps, no trailing bytes), and byte sizes must equal numel·itemsize.
import { CheckpointError } from "./checkpoint-error";
import { parseJsonText } from "./json";

export type SafetensorsDtype =
  | "F64"
  | "F32"
  | "F16"
  | "BF16"
  | "I64"
  | "I32"
  | "I16"
  | "I8"
  | "U8"
  | "U16"
  | "U32"
  | "U64"
  | "BOOL"
  | "F8_E4M3"
  | "F8_E5M2";

/** Bytes per element of each dtype. */
export const SAFETENSORS_ITEM_SIZE: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  U16: 2,
  U32: 4,
  U64: 8,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
};

export const SAFETENSORS_DTYPES = Object.keys(SAFETENSORS_ITEM_SIZE) as SafetensorsDtype[];

/** The Rust writer's dtype order (largest alignment first); files are laid out by this, then by name. */
const WRITE_ORDER: SafetensorsDtype[] = [
  "U64",
  "I64",
  "F64",
  "F32",
  "U32",
  "I32",
  "BF16",
  "F16",
  "U16",
  "I16",
  "F8_E4M3",
  "F8_E5M2",
  "I8",
  "U8",
  "BOOL",
];
export function safetensorsWriteRank(dtype: SafetensorsDtype): number {
  return WRITE_ORDER.indexOf(dtype);
}

/** The reference reader refuses headers over 100 MB; so do we, before allocating anything. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  numel: number;
  file: string;
  /** Absolute byte offset of the tensor's first byte in `file`. */
  offset: number;
  byteLength: number;
}

export interface SafetensorsHeader {
  metadata: Record<string, string>;
  /** In file order (by offset). */
  tensors: TensorInfo[];
  /** Absolute offset of the data region (8 + header length). */
  dataStart: number;
}

/** Validates the 8-byte prefix against the file size; returns the header length. */
export function checkHeaderLength(prefix: Uint8Array, fileSize: number, file: string): number {
  if (fileSize === 0)
    throw new CheckpointError(file, "empty file (0 bytes)", "the download or save was interrupted; fetch or write it again");
  if (fileSize < 8 || prefix.length < 8) {
    throw new CheckpointError(
      file,
      `truncated: ${fileSize} bytes, shorter than the 8-byte header length`,
      "the file is incomplete; fetch or write it again",
    );
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new CheckpointError(
      file,
      `header length ${n} is absurdly large (limit ${MAX_HEADER_BYTES} bytes)`,
      "not a safetensors file, or a corrupted one",
    );
  }
  const len = Number(n);
  if (8 + len > fileSize) {
    throw new CheckpointError(
      file,
      `header length ${len} goes beyond the end of the file (${fileSize} bytes)`,
      "the file is truncated or not safetensors",
    );
  }
  if (len < 2) throw new CheckpointError(file, `header length ${len} is too small to hold a JSON object`);
  return len;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Parses and validates a header (the N bytes after the length prefix). Throws CheckpointError naming the
 * file, the tensor and the problem.
 */
export function parseSafetensorsHeader(headerBytes: Uint8Array, fileSize: number, file: string): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(headerBytes);
  } catch {
    throw new CheckpointError(file, "header is not valid UTF-8", "not a safetensors file, or a corrupted one");
  }
  const json = parseJsonText(text, file, "safetensors header");
  if (!isPlainObject(json)) {
    throw new CheckpointError(
      file,
      `header must be a JSON object; got ${Array.isArray(json) ? "an array" : json === null ? "null" : typeof json}`,
    );
  }
  const dataStart = 8 + headerBytes.length;
  const dataBytes = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const raw: (TensorInfo & { begin: number; end: number })[] = [];
  for (const [name, entry] of Object.entries(json)) {
    if (name === "__metadata__") {
      if (!isPlainObject(entry)) throw new CheckpointError(file, "__metadata__ must be an object of strings");
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== "string") throw new CheckpointError(file, `__metadata__.${k} must be a string; got ${JSON.stringify(v)}`);
        metadata[k] = v;
      }
      continue;
    }
    const where = `tensor "${name}"`;
    if (!isPlainObject(entry)) throw new CheckpointError(file, `${where}: entry must be an object with dtype, shape, data_offsets`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (dtype === undefined) throw new CheckpointError(file, `${where}: missing dtype`);
    if (typeof dtype !== "string" || !(dtype in SAFETENSORS_ITEM_SIZE)) {
      throw new CheckpointError(file, `${where}: unknown dtype ${JSON.stringify(dtype)}; known: ${SAFETENSORS_DTYPES.join(", ")}`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => typeof d === "number" && Number.isInteger(d))) {
      throw new CheckpointError(file, `${where}: shape must be an array of integers; got ${JSON.stringify(shape)}`);
    }
    if (shape.some((d) => d < 0)) throw new CheckpointError(file, `${where}: negative dimension in shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
      throw new CheckpointError(file, `${where}: data_offsets must be [begin, end] non-negative integers; got ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as number[];
    if (end < begin) throw new CheckpointError(file, `${where}: data_offsets [${begin}, ${end}] end before begin`);
    if (end > dataBytes) {
      throw new CheckpointError(
        file,
        `${where}: data_offsets [${begin}, ${end}] out of range: the data region has ${dataBytes} bytes`,
        "the file is truncated",
      );
    }
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    const itemSize = SAFETENSORS_ITEM_SIZE[dtype as SafetensorsDtype];
    if (!Number.isSafeInteger(numel * itemSize) || numel * itemSize !== end - begin) {
      throw new CheckpointError(
        file,
        `${where}: ${end - begin} bytes at data_offsets [${begin}, ${end}] but shape ${JSON.stringify(shape)} × ${dtype} needs ${numel * itemSize}`,
      );
    }
    raw.push({
      name,
      dtype: dtype as SafetensorsDtype,
      shape: shape as number[],
      numel,
      file,
      offset: dataStart + begin,
      byteLength: end - begin,
      begin,
      end,
    });
  }
  // JSON.parse keeps the last of duplicate keys silently; the text tells whether a name appears twice.
  if (raw.length + (Object.hasOwn(json, "__metadata__") ? 1 : 0) < countTopLevelKeys(text)) {
    const dup = findDuplicateKey(text);
    throw new CheckpointError(file, `duplicate tensor name${dup ? ` "${dup}"` : ""} in header`);
  }
  raw.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const t of raw) {
    if (t.begin < cursor) {
      throw new CheckpointError(
        file,
        `tensor "${t.name}": data_offsets [${t.begin}, ${t.end}] overlap the previous tensor (which ends at ${cursor})`,
      );
    }
    if (t.begin > cursor) {
      throw new CheckpointError(
        file,
        `tensor "${t.name}": gap of ${t.begin - cursor} unused bytes before data_offsets [${t.begin}, ${t.end}]`,
        "safetensors requires tensors to be stored contiguously",
      );
    }
    cursor = t.end;
  }
  if (cursor !== dataBytes) {
    throw new CheckpointError(
      file,
      `${dataBytes - cursor} trailing bytes after the last tensor (data region ${dataBytes} bytes, tensors cover ${cursor})`,
      "the file is corrupted or was appended to",
    );
  }
  return { metadata, tensors: raw.map(({ begin: _b, end: _e, ...t }) => t), dataStart };
}

/** Top-level string keys of a JSON object text, found by a scan that skips nested values and strings. */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(text.slice(i, j + 1)) as string);
      expectKey = false;
      i = j;
    } else if (c === "{" || c === "[") {
      depth++;
      expectKey = depth === 1;
    } else if (c === "}" || c === "]") depth--;
    else if (c === "," && depth === 1) expectKey = true;
  }
  return keys;
}

function countTopLevelKeys(text: string): number {
  return topLevelKeys(text).length;
}

function findDuplicateKey(text: string): string | undefined {
  const seen = new Set<string>();
  for (const k of topLevelKeys(text)) {
    if (seen.has(k)) return k;
    seen.add(k);
  }
  return undefined;
}

/** Header bytes (without the length prefix) for tensors laid out in the given order, padded to 8 bytes. */
export function encodeSafetensorsHeader(
  tensors: { name: string; dtype: SafetensorsDtype; shape: number[]; byteLength: number }[],
  metadata?: Record<string, string>,
): Uint8Array {
  // Built as text, not via an object: keeps the order for integer-like names and is safe for "__proto__".
  const entries: string[] = [];
  if (metadata && Object.keys(metadata).length > 0) entries.push(`"__metadata__":${JSON.stringify(metadata)}`);
  let offset = 0;
  for (const t of tensors) {
    const value = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.byteLength] };
    entries.push(`${JSON.stringify(t.name)}:${JSON.stringify(value)}`);
    offset += t.byteLength;
  }
  const json = new TextEncoder().encode(`{${entries.join(",")}}`);
  // Pad with spaces so the data region starts 8-byte aligned, as the reference writer does.
  const padded = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20);
  padded.set(json);
  return padded;
}
