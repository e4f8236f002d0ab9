import { tf } from "../tensor/tf";
import type { AdamW } from "../tensor/optim";
import type { Transformer } from "../model";
import { RftlabError } from "../errors";
import { createRng } from "../base/random";

/** Per-parameter 0/1 masks keyed by HF tensor name: 1 = the entry may change. A missing name = frozen. */
export type ParamMasks = Map<string, Uint8Array | Float32Array>;

/**
 * Multiplies gradients by fixed masks: g ← g ⊙ m (sparse / subnetwork fine-tuning, LIFT, HFT).
 * Masks are uploaded once; names with no mask get zero gradients unless `passUnmasked` is set.
 */
export class GradientMasker {
  protected readonly masks = new Map<string, tf.Tensor>();

  constructor(
    protected readonly model: Transformer,
    masks: ParamMasks,
    readonly passUnmasked = false,
  ) {
    for (const [name, m] of masks) this.masks.set(name, this.upload(name, m));
  }

  /** The mask as a float tensor shaped like the parameter (the caller owns it). */
  protected upload(name: string, m: Uint8Array | Float32Array): tf.Tensor {
    const p = this.model.param(name);
    if (m.length !== p.size) {
      throw new RftlabError(
        `GradientMasker: mask for ${name} has ${m.length} entries but the parameter has ${p.size} (shape [${p.shape}])`,
      );
    }
    return tf.tensor(Float32Array.from(m), p.shape);
  }

  /** Called by the trainers after every optimizer step; fixed masks do nothing (see RecomputingGradientMasker). */
  async afterStep(_optimizer: AdamW): Promise<void> {}

  /** New masked gradients; the inputs are not disposed. */
  apply(grads: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [name, g] of Object.entries(grads)) {
      const m = this.masks.get(name);
      out[name] = m ? tf.mul(g, m) : this.passUnmasked ? g.clone() : tf.zerosLike(g);
    }
    return out;
  }

  /** Fraction of entries that may change, over masked parameters. */
  density(): number {
    let on = 0;
    let total = 0;
    for (const m of this.masks.values()) {
      on += tf.tidy(() => m.sum().dataSync()[0]);
      total += m.size;
    }
    return total ? on / total : 0;
  }

  dispose(): void {
    for (const m of this.masks.values()) m.dispose();
    this.masks.clear();
  }
}

/** Random masks with the given density for the named parameters (default: all 2-D weights). */
export function randomMasks(model: Transformer, density: number, seed = 0, names?: string[]): ParamMasks {
  if (!(density >= 0 && density <= 1)) throw new RftlabError(`randomMasks: density must be in [0, 1]; got ${density}`);
  const rng = createRng(seed);
  const out: ParamMasks = new Map();
  for (const name of names ?? model.paramNames().filter((n) => model.param(n).rank === 2)) {
    const size = model.param(name).size;
    out.set(
      name,
      Uint8Array.from({ length: size }, () => (rng.next() < density ? 1 : 0)),
    );
  }
  return out;
}

/** Masks that let whole parameters train (1 everywhere) and freeze the rest. */
export function wholeParamMasks(model: Transformer, trainable: Iterable<string>): ParamMasks {
  const out: ParamMasks = new Map();
  for (const name of trainable) out.set(name, new Uint8Array(model.param(name).size).fill(1));
  return out;
}

const HFT_GROUPS: Record<string, { attn: string[]; mlp: string[] }> = {
  llama: {
    attn: ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj"],
    mlp: ["mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"],
  },
  qwen2: {
    attn: ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj"],
    mlp: ["mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"],
  },
  // GPT-2 has 2 attention and 2 MLP matrices: the analogue freezes one of each.
  gpt2: { attn: ["attn.c_attn", "attn.c_proj"], mlp: ["mlp.c_fc", "mlp.c_proj"] },
};

/**
 * Half fine-tuning (HFT, arXiv 2404.18466; spec/analyses.md §8): per layer freeze 2 of 4 attention
 * matrices at random; in the MLP freeze 2 of 3 in a random half of the layers and 1 of 3 in the other
 * half (≈ 50% frozen). Returns the names of the frozen weights; re-sample with a new seed per stage.
 */
export function hftFrozenWeights(model: Transformer, seed = 0): string[] {
  const { family, nLayers } = model.config;
  const g = HFT_GROUPS[family];
  const rng = createRng(seed);
  const layers = rng.shuffle(Array.from({ length: nLayers }, (_, i) => i));
  const heavy = new Set(layers.slice(0, Math.floor(nLayers / 2)));
  const frozen: string[] = [];
  const names = new Set(model.paramNames());
  for (let l = 0; l < nLayers; l++) {
    const mlpFreeze = family === "gpt2" ? 1 : heavy.has(l) ? 2 : 1;
    const pick = [...rng.shuffle(g.attn).slice(0, g.attn.length / 2), ...rng.shuffle(g.mlp).slice(0, mlpFreeze)];
    for (const part of pick) {
      const name = [...names].find((n) => n.endsWith(`.${l}.${part}.weight`));
      if (!name) throw new RftlabError(`hftFrozenWeights: layer ${l} has no ${part}.weight in this ${family} model`);
      frozen.push(name);
    }
  }
  return frozen;
}

/**
 * Control for HFT: the same number of frozen entries as `hftFrozenWeights(model, seed)`, spread at random over
 * every matrix HFT could freeze (each matrix freezes round(f·size) entries, f = HFT's frozen fraction of those
 * matrices). Masks only those matrices: use with `new GradientMasker(model, masks, true)` so the rest trains.
 */
export function hftRandomEntryMasks(model: Transformer, seed = 0): ParamMasks {
  const parts = [...HFT_GROUPS[model.config.family].attn, ...HFT_GROUPS[model.config.family].mlp];
  const candidates = model.paramNames().filter((n) => parts.some((p) => n.endsWith(`.${p}.weight`)));
  const size = (n: string) => model.param(n).size;
  const frozen = hftFrozenWeights(model, seed).reduce((s, n) => s + size(n), 0);
  const f = frozen / candidates.reduce((s, n) => s + size(n), 0);
  const rng = createRng(seed);
  const out: ParamMasks = new Map();
  for (const name of candidates) {
    const m = new Uint8Array(size(name)).fill(1);
    for (const i of rng.shuffle(Array.from(m.keys())).slice(0, Math.round(f * m.length))) m[i] = 0;
    out.set(name, m);
  }
  return out;
}

/** HFT as gradient masks: every parameter trains except the frozen weights. */
export function hftMasks(model: Transformer, seed = 0): ParamMasks {
  const frozen = new Set(hftFrozenWeights(model, seed));
  return wholeParamMasks(
    model,
    model.paramNames().filter((n) => !frozen.has(n)),
  );
}
