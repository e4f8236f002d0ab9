import { RftlabError } from "../errors";
import { checkConfig } from "../base/strict-config";
import type { ModelFamily } from "../model";

/** LoRA options with PEFT's semantics (spec/algorithms.md "LoRA"). JSON-serialisable. */
export interface LoraConfig {
  /** Rank r of the update B·A. Default 8. */
  r: number;
  /** α: the update is scaled by α/r (or α/√r with rsLora). Default 8. */
  alpha: number;
  /** Dropout on the adapter's input during training. Default 0. */
  dropout: number;
  /** rsLoRA scaling α/√r (Kalajdzievski 2023) instead of α/r. Default false. */
  rsLora: boolean;
  /** Module names (last name part, e.g. "q_proj", "c_attn") to adapt; default: every linear of the family. */
  targetModules: string[];
  /** Seed of A's kaiming-uniform init. Default 0. */
  seed: number;
}

export const LORA_TARGETS: Record<ModelFamily, string[]> = {
  llama: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
  qwen2: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
  gpt2: ["c_attn", "c_proj", "c_fc"],
};

export function resolveLoraConfig(family: ModelFamily, partial: Partial<LoraConfig> = {}): LoraConfig {
  const defaults: LoraConfig = { r: 8, alpha: 8, dropout: 0, rsLora: false, targetModules: LORA_TARGETS[family], seed: 0 };
  checkConfig("LoraConfig", partial, defaults);
  const c: LoraConfig = { ...defaults, ...partial };
  const bad = (field: string, rule: string, v: unknown): never => {
    throw new RftlabError(`LoraConfig.${field} must be ${rule}; got ${JSON.stringify(v)}`);
  };
  if (!Number.isInteger(c.r) || c.r < 1) bad("r", "an integer ≥ 1", c.r);
  if (!(c.alpha > 0)) bad("alpha", "> 0", c.alpha);
  if (!(c.dropout >= 0 && c.dropout < 1)) bad("dropout", "in [0, 1)", c.dropout);
  if (!Array.isArray(c.targetModules) || c.targetModules.length === 0)
    bad("targetModules", "a non-empty array of module names", c.targetModules);
  const unknown = c.targetModules.filter((m) => !LORA_TARGETS[family].includes(m));
  if (unknown.length) bad("targetModules", `names from ${LORA_TARGETS[family].join(", ")} for a ${family} model`, unknown);
  return c;
}

/** The update's scale: α/r, or α/√r with rsLoRA. */
export function loraScaling(c: LoraConfig): number {
  return c.rsLora ? c.alpha / Math.sqrt(c.r) : c.alpha / c.r;
}
