// rftlab's one public entry point (`lab` in the kernel, `require("rftlab")` elsewhere): one namespace per area,
// plus a short list of shortcuts that nearly every notebook uses. Internals stay inside their area.
// api/rftlab.api.md records this surface; tests/api.test.ts fails when it changes without that file.
export * as tensor from "./tensor";
export * as io from "./io";
export * as model from "./model";
export * as stats from "./stats";
export * as tasks from "./tasks";
export * as sampling from "./sampling";
export * as rewards from "./rewards";
export * as evaluation from "./evaluation";
export * as rl from "./rl";
export * as peft from "./peft";
export * as linalg from "./linalg";
export * as analysis from "./analysis";
export * as forgetting from "./forgetting";
export * as continual from "./continual";
export * as display from "./display";

export { RftlabError } from "./errors";

// Shortcuts.
export { tf, initBackend, backendInfo } from "./tensor";
export { Transformer, createModel, loadModel, saveModel, resolveModelConfig, ensurePretrainedTiny, loadZooModel } from "./model";
export type { ModelConfig } from "./model";
export { taskSplits } from "./tasks";
export { generate } from "./sampling";
export type { RewardFn } from "./rewards";
export { grpoTrain, sftTrain, dpoTrain } from "./rl";
export { weightsFromModel } from "./analysis";
export type { WeightMap } from "./analysis";
export { show, lineFigure, barFigure, scatterFigure, heatmapFigure, histogramFigure, progress } from "./display";
