import { tf } from "../tensor/tf";
import { embeddingLookup } from "../tensor/embedding";
import { geluNew, layerNorm, rmsNorm, siluMul } from "../tensor/fused-ops";
import { RftlabError } from "../errors";
import type { ModelConfig } from "./config";
import { KVCache } from "./kv-cache";
import { closestName } from "../errors";
import { ActivationCache, hookPointNames, resolveHooks, type HookFn, type HookMap } from "./hooks";
import { globalNames, layerNames, paramSpecs, type ParamSpec } from "./params";
import { ropeInvFreq, ropeTables } from "./rope";
import { checkIdsInRange } from "./token-ids";

/** Adds a side path to one linear layer: output += adapter(input) with input [N, in], result [N, out]. */
export type LinearAdapter = (x: tf.Tensor) => tf.Tensor;

export interface ForwardOptions {
  /** Past keys/values: the input continues at position cache.length and its K/V are appended. */
  cache?: KVCache;
  hooks?: HookMap;
}

const MASKED = -1e9;

/**
 * Decoder-only transformer for the GPT-2 and Llama/Qwen2 families. Parameters are trainable tf.Variables
 * keyed by Hugging Face tensor names in HF layouts, so checkpoints load and save without renaming.
 */
export class Transformer {
  readonly config: ModelConfig;
  readonly params: Map<string, tf.Variable>;
  private readonly specs: Map<string, ParamSpec>;
  private readonly adapters = new Map<string, LinearAdapter>();
  private readonly hookPoints: string[];
  private readonly invFreq?: Float32Array;

  /** Takes ownership of `params` (validated against the config's names and shapes). */
  constructor(config: ModelConfig, params: Map<string, tf.Variable>) {
    this.config = config;
    this.specs = new Map(paramSpecs(config).map((s) => [s.name, s]));
    for (const [name, s] of this.specs) {
      const p = params.get(name);
      if (!p) throw new RftlabError(`Transformer: missing parameter "${name}" (shape [${s.shape}])`);
      if (p.shape.join() !== s.shape.join()) {
        throw new RftlabError(`Transformer: parameter "${name}" has shape [${p.shape}], expected [${s.shape}] for this config`);
      }
    }
    for (const name of params.keys()) {
      if (!this.specs.has(name)) throw new RftlabError(`Transformer: unexpected parameter "${name}"${hint(name, this.specs.keys())}`);
    }
    this.params = params;
    const rotary = config.family !== "gpt2";
    this.hookPoints = hookPointNames(config.nLayers, { learnedPositions: !rotary, rotary, gatedMlp: rotary });
    if (rotary) this.invFreq = ropeInvFreq(config);
  }

  paramNames(): string[] {
    return [...this.params.keys()];
  }

  /** The parameter called `name`; throws with the closest name. */
  param(name: string): tf.Variable {
    const p = this.params.get(name);
    if (!p) throw new RftlabError(`Transformer.param: no parameter "${name}"${hint(name, this.params.keys())}`);
    return p;
  }

  /** Hook point names of this model (TransformerLens convention), in forward order. */
  hookNames(): string[] {
    return [...this.hookPoints];
  }

  /**
   * Adds `adapter(input)` to the output of the linear layer whose weight is `weightName` (LoRA's hook);
   * undefined removes it. The adapter gets the 2-D input [N, in] and returns [N, out].
   */
  setLinearAdapter(weightName: string, adapter: LinearAdapter | undefined): void {
    const s = this.specs.get(weightName);
    const linears = [...this.specs.values()].filter((x) => x.layout === "linear" || x.layout === "conv1d").map((x) => x.name);
    if (!s || !linears.includes(weightName)) {
      throw new RftlabError(`setLinearAdapter: "${weightName}" is not a linear layer's weight${hint(weightName, linears)}`);
    }
    if (adapter === undefined) this.adapters.delete(weightName);
    else this.adapters.set(weightName, adapter);
  }

  numParams(): number {
    let n = 0;
    for (const p of this.params.values()) n += p.size;
    return n;
  }

  newCache(batch: number, maxLen = this.config.maxPositions): KVCache {
    if (!Number.isInteger(batch) || batch < 1) throw new RftlabError(`newCache: batch must be a positive integer; got ${batch}`);
    if (!Number.isInteger(maxLen) || maxLen < 1) throw new RftlabError(`newCache: maxLen must be a positive integer; got ${maxLen}`);
    if (this.config.family === "gpt2" && maxLen > this.config.maxPositions) {
      throw new RftlabError(`newCache: maxLen ${maxLen} exceeds GPT-2's learned positions (maxPositions = ${this.config.maxPositions})`);
    }
    return new KVCache(batch, maxLen);
  }

  /**
   * Logits for every position. With a cache, positions start at cache.length and the new keys/values
   * are appended (incremental decoding).
   * @param ids [B, T] int32 token ids
   * @returns [B, T, V] float32 logits
   */
  forward(ids: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
    return this.run(ids, opts.cache, resolveHooks(opts.hooks, this.hookPoints), false) as tf.Tensor3D;
  }

  /**
   * Logits of the last position only (the decode step of sampling): skips the [B, T, V] projection.
   * @param ids [B, T] int32
   * @returns [B, V] float32
   */
  forwardLast(ids: tf.Tensor2D, cache?: KVCache): tf.Tensor2D {
    return this.run(ids, cache, undefined, true) as tf.Tensor2D;
  }

  /**
   * Forward pass recording activations (all hook points, or `names`). The caller disposes both the
   * logits and the cache.
   */
  runWithCache(ids: tf.Tensor2D, opts: { names?: string[] } = {}): { logits: tf.Tensor3D; cache: ActivationCache } {
    const wanted = opts.names ?? this.hookPoints;
    const store = new Map<string, tf.Tensor>();
    const hooks = new Map<string, HookFn>();
    for (const name of wanted) hooks.set(name, (t) => void store.set(name, tf.keep(t)));
    let logits: tf.Tensor3D;
    try {
      logits = this.forward(ids, { hooks });
    } catch (e) {
      new ActivationCache(store).dispose();
      throw e;
    }
    return { logits, cache: new ActivationCache(store) };
  }

  dispose(): void {
    for (const p of this.params.values()) p.dispose();
  }

  toString(): string {
    const c = this.config;
    const n = this.numParams();
    const size = formatParamCount(n);
    const heads = c.nKvHeads === c.nHeads ? `${c.nHeads} heads` : `${c.nHeads}/${c.nKvHeads} q/kv heads`;
    return (
      `Transformer(${c.family}): ${size} params, ${c.nLayers} layers, d=${c.dModel}, ${heads}, dFF=${c.dFF}, vocab ${c.vocabSize}, ` +
      `${c.tieEmbeddings ? "tied" : "untied"} head`
    );
  }

  private checkIds(ids: tf.Tensor2D, cache: KVCache | undefined): void {
    if (!(ids instanceof tf.Tensor) || ids.rank !== 2) {
      throw new RftlabError(
        `Transformer.forward: ids must be a 2-D int32 tensor [B, T]; got ${ids instanceof tf.Tensor ? `shape [${ids.shape}]` : typeof ids}`,
      );
    }
    if (ids.dtype !== "int32")
      throw new RftlabError(`Transformer.forward: ids must be int32; got ${ids.dtype} (tf.tensor2d(rows, undefined, "int32"))`);
    const [B, T] = ids.shape;
    if (T === 0) throw new RftlabError("Transformer.forward: ids has no positions (T = 0)");
    const V = this.config.vocabSize;
    // Reading ids back syncs with the device: skipped for ids made by tokenIds, whose range is known.
    checkIdsInRange(ids, V, "Transformer.forward");
    const past = cache?.length ?? 0;
    const limit = cache ? cache.maxLen : this.config.family === "gpt2" ? this.config.maxPositions : Infinity;
    if (past + T > limit) {
      throw new RftlabError(
        `Transformer.forward: ${past} cached + ${T} new positions exceed ${cache ? "the cache's maxLen" : "maxPositions"} = ${limit}`,
      );
    }
    if (cache && cache.batch !== B)
      throw new RftlabError(`Transformer.forward: ids have batch ${B} but the cache was made for batch ${cache.batch}`);
  }

  private run(ids: tf.Tensor2D, cache: KVCache | undefined, hooks: Map<string, HookFn> | undefined, lastOnly: boolean): tf.Tensor {
    this.checkIds(ids, cache);
    const c = this.config;
    const [B, T] = ids.shape;
    const past = cache?.length ?? 0;
    const newKV: { k: tf.Tensor4D; v: tf.Tensor4D }[] = [];
    const hook = hooks
      ? (name: string, t: tf.Tensor, canonical?: number[]): tf.Tensor => {
          const fn = hooks.get(name);
          if (!fn) return t;
          const view = canonical ? t.reshape(canonical) : t;
          const r = fn(view);
          if (!r) return t;
          if (r.shape.join() !== view.shape.join()) {
            throw new RftlabError(`hook "${name}" returned shape [${r.shape}]; it must keep the activation's shape [${view.shape}]`);
          }
          return canonical ? r.reshape(t.shape) : r;
        }
      : (_name: string, t: tf.Tensor): tf.Tensor => t;

    const out = tf.tidy(() => {
      const g = globalNames(c);
      let x = hook("hook_embed", embeddingLookup(this.params.get(g.embed)! as tf.Tensor2D, ids)); // [B, T, D]
      let rope: { cos: tf.Tensor; sin: tf.Tensor } | undefined;
      if (g.pos) {
        let pos: tf.Tensor = tf.slice(this.params.get(g.pos)!, [past, 0], [T, c.dModel]).expandDims(0); // [1, T, D]
        if (hooks?.has("hook_pos_embed")) pos = hook("hook_pos_embed", tf.tile(pos, [B, 1, 1]));
        x = tf.add(x, pos);
      } else {
        const tables = ropeTables(this.invFreq!, past, T);
        rope = { cos: tf.tensor3d(tables.cos, [T, 1, c.headDim]), sin: tf.tensor3d(tables.sinSigned, [T, 1, c.headDim]) };
      }
      const mask = T > 1 ? causalMask(T, past, c.nHeads / c.nKvHeads) : undefined; // [g·T, S]
      for (let l = 0; l < c.nLayers; l++) {
        const pfx = `blocks.${l}.`;
        const n = layerNames(c, l);
        x = hook(pfx + "hook_resid_pre", x);
        const a = hook(pfx + "ln1.hook_normalized", this.norm(n.norm1, x));
        const layerCache = cache?.layers[l];
        const { out: attnOut, k, v } = this.attention(l, a, B, T, rope, mask, layerCache, hook);
        if (cache) newKV.push({ k: tf.keep(k), v: tf.keep(v) });
        x = hook(pfx + "hook_resid_mid", tf.add(x, hook(pfx + "hook_attn_out", attnOut)));
        const m = hook(pfx + "ln2.hook_normalized", this.norm(n.norm2, x));
        x = hook(pfx + "hook_resid_post", tf.add(x, hook(pfx + "hook_mlp_out", this.mlp(l, m, B, T, hook))));
      }
      x = hook("ln_final.hook_normalized", this.norm(g.normFinal, x)); // [B, T, D]
      const rows = lastOnly ? tf.slice(x, [0, T - 1, 0], [B, 1, c.dModel]).reshape([B, c.dModel]) : x.reshape([B * T, c.dModel]);
      const logits = this.linear(g.head, rows as tf.Tensor2D, "linear"); // [B·T, V] or [B, V]
      return lastOnly ? logits : logits.reshape([B, T, c.vocabSize]);
    });
    if (cache) cache.update(newKV, T);
    return out;
  }

  /** LayerNorm (GPT-2) or RMSNorm (Llama/Qwen2) over the last axis. x [B, T, D]. */
  private norm(prefix: string, x: tf.Tensor): tf.Tensor {
    const eps = this.config.normEps;
    const w = this.params.get(`${prefix}.weight`)!;
    if (this.config.family === "gpt2") {
      return layerNorm(x, w, this.params.get(`${prefix}.bias`)!, eps);
    }
    return rmsNorm(x, w, eps);
  }

  /** x [N, in] → [N, out] through weight `name` (+ bias, + adapter). */
  private linear(weightName: string, x: tf.Tensor2D, layout: "linear" | "conv1d"): tf.Tensor2D {
    const w = this.params.get(weightName)!;
    let y = tf.matMul(x, w as tf.Tensor2D, false, layout === "linear");
    const bias = this.params.get(weightName.replace(/weight$/, "bias"));
    if (bias && weightName.endsWith(".weight")) y = tf.add(y, bias);
    const adapter = this.adapters.get(weightName);
    if (adapter) y = tf.add(y, adapter(x));
    return y as tf.Tensor2D;
  }

  private layout(): "linear" | "conv1d" {
    return this.config.family === "gpt2" ? "conv1d" : "linear";
  }

  /** Causal self-attention with grouped-query heads. a [B, T, D] → out [B, T, D]; k, v [B, Hkv, S, hd]. */
  private attention(
    l: number,
    a: tf.Tensor,
    B: number,
    T: number,
    rope: { cos: tf.Tensor; sin: tf.Tensor } | undefined,
    mask: tf.Tensor | undefined,
    past: { k: tf.Tensor4D; v: tf.Tensor4D } | undefined,
    hook: (name: string, t: tf.Tensor, canonical?: number[]) => tf.Tensor,
  ): { out: tf.Tensor; k: tf.Tensor4D; v: tf.Tensor4D } {
    const c = this.config;
    const { nHeads: H, nKvHeads: Hkv, headDim: hd } = c;
    const n = layerNames(c, l);
    const pfx = `blocks.${l}.attn.`;
    const x2 = a.reshape([B * T, c.dModel]) as tf.Tensor2D;
    let q: tf.Tensor;
    let k: tf.Tensor;
    let v: tf.Tensor;
    if (n.k) {
      q = this.linear(`${n.q}.weight`, x2, "linear");
      k = this.linear(`${n.k}.weight`, x2, "linear");
      v = this.linear(`${n.v}.weight`, x2, "linear");
    } else {
      [q, k, v] = tf.split(this.linear(`${n.q}.weight`, x2, "conv1d"), 3, 1); // [N, D] each
    }
    q = hook(pfx + "hook_q", q.reshape([B, T, H, hd]));
    k = hook(pfx + "hook_k", k.reshape([B, T, Hkv, hd]));
    v = hook(pfx + "hook_v", v.reshape([B, T, Hkv, hd]));
    if (rope) {
      q = hook(pfx + "hook_rot_q", applyRope(q, rope));
      k = hook(pfx + "hook_rot_k", applyRope(k, rope));
    }
    let kh = tf.transpose(k, [0, 2, 1, 3]) as tf.Tensor4D; // [B, Hkv, T, hd]
    let vh = tf.transpose(v, [0, 2, 1, 3]) as tf.Tensor4D;
    if (past) {
      kh = tf.concat([past.k, kh], 2); // [B, Hkv, S, hd]
      vh = tf.concat([past.v, vh], 2);
    }
    const S = kh.shape[2];
    const group = H / Hkv;
    // Query heads sharing a K/V head sit next to each other (h = kv·group + j), so [B, H, T, hd] reshapes to
    // [B, Hkv, group·T, hd] and one batched matmul per K/V head serves its whole group (no repeat_kv copy).
    const qh = tf.transpose(tf.mul(q, 1 / Math.sqrt(hd)), [0, 2, 1, 3]).reshape([B, Hkv, group * T, hd]);
    let scores = tf.matMul(qh as tf.Tensor4D, kh, false, true); // [B, Hkv, group·T, S]
    if (mask) scores = tf.add(scores, mask);
    scores = hook(pfx + "hook_attn_scores", scores, [B, H, T, S]);
    const pattern = hook(pfx + "hook_pattern", tf.softmax(scores, -1), [B, H, T, S]);
    const zh = tf.matMul(pattern as tf.Tensor4D, vh); // [B, Hkv, group·T, hd]
    const z = hook(pfx + "hook_z", tf.transpose(zh.reshape([B, H, T, hd]), [0, 2, 1, 3])); // [B, T, H, hd]
    const out = this.linear(`${n.o}.weight`, z.reshape([B * T, H * hd]) as tf.Tensor2D, this.layout());
    return { out: out.reshape([B, T, c.dModel]), k: kh, v: vh };
  }

  /** GPT-2: c_proj(act(c_fc x)); Llama/Qwen2: down(silu(gate x) ⊙ up x). m [B, T, D] → [B, T, D]. */
  private mlp(l: number, m: tf.Tensor, B: number, T: number, hook: (name: string, t: tf.Tensor) => tf.Tensor): tf.Tensor {
    const c = this.config;
    const n = layerNames(c, l);
    const pfx = `blocks.${l}.mlp.`;
    const x2 = m.reshape([B * T, c.dModel]) as tf.Tensor2D;
    const pre = hook(pfx + "hook_pre", this.linear(`${n.fc}.weight`, x2, this.layout()).reshape([B, T, c.dFF]));
    let post: tf.Tensor;
    if (n.up) {
      const up = hook(pfx + "hook_pre_linear", this.linear(`${n.up}.weight`, x2, "linear").reshape([B, T, c.dFF]));
      // resolveModelConfig allows only silu for the gated (Llama/Qwen2) MLP.
      post = siluMul(pre, up);
    } else post = activate(c.activation, pre);
    post = hook(pfx + "hook_post", post);
    const out = this.linear(`${n.down}.weight`, post.reshape([B * T, c.dFF]) as tf.Tensor2D, this.layout());
    return out.reshape([B, T, c.dModel]);
  }
}

/** A parameter count as toString prints it: 1.50B, 869.5K, 1.56M (units switch at exactly 1e6 and 1e9). */
export function formatParamCount(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(1)}K`;
}

function hint(name: string, candidates: Iterable<string>): string {
  const c = closestName(name, candidates);
  return c ? ` (did you mean "${c}"?)` : "";
}

/** Additive causal mask [group·T, S] for queries at past..past+T−1 over keys 0..S−1, tiled per query group. */
function causalMask(T: number, past: number, group: number): tf.Tensor2D {
  const S = past + T;
  const m = new Float32Array(group * T * S);
  for (let r = 0; r < group * T; r++) {
    const i = r % T;
    for (let j = past + i + 1; j < S; j++) m[r * S + j] = MASKED;
  }
  return tf.tensor2d(m, [group * T, S]);
}

/** RoPE in HF's rotate_half convention: x·cos + rotate_half(x)·sin. x [B, T, h, hd]; cos, sin [T, 1, hd]. */
function applyRope(x: tf.Tensor, rope: { cos: tf.Tensor; sin: tf.Tensor }): tf.Tensor {
  const [B, T, h, hd] = x.shape;
  // rotate_half(x) = cat(−x₂, x₁): swap the halves (reverse a size-2 axis) and let the signed sin table carry the minus.
  const swapped = tf.reverse(x.reshape([B * T * h, 2, hd / 2]), 1).reshape([B, T, h, hd]);
  return tf.add(tf.mul(x, rope.cos), tf.mul(swapped, rope.sin));
}

function activate(kind: ModelConfig["activation"], x: tf.Tensor): tf.Tensor {
  switch (kind) {
    case "gelu_new":
      return geluNew(x);
    case "gelu":
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
    case "relu":
      return tf.relu(x);
    case "silu":
      return tf.mul(x, tf.sigmoid(x));
  }
}
