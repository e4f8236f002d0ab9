export {
  checkAccuracyMatrix,
  averageAccuracy,
  backwardTransfer,
  forgettingMeasure,
  forwardTransfer,
  taskForgetting,
  forgettingMetrics,
  summarizeForgetting,
} from "./metrics";
export type { AccuracyMatrix, TaskForgetting, ForgettingMetrics, ForgettingSummary } from "./metrics";
export { accuracyMatrixFromJson, accuracyMatrixToJson, accuracyMatrixFromCsv, accuracyMatrixToCsv } from "./matrix-format";
export { readAccuracyMatrix, writeAccuracyMatrix } from "./matrix-file";
export { tokenKl, klToBase, retention, DEFAULT_KL_TO_BASE_CONFIG } from "./retention";
export type { KlToBaseConfig, KlToBase, RetentionOptions, Retention } from "./retention";
export { countIntervals, seedIntervals } from "./intervals";
export type { ForgettingMetricName, CountIntervals, CountIntervalOptions, SeedIntervals } from "./intervals";
export { accuracyMatrixFromEvals, evalFilesInOrder } from "./eval-results";
export type { EvalMatrixOptions } from "./eval-results";
