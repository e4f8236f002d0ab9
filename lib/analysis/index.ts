export { moduleType, layerIndex, isBias, isBuffer, isBlockMatrix } from "./modules";
export type { ModuleType } from "./modules";
export { weightsFromModel, weightsFromCheckpoint, cloneWeights, weightDelta, assertSameLayout } from "./weights";
export type { WeightMap, WeightTensor, ParamSource, CheckpointSource, TensorPair } from "./weights";
export {
  updateSparsity,
  summarizeSparsity,
  castForDiff,
  updateMaskOf,
  updateMasks,
  maskOverlap,
  resolveSparsityConfig,
  DEFAULT_SPARSITY_CONFIG,
  DIFF_PRECISIONS,
} from "./sparsity";
export type {
  SparsityConfig,
  DiffPrecision,
  UpdateCounts,
  SparsityRow,
  SparsityReport,
  OverlapRow,
  OverlapOptions,
  MaskMap,
} from "./sparsity";
export { magnitudeBins, binCounts, binnedChance, resolveBinnedChanceConfig, DEFAULT_BINNED_CHANCE_CONFIG } from "./binned-chance";
export type { BinnedChanceConfig, ChanceBinning, MagnitudeBins } from "./binned-chance";
export {
  randomUpdateNull,
  compareToNull,
  randomUpdateNullControl,
  resolveRandomUpdateNullConfig,
  DEFAULT_RANDOM_UPDATE_NULL_CONFIG,
  DEFAULT_NULL_CONTROL_CONFIG,
  NULL_SPREADS,
} from "./random-update-null";
export type {
  RandomUpdateNullConfig,
  NullSpread,
  NullComparison,
  NullControlConfig,
  NullSparsityRow,
  NullOverlapRow,
} from "./random-update-null";
export { subnetworkAgreement } from "./subnetwork-agreement";
export type { SubnetworkAgreement, AgreementCount } from "./subnetwork-agreement";
export { updateRank } from "./update-rank";
export type { UpdateRankRow } from "./update-rank";
export {
  intruderDimensions,
  intruderDimensionsOf,
  intruderSimilarities,
  scaleIntruders,
  intruderSelections,
  scaleDirections,
  resolveIntruderConfig,
  DEFAULT_INTRUDER_CONFIG,
} from "./intruders";
export type { IntruderConfig, IntruderRow, DirectionSelection, BaseSvdOptions } from "./intruders";
export { baseSvd } from "./base-svd";
export { scaleUpdate, randomNonIntruderSelections, directionEnergy } from "./intruder-controls";
export type { DirectionEnergyRow } from "./intruder-controls";
export { relativeUpdateNorm, atSize, matchedBySize } from "./update-size";
export type { UpdateNormRow, TrajectoryPoint, MatchedRow } from "./update-size";
export {
  topKMask,
  randomMask,
  randomMasksLike,
  binMatchedRandomMasks,
  principalMaskOf,
  principalMasks,
  subnetworkMasks,
  maskDensity,
  graftTopSMask,
  graft,
  graftMaskFromScores,
  roundGraftMask,
  resolvePrincipalMaskConfig,
  DEFAULT_PRINCIPAL_MASK_CONFIG,
} from "./masks";
export type { PrincipalMaskConfig } from "./masks";
export {
  learnGraftMask,
  graftScoreGradient,
  graftMaskOfSize,
  resolveLearnedGraftConfig,
  DEFAULT_LEARNED_GRAFT_CONFIG,
} from "./graft-learn";
export type { LearnedGraftConfig, LearnedGraft, LearnedGraftStep, WeightGradient } from "./graft-learn";
export {
  mergeModels,
  taskArithmetic,
  tiesMerge,
  trimTopK,
  breadcrumbsMerge,
  breadcrumbsMask,
  linesMerge,
  linesScale,
  resolveMergeConfig,
  DEFAULT_MERGE_CONFIG,
  MERGE_METHODS,
} from "./merging";
export type { MergeConfig, MergeMethod } from "./merging";
export { moduleSensitivity } from "./module-sensitivity";
export type { SensitivityRow } from "./module-sensitivity";
export { diffCheckpoints, DEFAULT_CHECKPOINT_DIFF_CONFIG } from "./checkpoint-diff";
export type { CheckpointDiffRow, CheckpointDiffConfig, CheckpointDiffResult, DiffStatus } from "./checkpoint-diff";
export { weightTrajectory, trajectorySummary, resolveTrajectoryConfig, DEFAULT_TRAJECTORY_CONFIG } from "./trajectory";
export type {
  TrajectoryConfig,
  TrajectoryInput,
  TrajectoryCheckpoint,
  TrajectoryProblem,
  TrajectoryResult,
  TrajectoryCache,
  TrajectoryOptions,
  ClosableSource,
} from "./trajectory";
export {
  plantedLlamaTensors,
  plantedLlamaLayout,
  resolvePlantedLlamaConfig,
  DEFAULT_PLANTED_LLAMA_CONFIG,
} from "./planted-update";
export type { PlantedLlamaConfig, PlantedTensor } from "./planted-update";
