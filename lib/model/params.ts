import type { ModelConfig } from "./config";

/** How a parameter is initialised by createModel (GPT-2 scheme). */
export type ParamInit = "normal" | "residual" | "zeros" | "ones";

/**
 * One parameter as Hugging Face names and lays it out. `layout` says how a weight multiplies its input:
 * "linear" is torch.nn.Linear ([out, in], y = x Wᵀ), "conv1d" is GPT-2's Conv1D ([in, out], y = x W).
 */
export interface ParamSpec {
  name: string;
  shape: number[];
  init: ParamInit;
  layout?: "linear" | "conv1d" | "embedding";
}

/** Names of the tensors one layer uses, per family. */
export interface LayerNames {
  norm1: string;
  norm2: string;
  /** GPT-2: the fused c_attn; Llama/Qwen2: q_proj (k_proj, v_proj below). */
  q: string;
  k?: string;
  v?: string;
  o: string;
  /** GPT-2: c_fc; Llama/Qwen2: gate_proj (up_proj below). */
  fc: string;
  up?: string;
  down: string;
}

export function layerNames(c: ModelConfig, l: number): LayerNames {
  if (c.family === "gpt2") {
    const p = `h.${l}`;
    return {
      norm1: `${p}.ln_1`,
      norm2: `${p}.ln_2`,
      q: `${p}.attn.c_attn`,
      o: `${p}.attn.c_proj`,
      fc: `${p}.mlp.c_fc`,
      down: `${p}.mlp.c_proj`,
    };
  }
  const p = `model.layers.${l}`;
  return {
    norm1: `${p}.input_layernorm`,
    norm2: `${p}.post_attention_layernorm`,
    q: `${p}.self_attn.q_proj`,
    k: `${p}.self_attn.k_proj`,
    v: `${p}.self_attn.v_proj`,
    o: `${p}.self_attn.o_proj`,
    fc: `${p}.mlp.gate_proj`,
    up: `${p}.mlp.up_proj`,
    down: `${p}.mlp.down_proj`,
  };
}

/** Names of the embedding, final norm and head tensors. */
export function globalNames(c: ModelConfig): { embed: string; pos?: string; normFinal: string; head: string } {
  if (c.family === "gpt2")
    return { embed: "wte.weight", pos: "wpe.weight", normFinal: "ln_f", head: c.tieEmbeddings ? "wte.weight" : "lm_head.weight" };
  return {
    embed: "model.embed_tokens.weight",
    normFinal: "model.norm",
    head: c.tieEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight",
  };
}

/** Every parameter of the model in HF order, names and layouts. */
export function paramSpecs(c: ModelConfig): ParamSpec[] {
  const { dModel: D, dFF: F, headDim: hd, nHeads: H, nKvHeads: Hkv, vocabSize: V } = c;
  const g = globalNames(c);
  const specs: ParamSpec[] = [{ name: g.embed, shape: [V, D], init: "normal", layout: "embedding" }];
  if (g.pos) specs.push({ name: g.pos, shape: [c.maxPositions, D], init: "normal", layout: "embedding" });
  const norm = (name: string) => {
    specs.push({ name: `${name}.weight`, shape: [D], init: "ones" });
    if (c.family === "gpt2") specs.push({ name: `${name}.bias`, shape: [D], init: "zeros" });
  };
  // weight + optional bias; `inF`/`outF` are the math dimensions, the layout decides the stored order.
  const lin = (name: string, inF: number, outF: number, bias: boolean, residual = false) => {
    const conv = c.family === "gpt2";
    specs.push({
      name: `${name}.weight`,
      shape: conv ? [inF, outF] : [outF, inF],
      init: residual ? "residual" : "normal",
      layout: conv ? "conv1d" : "linear",
    });
    if (bias) specs.push({ name: `${name}.bias`, shape: [outF], init: "zeros" });
  };
  for (let l = 0; l < c.nLayers; l++) {
    const n = layerNames(c, l);
    norm(n.norm1);
    if (c.family === "gpt2") lin(n.q, D, 3 * D, true);
    else {
      lin(n.q, D, H * hd, c.qkvBias);
      lin(n.k!, D, Hkv * hd, c.qkvBias);
      lin(n.v!, D, Hkv * hd, c.qkvBias);
    }
    lin(n.o, H * hd, D, c.attnOutBias, true);
    norm(n.norm2);
    lin(n.fc, D, F, c.mlpBias);
    if (n.up) lin(n.up, D, F, c.mlpBias);
    lin(n.down, F, D, c.mlpBias, true);
  }
  norm(g.normFinal);
  if (!c.tieEmbeddings) specs.push({ name: "lm_head.weight", shape: [V, D], init: "normal", layout: "linear" });
  return specs;
}
