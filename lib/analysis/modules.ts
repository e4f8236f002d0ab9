/**
 * Module classification of Hugging Face tensor names (Llama/Qwen2 and GPT-2 layouts).
 * Used to group per-tensor metrics by module type and by layer (spec/analyses.md §1, §5, §9).
 */

/** Module types of a decoder-only transformer; `qkv` is GPT-2's fused c_attn. */
export type ModuleType =
  | "q"
  | "k"
  | "v"
  | "o"
  | "qkv"
  | "gate"
  | "up"
  | "down"
  | "fc"
  | "proj"
  | "embed"
  | "pos_embed"
  | "norm"
  | "head"
  | "other";

const RULES: [RegExp, ModuleType][] = [
  [/(^|\.)self_attn\.q_proj\./, "q"],
  [/(^|\.)self_attn\.k_proj\./, "k"],
  [/(^|\.)self_attn\.v_proj\./, "v"],
  [/(^|\.)self_attn\.o_proj\./, "o"],
  [/(^|\.)mlp\.gate_proj\./, "gate"],
  [/(^|\.)mlp\.up_proj\./, "up"],
  [/(^|\.)mlp\.down_proj\./, "down"],
  [/(^|\.)attn\.c_attn\./, "qkv"],
  [/(^|\.)attn\.c_proj\./, "o"],
  // GPT-2's MLP: c_fc is the up projection, mlp.c_proj the down projection.
  [/(^|\.)mlp\.c_fc\./, "up"],
  [/(^|\.)mlp\.c_proj\./, "down"],
  [/(^|\.)(embed_tokens|wte)\./, "embed"],
  [/(^|\.)wpe\./, "pos_embed"],
  [/(layernorm|layer_norm|(^|\.)norm|(^|\.)ln_\w+|(^|\.)ln_f|_norm)\./, "norm"],
  [/(^|\.)lm_head\./, "head"],
];

/** Module type of an HF tensor name, e.g. "model.layers.3.self_attn.q_proj.weight" → "q". */
export function moduleType(name: string): ModuleType {
  for (const [re, t] of RULES) if (re.test(name)) return t;
  return "other";
}

/** Transformer block index of a tensor name ("model.layers.3…" / "h.3…" → 3), or null outside blocks. */
export function layerIndex(name: string): number | null {
  const m = /(?:^|\.)(?:layers|h|blocks)\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : null;
}

/** Whether a tensor is a bias (last name part "bias"). */
export function isBias(name: string): boolean {
  return name.endsWith(".bias");
}

/** Non-parameter buffers stored in some GPT-2 checkpoints (causal masks): skipped by analyses. */
export function isBuffer(name: string): boolean {
  return /(^|\.)attn\.(masked_)?bias$/.test(name);
}

/** Matrix weights of the blocks (attention and MLP projections): the targets of LIFT, intruder analysis, HFT. */
export function isBlockMatrix(name: string, shape: readonly number[]): boolean {
  if (shape.length !== 2 || isBias(name) || isBuffer(name)) return false;
  const t = moduleType(name);
  return t !== "embed" && t !== "pos_embed" && t !== "norm" && t !== "head" && t !== "other";
}
