// Evaluation on bundled tasks: one function for the CLI, the notebooks and the tests.
export { evaluateTask, scoreCompletions } from "./evaluate-task";
export type { EvaluateTaskOptions, TaskEvaluation } from "./evaluate-task";
export { passAtK } from "./pass-at-k";
