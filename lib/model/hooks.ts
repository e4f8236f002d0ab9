import type { tf } from "../tensor/tf";
import { RftlabError, closestName } from "../errors";

/**
 * A hook sees an activation and may return a replacement of the same shape (or nothing to keep it).
 * It runs inside the forward pass's tidy: tensors it creates are freed unless it tf.keep()s them.
 */
export type HookFn = (t: tf.Tensor) => tf.Tensor | void;
export type HookMap = Map<string, HookFn> | Record<string, HookFn>;

/** Global hook points (TransformerLens names) and their shapes. */
const GLOBAL_KINDS: Record<string, string> = {
  embed: "hook_embed", // [B, T, D] token embeddings
  pos_embed: "hook_pos_embed", // [B, T, D] learned positions (GPT-2 only)
  ln_final: "ln_final.hook_normalized", // [B, T, D]
  normalized: "ln_final.hook_normalized",
};

/** Per-layer hook points: kind → suffix after "blocks.L.". */
const LAYER_KINDS: Record<string, string> = {
  resid_pre: "hook_resid_pre", // [B, T, D]
  ln1: "ln1.hook_normalized", // [B, T, D]
  q: "attn.hook_q", // [B, T, H, hd]
  k: "attn.hook_k", // [B, T, Hkv, hd]
  v: "attn.hook_v", // [B, T, Hkv, hd]
  rot_q: "attn.hook_rot_q", // [B, T, H, hd] after RoPE (Llama/Qwen2)
  rot_k: "attn.hook_rot_k", // [B, T, Hkv, hd] after RoPE
  attn_scores: "attn.hook_attn_scores", // [B, H, T, S] scaled and masked, before softmax
  pattern: "attn.hook_pattern", // [B, H, T, S] softmax
  z: "attn.hook_z", // [B, T, H, hd] heads' outputs before o_proj / c_proj
  attn_out: "hook_attn_out", // [B, T, D]
  resid_mid: "hook_resid_mid", // [B, T, D]
  ln2: "ln2.hook_normalized", // [B, T, D]
  pre: "mlp.hook_pre", // [B, T, dFF] before the activation (gate projection for SwiGLU)
  pre_linear: "mlp.hook_pre_linear", // [B, T, dFF] up projection (SwiGLU only)
  post: "mlp.hook_post", // [B, T, dFF] input of the down projection
  mlp_out: "hook_mlp_out", // [B, T, D]
  resid_post: "hook_resid_post", // [B, T, D]
};

function suggestion(name: string, candidates: Iterable<string>): string {
  const c = closestName(name, candidates);
  return c === undefined ? "" : ` (did you mean "${c}"?)`;
}

const FULL_NAME = /^(?:blocks\.(\d+)\.(.+)|(hook_embed|hook_pos_embed|ln_final\.hook_normalized))$/;

/**
 * Canonical TransformerLens activation name: activationName("resid_pre", 3) → "blocks.3.hook_resid_pre",
 * activationName("pattern", 0) → "blocks.0.attn.hook_pattern", activationName("ln_final") →
 * "ln_final.hook_normalized". A full name is validated and returned as is. Unknown kinds are rejected
 * with the closest valid one.
 */
export function activationName(kind: string, layer?: number): string {
  const full = FULL_NAME.exec(kind);
  if (full) {
    if (full[3]) return kind;
    if (Object.values(LAYER_KINDS).includes(full[2])) return kind;
    const valid = Object.values(LAYER_KINDS).map((s) => `blocks.${full[1]}.${s}`);
    throw new RftlabError(`activationName: unknown activation "${kind}"${suggestion(kind, valid)}`);
  }
  if (kind in GLOBAL_KINDS) {
    if (layer !== undefined && kind !== "normalized") {
      throw new RftlabError(
        `activationName: "${kind}" is not per layer; call activationName("${kind}") without a layer (got layer ${layer})`,
      );
    }
    return GLOBAL_KINDS[kind];
  }
  if (kind in LAYER_KINDS) {
    if (layer === undefined || !Number.isInteger(layer) || layer < 0) {
      throw new RftlabError(`activationName: "${kind}" needs a layer index (integer ≥ 0), e.g. activationName("${kind}", 0); got ${layer}`);
    }
    return `blocks.${layer}.${LAYER_KINDS[kind]}`;
  }
  const kinds = [...Object.keys(GLOBAL_KINDS), ...Object.keys(LAYER_KINDS)];
  throw new RftlabError(`activationName: unknown activation kind "${kind}"${suggestion(kind, kinds)}; kinds: ${kinds.join(", ")}`);
}

/** Every hook point of a model with these properties, in forward order. */
export function hookPointNames(nLayers: number, opts: { learnedPositions: boolean; rotary: boolean; gatedMlp: boolean }): string[] {
  const names = ["hook_embed"];
  if (opts.learnedPositions) names.push("hook_pos_embed");
  for (let l = 0; l < nLayers; l++) {
    for (const [kind, suffix] of Object.entries(LAYER_KINDS)) {
      if ((kind === "rot_q" || kind === "rot_k") && !opts.rotary) continue;
      if (kind === "pre_linear" && !opts.gatedMlp) continue;
      names.push(`blocks.${l}.${suffix}`);
    }
  }
  names.push("ln_final.hook_normalized");
  return names;
}

/** Normalises a HookMap and rejects names the model does not have, with a suggestion. */
export function resolveHooks(hooks: HookMap | undefined, valid: readonly string[]): Map<string, HookFn> | undefined {
  if (!hooks) return undefined;
  const m = hooks instanceof Map ? hooks : new Map(Object.entries(hooks));
  if (m.size === 0) return undefined;
  const set = new Set(valid);
  for (const [name, fn] of m) {
    if (!set.has(name)) throw new RftlabError(`hooks: this model has no hook point "${name}"${suggestion(name, valid)}`);
    if (typeof fn !== "function")
      throw new RftlabError(`hooks: the value for "${name}" must be a function (t) => t | void; got ${typeof fn}`);
  }
  return m;
}

/** Activations recorded by Transformer.runWithCache; owns its tensors until dispose(). */
export class ActivationCache {
  private readonly store: Map<string, tf.Tensor>;
  constructor(store: Map<string, tf.Tensor>) {
    this.store = store;
  }
  /** The activation called `name` (see activationName); throws with the closest recorded name. */
  get(name: string): tf.Tensor {
    const t = this.store.get(name);
    if (!t) throw new RftlabError(`ActivationCache.get: no activation "${name}"${suggestion(name, this.store.keys())}`);
    if (t.isDisposed) throw new RftlabError(`ActivationCache.get: "${name}" was disposed (the cache's dispose() ran)`);
    return t;
  }
  has(name: string): boolean {
    return this.store.has(name);
  }
  names(): string[] {
    return [...this.store.keys()];
  }
  /** Frees every recorded tensor (a tensor recorded under two names is freed once). */
  dispose(): void {
    for (const t of new Set(this.store.values())) if (!t.isDisposed) t.dispose();
  }
  toString(): string {
    let bytes = 0;
    for (const t of new Set(this.store.values())) bytes += t.size * 4;
    return `ActivationCache: ${this.store.size} activations, ${(bytes / 2 ** 20).toFixed(2)} MiB`;
  }
}
