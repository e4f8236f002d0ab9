// Where a checkpoint's safetensors files are: a file, a model folder (single or sharded), a Hugging Face
// hub cache repo folder (models--org--name → refs/main → snapshots/<sha>), or an "org/name" id in that cache.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CheckpointError } from "./checkpoint-error";
import { readJsonFile } from "./json";

export const SINGLE_FILE = "model.safetensors";
export const INDEX_FILE = "model.safetensors.index.json";

export interface SafetensorsIndex {
  file: string;
  /** tensor name → absolute shard path */
  weightMap: Map<string, string>;
  metadata: Record<string, unknown>;
}

export interface CheckpointLocation {
  /** The resolved file or folder (after hub cache resolution), absolute. */
  path: string;
  /** The folder holding the weights and, usually, config.json and tokenizer.json. */
  dir: string;
  /** Safetensors files in streaming order. */
  files: string[];
  index?: SafetensorsIndex;
}

/** The hub cache root: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub. */
export function hubCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return path.join(env.HF_HOME, "hub");
  return path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "huggingface", "hub");
}

/** A file-system error on `p` as a one-line CheckpointError (a symlink loop, a permission) instead of a stack trace. */
export function fsError(p: string, e: unknown): CheckpointError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ELOOP") return new CheckpointError(p, "a symbolic link loop (a link that points back to itself)", "fix or remove the link");
  if (code === "EACCES" || code === "EPERM") return new CheckpointError(p, "permission denied", "make it readable");
  return new CheckpointError(p, `cannot read: ${(e as Error).message}`);
}

/** fs.statSync following links; undefined when nothing is there. */
function statOf(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p, { throwIfNoEntry: false });
  } catch (e) {
    throw fsError(p, e);
  }
}

function isDir(p: string): boolean {
  return statOf(p)?.isDirectory() ?? false;
}

function isFile(p: string): boolean {
  return statOf(p)?.isFile() ?? false;
}

function realpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch (e) {
    throw fsError(p, e);
  }
}

const inside = (root: string, p: string) => {
  const rel = path.relative(root, p);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
};

/**
 * Throws unless the shard `file` (named `shard` in the index) lies in the index's folder `dir`, also after
 * following links: a crafted index must not open files elsewhere. In a hub cache snapshot the files are
 * links into the repo's blobs/ folder, which is allowed.
 */
function checkShardInside(indexFile: string, name: string, shard: string, file: string): void {
  const dir = path.dirname(indexFile);
  const where = `weight_map["${name}"] = ${JSON.stringify(shard)}`;
  if (!inside(dir, file))
    throw new CheckpointError(indexFile, `${where} points outside the index's folder`, "shards must sit beside the index");
  if (!statOf(file)) return; // a missing shard is reported with the others below
  const roots = [realpath(dir)];
  const blobs = path.join(dir, "..", "..", "blobs");
  if (path.basename(path.dirname(dir)) === "snapshots" && isDir(blobs)) roots.push(realpath(blobs));
  const real = realpath(file);
  if (!roots.some((r) => inside(r, real))) {
    throw new CheckpointError(indexFile, `${where} is a link to ${real}, outside the index's folder`, "shards must sit beside the index");
  }
}

/** A hub cache repo folder (has snapshots/) → its snapshot folder for refs/main (or the only snapshot). */
export function resolveHubSnapshot(repoDir: string, revision = "main"): string {
  const snapshots = path.join(repoDir, "snapshots");
  const available = isDir(snapshots)
    ? fs
        .readdirSync(snapshots)
        .filter((s) => isDir(path.join(snapshots, s)))
        .sort()
    : [];
  if (available.length === 0) {
    throw new CheckpointError(
      repoDir,
      "hub cache folder has no snapshots/<revision> folder",
      "the download did not finish; download the model again",
    );
  }
  const ref = path.join(repoDir, "refs", revision);
  if (isFile(ref)) {
    const sha = fs.readFileSync(ref, "utf8").trim();
    const snap = path.join(snapshots, sha);
    if (!isDir(snap)) {
      throw new CheckpointError(
        ref,
        `refs/${revision} names snapshot ${sha}, which is missing; snapshots present: ${available.join(", ")}`,
        "download the model again",
      );
    }
    return snap;
  }
  if (available.length === 1) return path.join(snapshots, available[0]);
  throw new CheckpointError(
    repoDir,
    `no refs/${revision} and ${available.length} snapshots (${available.join(", ")})`,
    "pass the snapshot folder you want",
  );
}

function readIndex(indexFile: string): SafetensorsIndex {
  const json = readJsonFile<unknown>(indexFile, "safetensors index");
  const dir = path.dirname(indexFile);
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new CheckpointError(indexFile, "safetensors index must be a JSON object with a weight_map");
  }
  const { weight_map: wm, metadata } = json as Record<string, unknown>;
  if (typeof wm !== "object" || wm === null || Array.isArray(wm)) {
    throw new CheckpointError(
      indexFile,
      `weight_map must be an object of tensor name → shard file; got ${JSON.stringify(wm)?.slice(0, 80)}`,
    );
  }
  const weightMap = new Map<string, string>();
  for (const [name, shard] of Object.entries(wm)) {
    if (typeof shard !== "string" || shard === "" || path.isAbsolute(shard)) {
      throw new CheckpointError(
        indexFile,
        `weight_map["${name}"] must be a shard file name relative to the index; got ${JSON.stringify(shard)}`,
      );
    }
    const file = path.join(dir, shard);
    checkShardInside(indexFile, name, shard, file);
    weightMap.set(name, file);
  }
  if (weightMap.size === 0) throw new CheckpointError(indexFile, "weight_map is empty");
  for (const shard of new Set(weightMap.values())) {
    const st = statOf(shard);
    if (!st?.isFile()) {
      const listed = [...weightMap].find(([, s]) => s === shard)![0];
      throw new CheckpointError(
        indexFile,
        `${st ? "shard is not a regular file:" : "missing shard"} ${path.basename(shard)} (holds "${listed}" and others)`,
        "download or copy the missing shard",
      );
    }
  }
  const meta = typeof metadata === "object" && metadata !== null && !Array.isArray(metadata) ? (metadata as Record<string, unknown>) : {};
  return { file: indexFile, weightMap, metadata: meta };
}

function fromIndex(indexFile: string, resolvedPath: string): CheckpointLocation {
  const index = readIndex(indexFile);
  const files = [...new Set(index.weightMap.values())].sort();
  return { path: resolvedPath, dir: path.dirname(indexFile), files, index };
}

/** The checkpoint in a folder: model.safetensors.index.json, model.safetensors, or a single other candidate. */
export function listCheckpointFolder(dir: string): CheckpointLocation {
  if (isDir(path.join(dir, "snapshots")) || isDir(path.join(dir, "refs"))) return listCheckpointFolder(resolveHubSnapshot(dir));
  if (isFile(path.join(dir, INDEX_FILE))) return fromIndex(path.join(dir, INDEX_FILE), dir);
  if (isFile(path.join(dir, SINGLE_FILE))) return { path: dir, dir, files: [path.join(dir, SINGLE_FILE)] };
  const entries = fs.readdirSync(dir);
  const indexes = entries.filter((e) => e.endsWith(".safetensors.index.json"));
  if (indexes.length === 1) return fromIndex(path.join(dir, indexes[0]), dir);
  const singles = entries.filter((e) => e.endsWith(".safetensors") && isFile(path.join(dir, e)));
  if (indexes.length === 0 && singles.length === 1) return { path: dir, dir, files: [path.join(dir, singles[0])] };
  const seen = [...indexes, ...singles];
  if (seen.length === 0) {
    const broken = entries.filter((e) => e.endsWith(".safetensors"));
    throw new CheckpointError(
      dir,
      broken.length
        ? `${broken.join(", ")} cannot be read (a broken link into the hub cache's blobs?)`
        : `no ${SINGLE_FILE}, ${INDEX_FILE} or other .safetensors file in this folder`,
      "pass a folder holding a safetensors checkpoint",
    );
  }
  throw new CheckpointError(dir, `ambiguous: several checkpoints (${seen.join(", ")}) and no ${INDEX_FILE}`, "pass the file you want");
}

/** Resolves a user-given checkpoint path (file, folder, hub cache folder, or "org/name" in the hub cache). */
export function locateCheckpoint(p: string): CheckpointLocation {
  const abs = path.resolve(p);
  const st = statOf(abs);
  if (!st) {
    if (/^[\w.-]+\/[\w.-]+$/.test(p) && !p.startsWith(".")) {
      const repo = path.join(hubCacheRoot(), `models--${p.replace("/", "--")}`);
      if (isDir(repo)) return listCheckpointFolder(repo);
      throw new CheckpointError(
        p,
        `no such file or folder, and no hub cache entry at ${repo}`,
        "download the model first, or set HF_HUB_CACHE / HF_HOME",
      );
    }
    throw new CheckpointError(abs, "no such file or folder");
  }
  if (st.isDirectory()) return listCheckpointFolder(abs);
  // A FIFO would block the open forever; devices and sockets are no checkpoints either.
  if (!st.isFile()) throw new CheckpointError(abs, "not a regular file (a pipe, socket or device)", "pass a safetensors file or folder");
  if (abs.endsWith(".index.json")) return fromIndex(abs, abs);
  if (abs.endsWith(".safetensors")) return { path: abs, dir: path.dirname(abs), files: [abs] };
  throw new CheckpointError(abs, "not a .safetensors file, a .safetensors.index.json or a folder", "pass a safetensors checkpoint");
}
