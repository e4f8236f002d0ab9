// Continual post-training (issue 10): task sequences, one method per run, accuracy matrix and retention per stage.
export { CONTINUAL_METHODS, CONTINUAL_DEFAULTS, HFT_FREEZE, FPF_SELECT, resolveContinualConfig } from "./config";
export type { ContinualConfig, ContinualConfigInput, ContinualMethod, ContinualTask, FpfSelect } from "./config";
export { runContinual } from "./run";
export type { ContinualArgs, ContinualRun, ContinualEvent, StageRecord, FpfReplayInfo } from "./run";
export { varyingInstances } from "./train-stage";
export type { StageTraining, ReplayChoice } from "./train-stage";
export { replayRun } from "./replay";
export type { ReplayArgs, ReplayResult } from "./replay";
export { continualTaskData } from "./task-data";
export type { ContinualCodec, TaskData } from "./task-data";
