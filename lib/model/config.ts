import { RftlabError } from "../errors";
import { deepFreeze } from "../base/freeze";
import { checkConfig } from "../base/strict-config";

export type ModelFamily = "gpt2" | "llama" | "qwen2";
export const MODEL_FAMILIES: readonly ModelFamily[] = ["gpt2", "llama", "qwen2"];
export type Activation = "gelu_new" | "gelu" | "relu" | "silu";
const ACTIVATIONS: readonly Activation[] = ["gelu_new", "gelu", "relu", "silu"];

/** RoPE frequency scaling as in HF `rope_scaling` (Llama 3 "llama3" and plain "linear"). */
export interface RopeScaling {
  type: "linear" | "llama3";
  factor: number;
  lowFreqFactor?: number;
  highFreqFactor?: number;
  originalMaxPositions?: number;
}

/**
 * One decoder-only transformer: GPT-2 (LayerNorm, learned positions, fused Conv1D QKV, biases) or
 * Llama / Qwen2 (RMSNorm, RoPE, SwiGLU, grouped-query attention). JSON-serialisable.
 */
export interface ModelConfig {
  family: ModelFamily;
  /** V: rows of the token embedding and of the logits. */
  vocabSize: number;
  /** d_model: residual stream width. */
  dModel: number;
  nLayers: number;
  /** Query heads. */
  nHeads: number;
  /** Key/value heads (grouped-query attention when < nHeads; must divide nHeads). GPT-2: = nHeads. */
  nKvHeads: number;
  /** d_head: width of one head; default dModel / nHeads. */
  headDim: number;
  /** Hidden width of the MLP (intermediate_size / n_inner); GPT-2 default 4·dModel. */
  dFF: number;
  /** Longest sequence (learned position table size for GPT-2, KV-cache default for RoPE models). */
  maxPositions: number;
  /** ε of LayerNorm (GPT-2) or RMSNorm (Llama/Qwen2). */
  normEps: number;
  /** RoPE base θ (Llama/Qwen2); unused by GPT-2. */
  ropeTheta: number;
  ropeScaling?: RopeScaling;
  /** lm_head shares the token embedding (lm_head.weight absent from checkpoints). */
  tieEmbeddings: boolean;
  /** Biases on q/k/v projections (GPT-2, Qwen2: true; Llama: attention_bias). */
  qkvBias: boolean;
  /** Bias on the attention output projection (GPT-2: true; Llama: attention_bias; Qwen2: false). */
  attnOutBias: boolean;
  /** Biases in the MLP (GPT-2: true; Llama: mlp_bias; Qwen2: false). */
  mlpBias: boolean;
  /** MLP non-linearity: gelu_new (GPT-2, tanh approximation); silu gates SwiGLU for Llama/Qwen2. */
  activation: Activation;
  bosTokenId?: number;
  /** First end-of-sequence id; eosTokenIds lists all when the config gives several. */
  eosTokenId?: number;
  eosTokenIds?: number[];
}

const DEFAULT_FAMILY_CONFIG: Readonly<Record<ModelFamily, Partial<ModelConfig>>> = deepFreeze({
  gpt2: {
    vocabSize: 50257,
    dModel: 768,
    nLayers: 12,
    nHeads: 12,
    maxPositions: 1024,
    normEps: 1e-5,
    ropeTheta: 10000,
    tieEmbeddings: true,
    qkvBias: true,
    attnOutBias: true,
    mlpBias: true,
    activation: "gelu_new",
  },
  llama: {
    vocabSize: 32000,
    dModel: 4096,
    nLayers: 32,
    nHeads: 32,
    maxPositions: 2048,
    normEps: 1e-6,
    ropeTheta: 10000,
    tieEmbeddings: false,
    qkvBias: false,
    attnOutBias: false,
    mlpBias: false,
    activation: "silu",
  },
  qwen2: {
    vocabSize: 151936,
    dModel: 896,
    nLayers: 24,
    nHeads: 14,
    nKvHeads: 2,
    dFF: 4864,
    maxPositions: 32768,
    normEps: 1e-6,
    ropeTheta: 1000000,
    tieEmbeddings: true,
    qkvBias: true,
    attnOutBias: false,
    mlpBias: false,
    activation: "silu",
  },
});

/** ModelConfig's template for checkConfig: every family shares the fields; the optional ones get example values. */
export const MODEL_CONFIG_FIELDS = {
  family: "llama",
  ...DEFAULT_FAMILY_CONFIG.llama,
  nKvHeads: 1,
  headDim: 1,
  dFF: 1,
  ropeScaling: { type: "llama3", factor: 1, lowFreqFactor: 1, highFreqFactor: 1, originalMaxPositions: 1 },
  bosTokenId: 0,
  eosTokenId: 0,
  eosTokenIds: [],
};

function fail(source: string, field: string, value: unknown, rule: string): never {
  throw new RftlabError(`${source}: ${field} ${rule}; got ${JSON.stringify(value)}`);
}

function positiveInt(source: string, field: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) fail(source, field, v, "must be a positive integer");
  return v;
}

/**
 * Fills defaults (family-specific; headDim = dModel/nHeads, nKvHeads = nHeads, dFF = 4·dModel) and
 * validates across fields. Errors state the rule, the value and the fix.
 */
export function resolveModelConfig(partial: Partial<ModelConfig> & { family: ModelFamily }, source = "ModelConfig"): ModelConfig {
  checkConfig(source, partial, MODEL_CONFIG_FIELDS);
  if (!MODEL_FAMILIES.includes(partial.family)) fail(source, "family", partial.family, `must be one of ${MODEL_FAMILIES.join(", ")}`);
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<ModelConfig>;
  const d = { ...DEFAULT_FAMILY_CONFIG[partial.family], ...defined } as Partial<ModelConfig> & { family: ModelFamily };
  const dModel = positiveInt(source, "dModel", d.dModel);
  const nHeads = positiveInt(source, "nHeads", d.nHeads);
  const c: ModelConfig = {
    family: d.family,
    vocabSize: positiveInt(source, "vocabSize", d.vocabSize),
    dModel,
    nLayers: positiveInt(source, "nLayers", d.nLayers),
    nHeads,
    nKvHeads: positiveInt(source, "nKvHeads", d.nKvHeads ?? nHeads),
    headDim: positiveInt(source, "headDim", d.headDim ?? Math.floor(dModel / nHeads)),
    dFF: positiveInt(source, "dFF", d.dFF ?? 4 * dModel),
    maxPositions: positiveInt(source, "maxPositions", d.maxPositions),
    normEps: d.normEps as number,
    ropeTheta: d.ropeTheta as number,
    tieEmbeddings: d.tieEmbeddings as boolean,
    qkvBias: d.qkvBias as boolean,
    attnOutBias: d.attnOutBias as boolean,
    mlpBias: d.mlpBias as boolean,
    activation: d.activation as Activation,
  };
  if (d.ropeScaling) c.ropeScaling = d.ropeScaling;
  if (d.bosTokenId !== undefined) c.bosTokenId = d.bosTokenId;
  if (d.eosTokenId !== undefined) c.eosTokenId = d.eosTokenId;
  if (d.eosTokenIds !== undefined) c.eosTokenIds = d.eosTokenIds;

  if (!(typeof c.normEps === "number" && c.normEps > 0 && c.normEps < 1))
    fail(source, "normEps", c.normEps, "must be in (0, 1), e.g. 1e-5");
  if (!(typeof c.ropeTheta === "number" && c.ropeTheta > 1)) fail(source, "ropeTheta", c.ropeTheta, "must be a number > 1, e.g. 10000");
  for (const k of ["tieEmbeddings", "qkvBias", "attnOutBias", "mlpBias"] as const) {
    if (typeof c[k] !== "boolean") fail(source, k, c[k], "must be true or false");
  }
  if (!ACTIVATIONS.includes(c.activation)) fail(source, "activation", c.activation, `must be one of ${ACTIVATIONS.join(", ")}`);
  if (c.nHeads % c.nKvHeads !== 0) {
    fail(
      source,
      "nKvHeads",
      c.nKvHeads,
      `must divide nHeads = ${c.nHeads} (grouped-query attention shares each K/V head among nHeads/nKvHeads query heads)`,
    );
  }
  if (c.family === "gpt2") {
    if (c.nKvHeads !== c.nHeads)
      fail(source, "nKvHeads", c.nKvHeads, `must equal nHeads = ${c.nHeads} for GPT-2 (no grouped-query attention)`);
    if (c.headDim * c.nHeads !== c.dModel)
      fail(source, "dModel", c.dModel, `must equal nHeads·headDim = ${c.nHeads}·${c.headDim} for GPT-2 (fused c_attn)`);
    if (!c.qkvBias || !c.attnOutBias || !c.mlpBias)
      fail(source, "qkvBias/attnOutBias/mlpBias", [c.qkvBias, c.attnOutBias, c.mlpBias], "must all be true for GPT-2");
    if (c.ropeScaling) fail(source, "ropeScaling", c.ropeScaling, "is not used by GPT-2 (learned positions); remove it");
  } else {
    if (c.headDim % 2 !== 0) fail(source, "headDim", c.headDim, "must be even for RoPE (pairs of dimensions rotate together)");
    if (c.activation !== "silu") fail(source, "activation", c.activation, `must be "silu" for ${c.family} (SwiGLU MLP)`);
  }
  if (c.family === "qwen2") {
    if (!c.qkvBias) fail(source, "qkvBias", c.qkvBias, "must be true for Qwen2 (its q/k/v projections always carry biases)");
    if (c.attnOutBias || c.mlpBias) fail(source, "attnOutBias/mlpBias", [c.attnOutBias, c.mlpBias], "must be false for Qwen2");
  }
  if (c.family === "llama" && c.qkvBias !== c.attnOutBias) {
    fail(source, "attnOutBias", c.attnOutBias, `must equal qkvBias = ${c.qkvBias} for Llama (HF attention_bias covers q, k, v and o)`);
  }
  if (c.ropeScaling) {
    const s = c.ropeScaling;
    if (s.type !== "linear" && s.type !== "llama3") fail(source, "ropeScaling.type", s.type, `must be "linear" or "llama3"`);
    if (!(s.factor > 0)) fail(source, "ropeScaling.factor", s.factor, "must be > 0");
  }
  for (const k of ["bosTokenId", "eosTokenId"] as const) {
    const v = c[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v < c.vocabSize))
      fail(source, k, v, `must be an integer in [0, vocabSize = ${c.vocabSize})`);
  }
  return c;
}

/** Maps HF's token-id fields (number, list or null) to rftlab's. */
function tokenIds(json: Record<string, unknown>, source: string): Pick<ModelConfig, "bosTokenId" | "eosTokenId" | "eosTokenIds"> {
  const out: Pick<ModelConfig, "bosTokenId" | "eosTokenId" | "eosTokenIds"> = {};
  const bos = json.bos_token_id;
  if (typeof bos === "number") out.bosTokenId = bos;
  const eos = json.eos_token_id;
  if (typeof eos === "number") out.eosTokenId = eos;
  else if (Array.isArray(eos) && eos.length > 0) {
    if (!eos.every((x) => Number.isInteger(x))) fail(source, "eos_token_id", eos, "must be an integer or a list of integers");
    out.eosTokenId = eos[0] as number;
    out.eosTokenIds = eos as number[];
  }
  return out;
}

function ropeScalingFromHf(json: Record<string, unknown>, source: string): RopeScaling | undefined {
  const rs = (json.rope_scaling ?? null) as Record<string, unknown> | null;
  if (rs === null) return undefined;
  const type = (rs.rope_type ?? rs.type) as string;
  if (type === "default") return undefined;
  if (type !== "linear" && type !== "llama3") {
    fail(source, "rope_scaling.rope_type", type, `is not supported (rftlab implements "default", "linear" and "llama3")`);
  }
  const s: RopeScaling = { type, factor: rs.factor as number };
  if (type === "llama3") {
    s.lowFreqFactor = rs.low_freq_factor as number;
    s.highFreqFactor = rs.high_freq_factor as number;
    s.originalMaxPositions = rs.original_max_position_embeddings as number;
  }
  return s;
}

/** Reads a Hugging Face config.json object (GPT-2, Llama, Qwen2); `source` names the file in errors. */
export function configFromHf(json: Record<string, unknown>, source = "config.json"): ModelConfig {
  const type = json.model_type;
  const ids = tokenIds(json, source);
  if (type === "gpt2") {
    const act = (json.activation_function ?? "gelu_new") as Activation;
    if (json.scale_attn_by_inverse_layer_idx === true)
      fail(source, "scale_attn_by_inverse_layer_idx", true, "is not supported; must be false");
    if (json.scale_attn_weights === false) fail(source, "scale_attn_weights", false, "is not supported; must be true");
    return resolveModelConfig(
      {
        family: "gpt2",
        vocabSize: json.vocab_size as number,
        dModel: json.n_embd as number,
        nLayers: json.n_layer as number,
        nHeads: json.n_head as number,
        dFF: (json.n_inner ?? undefined) as number | undefined,
        maxPositions: json.n_positions as number,
        normEps: (json.layer_norm_epsilon ?? 1e-5) as number,
        tieEmbeddings: (json.tie_word_embeddings ?? true) as boolean,
        activation: act,
        ...ids,
      },
      source,
    );
  }
  if (type === "llama" || type === "qwen2") {
    const act = json.hidden_act ?? "silu";
    if (act !== "silu") fail(source, "hidden_act", act, `must be "silu" for ${type}`);
    if (type === "qwen2" && json.use_sliding_window === true) {
      fail(source, "use_sliding_window", true, "is not supported; rftlab uses full causal attention (set it to false)");
    }
    const ropeParams = (json.rope_parameters ?? {}) as Record<string, unknown>;
    const bias = type === "llama" ? Boolean(json.attention_bias ?? false) : undefined;
    return resolveModelConfig(
      {
        family: type,
        vocabSize: json.vocab_size as number,
        dModel: json.hidden_size as number,
        nLayers: json.num_hidden_layers as number,
        nHeads: json.num_attention_heads as number,
        nKvHeads: (json.num_key_value_heads ?? json.num_attention_heads) as number,
        headDim: (json.head_dim ?? undefined) as number | undefined,
        dFF: json.intermediate_size as number,
        maxPositions: json.max_position_embeddings as number,
        normEps: (json.rms_norm_eps ?? 1e-6) as number,
        ropeTheta: (json.rope_theta ?? ropeParams.rope_theta ?? 10000) as number,
        ropeScaling: ropeScalingFromHf(json.rope_scaling !== undefined ? json : { rope_scaling: json.rope_parameters ?? null }, source),
        tieEmbeddings: (json.tie_word_embeddings ?? false) as boolean,
        qkvBias: type === "qwen2" ? true : bias,
        attnOutBias: type === "qwen2" ? false : bias,
        mlpBias: type === "llama" ? Boolean(json.mlp_bias ?? false) : false,
        activation: "silu",
        ...ids,
      },
      source,
    );
  }
  return fail(source, "model_type", type, `is not supported; rftlab reads "gpt2", "llama" and "qwen2" checkpoints`);
}

/** The config.json HF transformers reads for this model (model_type, architectures, sizes, torch_dtype). */
export function configToHf(c: ModelConfig, torchDtype: "float32" | "bfloat16" | "float16" = "float32"): Record<string, unknown> {
  const ids: Record<string, unknown> = {};
  if (c.bosTokenId !== undefined) ids.bos_token_id = c.bosTokenId;
  if (c.eosTokenIds !== undefined) ids.eos_token_id = c.eosTokenIds;
  else if (c.eosTokenId !== undefined) ids.eos_token_id = c.eosTokenId;
  if (c.family === "gpt2") {
    return {
      model_type: "gpt2",
      architectures: ["GPT2LMHeadModel"],
      vocab_size: c.vocabSize,
      n_embd: c.dModel,
      n_layer: c.nLayers,
      n_head: c.nHeads,
      n_inner: c.dFF,
      n_positions: c.maxPositions,
      n_ctx: c.maxPositions,
      layer_norm_epsilon: c.normEps,
      activation_function: c.activation,
      tie_word_embeddings: c.tieEmbeddings,
      scale_attn_weights: true,
      resid_pdrop: 0,
      embd_pdrop: 0,
      attn_pdrop: 0,
      torch_dtype: torchDtype,
      ...ids,
    };
  }
  const s = c.ropeScaling;
  const ropeScaling = !s
    ? null
    : s.type === "linear"
      ? { rope_type: "linear", factor: s.factor }
      : {
          rope_type: "llama3",
          factor: s.factor,
          low_freq_factor: s.lowFreqFactor,
          high_freq_factor: s.highFreqFactor,
          original_max_position_embeddings: s.originalMaxPositions,
        };
  const common = {
    vocab_size: c.vocabSize,
    hidden_size: c.dModel,
    intermediate_size: c.dFF,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKvHeads,
    head_dim: c.headDim,
    max_position_embeddings: c.maxPositions,
    rms_norm_eps: c.normEps,
    rope_theta: c.ropeTheta,
    rope_scaling: ropeScaling,
    tie_word_embeddings: c.tieEmbeddings,
    hidden_act: "silu",
    attention_dropout: 0,
    torch_dtype: torchDtype,
    ...ids,
  };
  if (c.family === "qwen2") {
    return { model_type: "qwen2", architectures: ["Qwen2ForCausalLM"], ...common, use_sliding_window: false };
  }
  return { model_type: "llama", architectures: ["LlamaForCausalLM"], ...common, attention_bias: c.qkvBias, mlp_bias: c.mlpBias };
}
