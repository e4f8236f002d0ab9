import { RftlabError } from "../errors";
import { getTask } from "../tasks";
import type { RewardFn } from "./types";

/**
 * Correctness of an instruct-format completion (PLAN.md "Correctness"): drop one trailing "\n" and the
 * spaces around the rest; correct iff what remains equals the task's canonical `answer` exactly
 * ("579\n" is correct for 579; "579\n\n", "0579" and "<answer>579</answer>" are not). `task` must be a
 * bundled task name: the canonical form is the task's, so no lenient parsing is needed (or wanted).
 */
export function taskCorrect(task: string, completion: string, answer: string): boolean {
  getTask(task);
  const body = completion
    .replace(/[ \t]+$/, "")
    .replace(/\n$/, "")
    .replace(/^[ \t]+|[ \t]+$/g, "");
  return body === answer;
}

/**
 * Binary reward of `taskCorrect` against the dataset's `answer` column: 1 correct, 0 not, null where the
 * row has no answer (not applicable, excluded from the mean).
 */
export function taskReward(task: string): RewardFn {
  getTask(task);
  return (ctx) => {
    const answers = ctx.answer;
    if (!Array.isArray(answers)) {
      throw new RftlabError(
        `taskReward("${task}"): dataset column "answer" is ${answers === undefined ? "missing" : typeof answers}; ` +
          "pass the task examples' canonical answers as that column",
      );
    }
    return ctx.completions.map((c, i) => {
      const a = answers[i];
      return a === null || a === undefined ? null : taskCorrect(task, c, String(a)) ? 1 : 0;
    });
  };
}
