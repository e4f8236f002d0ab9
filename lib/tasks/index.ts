export { createRng } from "../base/random";
export type { Rng } from "../base/random";
export type { TaskExample, TaskMeta, TaskProblem, TaskSpec, TaskStyle, AnswerKind } from "./task";
export { TASK_STYLES } from "./task";
export { TASKS, getTask, taskNames } from "./registry";
export { generateTask, taskStream, taskPrompt, renderTarget, resolveTaskOptions } from "./generate";
export type { GenerateTaskOptions, TaskStreamOptions } from "./generate";
// extractAnswer / lastNumber stay internal: the public ones are the reward functions' (lib/rewards).
export { checkAnswer } from "./verify";
export { splitTrainTest, taskSplits } from "./split";
export { generateCorpus, resolveCorpusConfig, DEFAULT_CORPUS_CONFIG } from "./corpus";
export type { CorpusConfig } from "./corpus";
