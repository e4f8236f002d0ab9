/**
 * Synthetic Llama-shaped bf16 checkpoints with a planted update (spec/analyses.md §1): "tuned" differs
 * from "base" in exactly round(fraction·numel) entries of every matrix and in no norm weight, so a
 * checkpoint diff can be checked against known counts at any size (notebook 23, bench/diff-stream.ts).
 * Tensors are produced as bf16 bit patterns; writing them is the caller's job (lib/io).
 */
import { RftlabError } from "../errors";
import { deepFreeze } from "../base/freeze";
import { checkConfig } from "../base/strict-config";

export interface PlantedLlamaConfig {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  vocabSize: number;
  /** Fraction of each matrix's entries that differ in "tuned" (1 − planted sparsity). */
  fraction: number;
  seed: number;
}

export const DEFAULT_PLANTED_LLAMA_CONFIG: Readonly<PlantedLlamaConfig> = deepFreeze({
  hiddenSize: 1024,
  intermediateSize: 2816,
  numLayers: 8,
  vocabSize: 32000,
  fraction: 0.2,
  seed: 0,
});

export function resolvePlantedLlamaConfig(partial: Partial<PlantedLlamaConfig> = {}): PlantedLlamaConfig {
  checkConfig("PlantedLlamaConfig", partial, DEFAULT_PLANTED_LLAMA_CONFIG);
  const c = { ...DEFAULT_PLANTED_LLAMA_CONFIG, ...partial };
  for (const k of ["hiddenSize", "intermediateSize", "numLayers", "vocabSize"] as const) {
    if (!(Number.isInteger(c[k]) && c[k] >= 1))
      throw new RftlabError(`resolvePlantedLlamaConfig: ${k} must be an integer ≥ 1; got ${c[k]}`);
  }
  if (!(c.fraction >= 0 && c.fraction <= 1))
    throw new RftlabError(`resolvePlantedLlamaConfig: fraction must be in [0, 1]; got ${c.fraction}`);
  if (!Number.isInteger(c.seed)) throw new RftlabError(`resolvePlantedLlamaConfig: seed must be an integer; got ${c.seed}`);
  return c;
}

export interface PlantedTensor {
  name: string;
  dtype: "BF16";
  shape: number[];
  /** bf16 bit patterns. */
  data: Uint16Array;
  /** Entries that differ between base and tuned. */
  planted: number;
}

/** Names and shapes of a Llama checkpoint in HF order (untied lm_head, full-width k/v). */
export function plantedLlamaLayout(cfg: PlantedLlamaConfig): { name: string; shape: number[] }[] {
  const { hiddenSize: H, intermediateSize: I, vocabSize: V } = cfg;
  const out = [{ name: "model.embed_tokens.weight", shape: [V, H] }];
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `model.layers.${l}`;
    out.push(
      { name: `${p}.input_layernorm.weight`, shape: [H] },
      ...["q", "k", "v", "o"].map((m) => ({ name: `${p}.self_attn.${m}_proj.weight`, shape: [H, H] })),
      { name: `${p}.post_attention_layernorm.weight`, shape: [H] },
      { name: `${p}.mlp.gate_proj.weight`, shape: [I, H] },
      { name: `${p}.mlp.up_proj.weight`, shape: [I, H] },
      { name: `${p}.mlp.down_proj.weight`, shape: [H, I] },
    );
  }
  out.push({ name: "model.norm.weight", shape: [H] }, { name: "lm_head.weight", shape: [V, H] });
  return out;
}

function hashSeed(name: string, seed: number): number {
  let h = (2166136261 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return h || 1;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Multiplier coprime with n (< 2²⁰, so i·a stays exact in a double for i < 2³³). */
function coprimeMultiplier(n: number): number {
  let a = 1000003;
  while (gcd(a, n) !== 1) a += 2;
  return a;
}

/**
 * One tensor of the base or tuned checkpoint. Matrix entries have |w| in [2⁻⁸, 2⁻⁴) with random sign, so
 * one bf16 step (≥ 2⁻¹⁵ ≈ 3.1e-5) exceeds the default tol 1e-5; norm weights sit near 1 and never change.
 * Entry i changes iff (i·a + c) mod numel < planted — a bijection, so exactly `planted` entries change;
 * the change flips the lowest mantissa bit (one bf16 step, same binade).
 */
export function plantedTensor(name: string, shape: number[], cfg: PlantedLlamaConfig, variant: "base" | "tuned"): PlantedTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const isNorm = shape.length === 1;
  const planted = isNorm ? 0 : Math.round(cfg.fraction * n);
  const data = new Uint16Array(n);
  let s = hashSeed(name, cfg.seed);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    // norm: 1.0 (0x3F80) with small mantissa noise; matrix: sign | exponent 119..122 (2⁻⁸..2⁻⁵) | mantissa
    data[i] = isNorm ? 0x3f80 + (s & 0x7) : ((s >>> 31) << 15) | ((119 + ((s >>> 7) & 3)) << 7) | (s & 0x7f);
  }
  if (variant === "tuned" && planted > 0) {
    const a = coprimeMultiplier(n);
    const c = hashSeed(name, cfg.seed + 1) % n;
    for (let i = 0; i < n; i++) if ((i * a + c) % n < planted) data[i] ^= 1;
  }
  return { name, dtype: "BF16", shape, data, planted };
}

/** Every tensor of the base or tuned checkpoint (generated lazily: hold one at a time for big models). */
export function* plantedLlamaTensors(partial: Partial<PlantedLlamaConfig>, variant: "base" | "tuned"): Generator<PlantedTensor> {
  const cfg = resolvePlantedLlamaConfig(partial);
  for (const t of plantedLlamaLayout(cfg)) yield plantedTensor(t.name, t.shape, cfg, variant);
}
