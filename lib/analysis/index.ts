export { moduleType, layerIndex, isBias, isBuffer, isBlockMatrix } from "./modules";
export type { ModuleType } from "./modules";
export { weightsFromModel, weightsFromCheckpoint, cloneWeights, weightDelta, assertSameLayout } from "./weights";
export type { WeightMap, WeightTensor, ParamSource, CheckpointSource, TensorPair } from "./weights";
export {
  updateSparsity, summarizeSparsity, castForDiff, updateMaskOf, updateMasks, maskOverlap, resolveSparsityConfig, DEFAULT_SPARSITY_CONFIG, DIFF_PRECISIONS
} from "./sparsity";
export type { SparsityConfig, DiffPrecision, UpdateCounts, SparsityRow, SparsityReport, OverlapRow, MaskMap } from "./sparsity";
export { updateRank } from "./update-rank";
export type { UpdateRankRow } from "./update-rank";
export {
  intruderDimensions, intruderDimensionsOf, intruderSimilarities, scaleIntruders, resolveIntruderConfig, DEFAULT_INTRUDER_CONFIG
} from "./intruders";
export type { IntruderConfig, IntruderRow } from "./intruders";
export {
  topKMask, randomMask, principalMaskOf, principalMasks, subnetworkMasks, maskDensity, graftTopSMask, graft, graftMaskFromScores,
  roundGraftMask, resolvePrincipalMaskConfig, DEFAULT_PRINCIPAL_MASK_CONFIG
} from "./masks";
export type { PrincipalMaskConfig } from "./masks";
export {
  mergeModels, taskArithmetic, tiesMerge, trimTopK, breadcrumbsMerge, breadcrumbsMask, linesMerge, linesScale, resolveMergeConfig, DEFAULT_MERGE_CONFIG, MERGE_METHODS
} from "./merging";
export type { MergeConfig, MergeMethod } from "./merging";
export { moduleSensitivity } from "./module-sensitivity";
export type { SensitivityRow } from "./module-sensitivity";
export { diffCheckpoints } from "./checkpoint-diff";
export type { CheckpointDiffRow, CheckpointDiffConfig, CheckpointDiffResult, DiffStatus } from "./checkpoint-diff";
export {
  plantedLlamaTensors, plantedLlamaLayout, resolvePlantedLlamaConfig, DEFAULT_PLANTED_LLAMA_CONFIG
} from "./planted-update";
export type { PlantedLlamaConfig, PlantedTensor } from "./planted-update";
