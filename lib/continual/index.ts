// Continual post-training (issue 10): task sequences, one method per run, accuracy matrix and retention per stage.
export { CONTINUAL_METHODS, CONTINUAL_DEFAULTS, resolveContinualConfig } from "./config";
export type { ContinualConfig, ContinualMethod, ContinualTask } from "./config";
export { runContinual } from "./run";
export type { ContinualArgs, ContinualRun, ContinualEvent, StageRecord, FpfReplayInfo } from "./run";
export { varyingInstances } from "./train-stage";
export type { StageTraining } from "./train-stage";
export { continualTaskData } from "./task-data";
export type { ContinualCodec, TaskData } from "./task-data";
