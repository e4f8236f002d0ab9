// Reading safetensors checkpoints (single file or sharded) with bounded memory: headers are parsed once,
// tensor data is read on demand with positional reads; file handles stay open until close().
import fs from "node:fs";
import type { FileHandle } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { editDistance } from "../errors";
import { CheckpointError } from "./checkpoint-error";
import { fsError, locateCheckpoint } from "./checkpoint-path";
import { decodeToFloat32 } from "./decode";
import { readFully } from "./file-read";
import { checkHeaderLength, parseSafetensorsHeader, SAFETENSORS_ITEM_SIZE, type TensorInfo } from "./safetensors-format";

export interface Checkpoint {
  /** The resolved checkpoint file or folder. */
  readonly path: string;
  /** Folder holding the weights (and usually config.json, tokenizer.json). */
  readonly dir: string;
  /** Safetensors files, in streaming order. */
  readonly files: string[];
  /** Every shard's `__metadata__`, merged. */
  readonly metadata: Record<string, string>;
  /** In streaming order (file, then offset). */
  tensors(): TensorInfo[];
  info(name: string): TensorInfo | undefined;
  /** Raw little-endian bytes. */
  readBytes(name: string): Promise<Uint8Array>;
  /** Any float or integer dtype decoded to f32. */
  readFloat32(name: string): Promise<Float32Array>;
  /** The tensor's bytes in element-aligned chunks of at most chunkBytes (default 64 MiB). */
  readChunks(name: string, chunkBytes?: number): AsyncIterable<Uint8Array>;
  /** Fills `dst` with the tensor's bytes from `byteOffset` on (into a caller-owned buffer: no allocation per read). */
  readInto(name: string, byteOffset: number, dst: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_CHUNK = 64 << 20;

/** Up to `k` names closest to `name`: substring matches first, then by edit distance. */
export function closeNames(name: string, names: Iterable<string>, k = 3): string[] {
  const scored = [...names].map((n) => ({ n, d: n.includes(name) || name.includes(n) ? -1 : editDistance(name, n) }));
  return scored
    .sort((a, b) => a.d - b.d || a.n.localeCompare(b.n))
    .slice(0, k)
    .map((s) => s.n);
}

async function readHeader(fh: FileHandle, file: string) {
  const { size } = await fh.stat();
  const prefix = new Uint8Array(Math.min(8, size));
  await readFully(fh, 0, prefix, file);
  const len = checkHeaderLength(prefix, size, file);
  const header = new Uint8Array(len);
  await readFully(fh, 8, header, file);
  return parseSafetensorsHeader(header, size, file);
}

class SafetensorsCheckpoint implements Checkpoint {
  private closed = false;
  constructor(
    readonly path: string,
    readonly dir: string,
    readonly files: string[],
    readonly metadata: Record<string, string>,
    private readonly byName: Map<string, TensorInfo>,
    private readonly ordered: TensorInfo[],
    private readonly handles: Map<string, FileHandle>,
  ) {}

  tensors(): TensorInfo[] {
    return this.ordered.map((t) => ({ ...t, shape: [...t.shape] }));
  }

  info(name: string): TensorInfo | undefined {
    const t = this.byName.get(name);
    return t && { ...t, shape: [...t.shape] };
  }

  private lookup(name: string): { t: TensorInfo; fh: FileHandle } {
    if (this.closed) throw new CheckpointError(this.path, `checkpoint is closed (reading "${name}")`, "open it again with openCheckpoint");
    const t = this.byName.get(name);
    if (!t) {
      const close = closeNames(name, this.byName.keys());
      throw new CheckpointError(
        this.path,
        `no tensor named "${name}" among ${this.byName.size} tensors${close.length ? `; close names: ${close.map((c) => `"${c}"`).join(", ")}` : ""}`,
      );
    }
    return { t, fh: this.handles.get(t.file)! };
  }

  async readBytes(name: string): Promise<Uint8Array> {
    const { t, fh } = this.lookup(name);
    const out = new Uint8Array(t.byteLength);
    await readFully(fh, t.offset, out, t.file);
    return out;
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const { t, fh } = this.lookup(name);
    const out = new Float32Array(t.numel);
    if (t.dtype === "F32") {
      await readFully(fh, t.offset, new Uint8Array(out.buffer), t.file);
      return out;
    }
    // Other dtypes are decoded through one bounded scratch buffer: peak memory ≈ the f32 result.
    const size = SAFETENSORS_ITEM_SIZE[t.dtype];
    const scratch = new Uint8Array(Math.min(t.byteLength, DEFAULT_CHUNK - (DEFAULT_CHUNK % size)));
    for (let done = 0; done < t.byteLength; ) {
      const piece = scratch.subarray(0, Math.min(scratch.length, t.byteLength - done));
      await readFully(fh, t.offset + done, piece, t.file);
      decodeToFloat32(piece, t.dtype, out.subarray(done / size));
      done += piece.length;
    }
    return out;
  }

  async *readChunks(name: string, chunkBytes = DEFAULT_CHUNK): AsyncIterable<Uint8Array> {
    const { t, fh } = this.lookup(name);
    const size = SAFETENSORS_ITEM_SIZE[t.dtype];
    if (!Number.isFinite(chunkBytes) || chunkBytes < size) {
      throw new RangeError(`readChunks("${name}"): chunkBytes must be ≥ ${size} (one ${t.dtype} element); got ${chunkBytes}`);
    }
    const step = Math.min(Math.floor(chunkBytes / size) * size, 1 << 30);
    for (let done = 0; done < t.byteLength; done += step) {
      const piece = new Uint8Array(Math.min(step, t.byteLength - done));
      await readFully(fh, t.offset + done, piece, t.file);
      yield piece;
    }
  }

  async readInto(name: string, byteOffset: number, dst: Uint8Array): Promise<void> {
    const { t, fh } = this.lookup(name);
    if (!Number.isInteger(byteOffset) || byteOffset < 0 || byteOffset + dst.byteLength > t.byteLength) {
      throw new RangeError(
        `readInto("${name}"): bytes ${byteOffset}..${byteOffset + dst.byteLength} are outside the tensor's ${t.byteLength} bytes; pass a range inside it`,
      );
    }
    await readFully(fh, t.offset + byteOffset, dst, t.file);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.handles.values()].map((h) => h.close()));
  }
}

/**
 * Opens a safetensors checkpoint: a .safetensors file, a folder with model.safetensors or
 * model.safetensors.index.json (sharded), a hub cache folder (models--org--name) or snapshot folder,
 * or an "org/name" id present in the hub cache (HF_HUB_CACHE / HF_HOME). Reads headers only.
 */
export async function openCheckpoint(checkpointPath: string): Promise<Checkpoint> {
  if (os.endianness() !== "LE") throw new CheckpointError(checkpointPath, "safetensors reading needs a little-endian machine");
  const loc = locateCheckpoint(checkpointPath);
  const handles = new Map<string, FileHandle>();
  try {
    const byName = new Map<string, TensorInfo>();
    const ordered: TensorInfo[] = [];
    const metadata: Record<string, string> = {};
    for (const file of loc.files) {
      // Non-blocking, then checked: a FIFO swapped in after locateCheckpoint must not hang the open.
      const fh = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK).catch((e: NodeJS.ErrnoException) => {
        throw e.code === "ENOENT" ? new CheckpointError(file, "cannot open: file not found") : fsError(file, e);
      });
      handles.set(file, fh);
      if (!(await fh.stat()).isFile())
        throw new CheckpointError(file, "not a regular file (a pipe, socket or device)", "pass a safetensors file");
      const header = await readHeader(fh, file);
      Object.assign(metadata, header.metadata);
      for (const t of header.tensors) {
        const prev = byName.get(t.name);
        if (prev)
          throw new CheckpointError(
            file,
            `tensor "${t.name}" is also stored in ${path.basename(prev.file)}`,
            "a checkpoint must hold each tensor once",
          );
        const mapped = loc.index?.weightMap.get(t.name);
        if (mapped !== undefined && mapped !== file) {
          throw new CheckpointError(
            loc.index!.file,
            `weight_map puts "${t.name}" in ${path.basename(mapped)} but it is stored in ${path.basename(file)}`,
          );
        }
        byName.set(t.name, t);
        ordered.push(t);
      }
    }
    if (loc.index) {
      for (const [name, shard] of loc.index.weightMap) {
        if (!byName.has(name)) {
          throw new CheckpointError(
            loc.index.file,
            `weight_map lists "${name}" in ${path.basename(shard)}, but that shard has no such tensor`,
            "the index and shards come from different saves",
          );
        }
      }
    }
    return new SafetensorsCheckpoint(loc.path, loc.dir, loc.files, metadata, byName, ordered, handles);
  } catch (e) {
    await Promise.all([...handles.values()].map((h) => h.close()));
    throw e;
  }
}
