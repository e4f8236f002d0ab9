export {
  checkAccuracyMatrix, averageAccuracy, backwardTransfer, forgettingMeasure, forwardTransfer, taskForgetting, forgettingMetrics, summarizeForgetting,
} from "./metrics";
export type { AccuracyMatrix, TaskForgetting, ForgettingMetrics, ForgettingSummary } from "./metrics";
export { accuracyMatrixFromJson, accuracyMatrixToJson, accuracyMatrixFromCsv, accuracyMatrixToCsv } from "./matrix-format";
export { readAccuracyMatrix, writeAccuracyMatrix } from "./matrix-file";
