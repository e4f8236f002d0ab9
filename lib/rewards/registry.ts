import { RftlabError, closestName } from "../errors";
import { checkAnswer } from "../tasks";
import { answerAccuracyReward } from "./answer";
import { formatReward, tagCountReward } from "./format";
import { taskReward } from "./task-reward";
import type { RewardFn } from "./types";

/** What a built-in reward may be built from: the bundled task of the dataset, when there is one. */
export interface RewardContextOptions {
  task?: string;
}

/** A built-in reward by name, as `rftlab train` configs refer to it. */
export interface RewardSpec {
  name: string;
  summary: string;
  /** Builds the reward function; throws RftlabError when it needs a task and none is given. */
  create(options: RewardContextOptions): RewardFn;
}

function needTask(name: string, task: string | undefined): string {
  if (task === undefined)
    throw new RftlabError(`reward "${name}" needs a bundled task dataset ({"task": "add", ...}); got a dataset without one`);
  return task;
}

const SPECS: RewardSpec[] = [
  {
    name: "exact",
    summary: "1 iff the completion is the task's canonical answer (one trailing newline allowed), else 0: the instruct-format correctness",
    create: ({ task }) => taskReward(needTask("exact", task)),
  },
  {
    name: "correct",
    summary:
      "1 iff the answer the completion states matches: the task's lenient answer check (tags, ####, last number), or numeric match of the answer column",
    create: ({ task }) =>
      task === undefined
        ? answerAccuracyReward()
        : (ctx) => ctx.completions.map((c, k) => (checkAnswer(task, c, String((ctx.answer as unknown[])[k])) ? 1 : 0)),
  },
  { name: "format", summary: "1 iff the whole completion is <think>…</think><answer>…</answer>", create: () => formatReward() },
  { name: "tag_count", summary: "0.25 per think/answer tag occurring exactly once", create: () => tagCountReward() },
];

/** Every built-in reward, by name. */
export const REWARDS: Readonly<Record<string, RewardSpec>> = Object.fromEntries(SPECS.map((s) => [s.name, s]));

/** Looks a built-in reward up by name; unknown names throw with the list and the closest name. */
export function getReward(name: string): RewardSpec {
  const spec = REWARDS[name];
  if (spec) return spec;
  const names = Object.keys(REWARDS);
  throw new RftlabError(`unknown reward "${name}" (did you mean "${closestName(name, names)}"?); rewards: ${names.join(", ")}`);
}

/** Names of the built-in rewards. */
export function rewardNames(): string[] {
  return Object.keys(REWARDS);
}
