import type { TaskProblem, TaskSpec } from "./task";
import { requireInt } from "./options";
import type { Rng } from "../base/random";

function randomList(rng: Rng, length: number, maxValue: number): number[] {
  return Array.from({ length }, () => rng.int(0, maxValue));
}

/** max and min: the same list, the question and the running value differ. */
function extremeTask(name: "max" | "min", adjective: string, pick: (a: number, b: number) => number): TaskSpec {
  return {
    name,
    summary: `${adjective} of \`length\` integers in [0, maxValue]`,
    answerKind: "number",
    defaults: { length: 5, maxValue: 99 },
    validate(o) {
      requireInt(name, "length", o.length, 1, 100);
      requireInt(name, "maxValue", o.maxValue, 1, 1e9);
    },
    sample(rng, o): TaskProblem {
      const xs = randomList(rng, o.length, o.maxValue);
      let best = xs[0];
      const running = xs.map((x) => (best = pick(best, x)));
      const m = String(best);
      return {
        question: `What is the ${adjective} number in ${xs.join(", ")}?`,
        answer: m,
        work: `running ${name}: ${running.join(", ")}`,
        natural: `The ${adjective} number is ${m}.`,
        code: { input: `${name}([${xs.join(", ")}])`, output: m },
      };
    },
  };
}

export const maxTask: TaskSpec = extremeTask("max", "largest", Math.max);

export const minTask: TaskSpec = extremeTask("min", "smallest", Math.min);

export const sortTask: TaskSpec = {
  name: "sort",
  summary: "sort `length` integers in [0, maxValue] in increasing order",
  answerKind: "list",
  defaults: { length: 4, maxValue: 99 },
  validate(o) {
    requireInt("sort", "length", o.length, 1, 100);
    requireInt("sort", "maxValue", o.maxValue, 1, 1e9);
  },
  sample(rng, o): TaskProblem {
    const xs = randomList(rng, o.length, o.maxValue);
    const sorted = xs.slice().sort((a, b) => a - b);
    const a = sorted.join(", ");
    return {
      question: `Sort in increasing order: ${xs.join(", ")}.`,
      answer: a,
      work: `smallest first: ${sorted.join(" <= ")}`,
      natural: `In increasing order the numbers are ${a}.`,
      code: { input: `sorted([${xs.join(", ")}])`, output: `[${a}]` },
    };
  },
};
