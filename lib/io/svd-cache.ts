// Singular values and left singular vectors of base-model matrices, one binary file per tensor, so that the
// intruder analysis of many adapters or checkpoints against one base pays for each base SVD once. The key is
// the tensor's content hash (plus shape), not the file's path or mtime: a copied or re-downloaded base with
// the same bytes still hits, and a changed tensor always misses. A torn or corrupt file reads as a miss with
// a warning, and the recomputed entry replaces it atomically (temp file + rename).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { RftlabError, warnOnce } from "../errors";
import { writeChunksAtomicSync } from "./atomic";

/** Bumped when the file layout or the SVD that fills it changes meaning: old entries then miss. */
const FORMAT = "rftlab-svd-1";
const MAGIC = Buffer.from(`${FORMAT}\n`);

/** s (r = min(m, n), descending) and row-major U [m, r] of an m×n matrix. */
export interface CachedSvd {
  m: number;
  n: number;
  s: Float64Array;
  u: Float64Array;
}

interface Header {
  key: string;
  /** Where the tensor came from (file and tensor name), for people reading the folder. */
  source: string;
  m: number;
  n: number;
  payloadBytes: number;
  /** sha256 of the payload (s then u): catches flipped bytes, not just truncation. */
  sha256: string;
}

/** Cache key of an m×n matrix: its shape, element type and a sha256 of its bytes. */
export function svdCacheKey(m: number, n: number, data: Float32Array | Float64Array): string {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return `${FORMAT}:${m}x${n}:f${8 * data.BYTES_PER_ELEMENT}:${crypto.createHash("sha256").update(bytes).digest("hex")}`;
}

const bytesOf = (x: Float64Array) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);

/** A folder of `<sha256(key)>.svd` files: magic line, u32 header length, JSON header, zero pad to 8, s, u (float64 LE). */
export class SvdCache {
  constructor(readonly dir: string) {}

  file(key: string): string {
    return path.join(this.dir, `${crypto.createHash("sha256").update(key).digest("hex")}.svd`);
  }

  /** The entry for `key`; undefined when absent, and (with a warning) when the file is torn, corrupt or foreign. */
  get(key: string): CachedSvd | undefined {
    const file = this.file(key);
    let buf: Buffer;
    try {
      buf = fs.readFileSync(file);
    } catch {
      return undefined;
    }
    const problem = (why: string) => {
      warnOnce(`svd-cache:${file}`, `SVD cache file ${file} is unreadable (${why}); recomputing the SVD and rewriting it`);
      return undefined;
    };
    if (buf.length < MAGIC.length + 4 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return problem("not an rftlab SVD file");
    const headerLen = buf.readUInt32LE(MAGIC.length);
    const headerEnd = MAGIC.length + 4 + headerLen;
    if (headerEnd > buf.length) return problem("truncated header");
    let h: Header;
    try {
      h = JSON.parse(buf.subarray(MAGIC.length + 4, headerEnd).toString("utf8")) as Header;
    } catch {
      return problem("header is not JSON");
    }
    if (h.key !== key) return problem("it holds another key");
    const start = Math.ceil(headerEnd / 8) * 8;
    const r = Math.min(h.m, h.n);
    if (h.payloadBytes !== 8 * (r + h.m * r) || buf.length !== start + h.payloadBytes) return problem("truncated payload");
    const payload = buf.subarray(start);
    if (crypto.createHash("sha256").update(payload).digest("hex") !== h.sha256) return problem("checksum mismatch");
    // Copy out of the Buffer (its pool offset need not be 8-aligned).
    const values = new Float64Array(r + h.m * r);
    bytesOf(values).set(payload);
    return { m: h.m, n: h.n, s: values.subarray(0, r), u: values.subarray(r) };
  }

  /** Stores the entry atomically (a reader sees the old file or the new one, never a torn one). */
  set(key: string, value: CachedSvd, source: string): void {
    const r = Math.min(value.m, value.n);
    if (value.s.length !== r || value.u.length !== value.m * r) {
      throw new RftlabError(
        `SvdCache.set: value.s must hold min(m, n) = ${r} values and value.u m·r = ${value.m * r}; got ${value.s.length} and ${value.u.length} (pass the svd() result of the m×n matrix)`,
      );
    }
    const sha = crypto.createHash("sha256").update(bytesOf(value.s)).update(bytesOf(value.u)).digest("hex");
    const header: Header = { key, source, m: value.m, n: value.n, payloadBytes: 8 * (r + value.u.length), sha256: sha };
    const json = Buffer.from(JSON.stringify(header));
    const lead = Buffer.alloc(Math.ceil((MAGIC.length + 4 + json.length) / 8) * 8);
    MAGIC.copy(lead);
    lead.writeUInt32LE(json.length, MAGIC.length);
    json.copy(lead, MAGIC.length + 4);
    writeChunksAtomicSync(this.file(key), [lead, bytesOf(value.s), bytesOf(value.u)]);
  }
}
