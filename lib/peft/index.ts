export { LoraAdapter, attachLora } from "./lora";
export { resolveLoraConfig, loraScaling, LORA_TARGETS } from "./lora-config";
export type { LoraConfig } from "./lora-config";
export { GradientMasker, randomMasks, wholeParamMasks, hftFrozenWeights, hftMasks, hftRandomEntryMasks } from "./masks";
export type { ParamMasks } from "./masks";
export { RecomputingGradientMasker, resolveMaskRecomputeConfig, DEFAULT_MASK_RECOMPUTE_CONFIG } from "./recomputed-masks";
export type { MaskRecomputeConfig, MaskRecompute, MaskFn, MaskedWeights } from "./recomputed-masks";
export { completionAccuracy, assignWeights } from "./evaluate";
export type { CompletionAccuracy } from "./evaluate";
