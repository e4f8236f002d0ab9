import type { Rng } from "../base/random";

/** How a task's gold answer is compared with an extracted one (see checkAnswer). */
export type AnswerKind = "number" | "list" | "word";

/**
 * How a target completion is written after the shared prompt `Question: …\n`:
 * - `answer`: `<think>\n{work}\n</think>\n<answer>\n{answer}\n</answer>` (the R1/TRL format-reward shape)
 * - `hash`: `{work}\n#### {answer}` (GSM8K)
 * - `natural`: one English sentence; `code`: a Python-REPL line and its output; `terse`: the answer alone.
 * The last three are the distinct formats of the echo-chamber study (arXiv 2504.07912).
 */
export type TaskStyle = "answer" | "hash" | "natural" | "code" | "terse";
export const TASK_STYLES: readonly TaskStyle[] = ["answer", "hash", "natural", "code", "terse"];

/** One verifiable problem. `answer` is canonical (`579`, `1, 3, 5`, `olleh`); `target` is a gold completion. */
export interface TaskExample {
  prompt: string;
  answer: string;
  target?: string;
  meta?: TaskMeta;
}

export interface TaskMeta {
  task: string;
  style: TaskStyle;
  /** Difficulty options used to generate the example. */
  options: Record<string, number>;
  [key: string]: unknown;
}

/** A problem before it is rendered in a style. */
export interface TaskProblem {
  question: string;
  answer: string;
  /** Worked steps, one line. */
  work: string;
  natural: string;
  /** Python-REPL rendering: the input line (without `>>> `) and the printed output. */
  code: { input: string; output: string };
}

/** A task family: defaults and a sampler. Difficulty options are integers validated by `validate`. */
export interface TaskSpec {
  name: string;
  summary: string;
  answerKind: AnswerKind;
  defaults: Record<string, number>;
  /** Throws RftlabError naming the option, the value and the allowed range. */
  validate(options: Record<string, number>): void;
  sample(rng: Rng, options: Record<string, number>): TaskProblem;
}
