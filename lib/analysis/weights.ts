import { RftlabError } from "../errors";
import { isBuffer } from "./modules";

/** One weight tensor as plain numbers: row-major data of the given shape. */
export interface WeightTensor {
  shape: number[];
  data: Float32Array;
}

/** Name-keyed weights (HF tensor names): the input of every analysis in lib/analysis. */
export type WeightMap = Map<string, WeightTensor>;

/** Anything holding named tfjs variables (a Transformer's `params`). */
export interface ParamSource {
  params: Map<string, { shape: number[]; dataSync(): ArrayLike<number> }>;
}

/**
 * The subset of lib/io's Checkpoint that analyses read (structural, so analysis never touches files).
 * readFloat32 decodes any stored float dtype to float32.
 */
export interface CheckpointSource {
  tensors(): { name: string; dtype: string; shape: number[]; numel: number }[];
  readFloat32(name: string): Promise<Float32Array>;
}

/** Copies a model's parameters (read once with dataSync) into a WeightMap; the model is not changed. */
export function weightsFromModel(model: ParamSource): WeightMap {
  const out: WeightMap = new Map();
  for (const [name, v] of model.params) out.set(name, { shape: [...v.shape], data: Float32Array.from(v.dataSync()) });
  return out;
}

/** Reads a checkpoint's float tensors (all, or those `filter` keeps) into a WeightMap, skipping buffers. */
export async function weightsFromCheckpoint(ckpt: CheckpointSource, filter?: (name: string) => boolean): Promise<WeightMap> {
  const out: WeightMap = new Map();
  for (const t of ckpt.tensors()) {
    if (isBuffer(t.name) || (filter && !filter(t.name))) continue;
    if (!/^(F32|F16|BF16|F64)$/.test(t.dtype)) continue;
    out.set(t.name, { shape: [...t.shape], data: await ckpt.readFloat32(t.name) });
  }
  return out;
}

/** Number of elements of a shape. */
export function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A deep copy of a WeightMap (analyses that return new weights never share buffers with their inputs). */
export function cloneWeights(w: WeightMap): WeightMap {
  const out: WeightMap = new Map();
  for (const [k, t] of w) out.set(k, { shape: [...t.shape], data: t.data.slice() });
  return out;
}

/** Checks that `other` has every tensor of `base` with the same shape; names the first mismatch. */
export function assertSameLayout(base: WeightMap, other: WeightMap, fn: string, what = "tuned"): void {
  if (base.size === 0) throw new RftlabError(`${fn}: the base weights hold no tensor; pass the model's weights`);
  for (const [name, t] of base) {
    const o = other.get(name);
    if (!o)
      throw new RftlabError(`${fn}: tensor "${name}" of the base weights is missing from ${what}; pass weights of the same architecture`);
    for (const [side, x] of [
      ["base", t],
      [what, o],
    ] as const) {
      const n = x.shape.reduce((a, b) => a * b, 1);
      if (x.data.length !== n)
        throw new RftlabError(
          `${fn}: tensor "${name}" in ${side} has ${x.data.length} values for shape [${x.shape}] (${n}); pass data of the shape's size`,
        );
    }
    if (o.shape.join("x") !== t.shape.join("x")) {
      throw new RftlabError(
        `${fn}: tensor "${name}" has shape [${o.shape}] in ${what} but [${t.shape}] in base; pass weights of the same architecture`,
      );
    }
  }
}

/** The difference τ = tuned − base per tensor (a task vector), as a new WeightMap. */
export function weightDelta(base: WeightMap, tuned: WeightMap): WeightMap {
  assertSameLayout(base, tuned, "weightDelta");
  const out: WeightMap = new Map();
  for (const [name, b] of base) {
    const t = tuned.get(name)!.data;
    const d = new Float32Array(b.data.length);
    for (let i = 0; i < d.length; i++) d[i] = t[i] - b.data[i];
    out.set(name, { shape: [...b.shape], data: d });
  }
  return out;
}

/** A tensor present in both checkpoints with the same shape, decoded to float32. */
export interface TensorPair {
  name: string;
  shape: number[];
  base: Float32Array;
  tuned: Float32Array;
}

/**
 * Yields the tensors that both checkpoints hold with equal shapes (that `filter` keeps), one pair at a
 * time, so only one pair is in memory; names in just one side or with different shapes go to `onSkip`.
 */
export async function* tensorPairs(
  base: CheckpointSource,
  tuned: CheckpointSource,
  filter: (name: string, shape: number[]) => boolean = () => true,
  onSkip?: (name: string, why: string) => void,
): AsyncGenerator<TensorPair> {
  const other = new Map(tuned.tensors().map((t) => [t.name, t]));
  for (const b of base.tensors()) {
    if (isBuffer(b.name) || !filter(b.name, b.shape)) continue;
    const t = other.get(b.name);
    if (!t) onSkip?.(b.name, "missing in tuned");
    else if (t.shape.join("x") !== b.shape.join("x")) onSkip?.(b.name, `shape [${b.shape}] vs [${t.shape}]`);
    else yield { name: b.name, shape: [...b.shape], base: await base.readFloat32(b.name), tuned: await tuned.readFloat32(b.name) };
  }
}
