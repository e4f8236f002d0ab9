// The zoo's learning requirement (issue 9): from a zoo model, GRPO with the trainer's default
// hyperparameters and a binary correctness reward raises held-out accuracy on a task of its recipe.
import { RftlabError } from "../errors";
import { loadZooModel } from "../model";
import { grpoTrain } from "./grpo-train";
import type { PromptRow } from "./trainer-types";
import { taskAccuracy, type TaskAccuracy } from "./task-accuracy";
import { taskReward } from "../rewards/task-reward";
import { zooTaskSplits } from "./zoo-build";
import { textCodec } from "../io/tokenizer";

export interface GrpoGain {
  task: string;
  seed: number;
  steps: number;
  before: TaskAccuracy;
  after: TaskAccuracy;
  /** after − before (accuracy over all held-out samples). */
  gain: number;
  /** Standard error of the gain, paired over prompts: sd of the per-prompt differences / √prompts. */
  se: number;
  /** Mean training reward of the first and the last 10 steps. */
  rewardFirst: number;
  rewardLast: number;
}

/**
 * `steps` GRPO steps (DEFAULT_GRPO_CONFIG otherwise; `seed` sets the GRPO seed) from zoo model `name` on the
 * training split of `task`, then held-out accuracy on its test split with the recipe's evaluation.
 */
export async function zooGrpoGain(
  name: string,
  task: string,
  opts: { seed: number; steps: number; onStep?: (s: number, reward: number) => void },
): Promise<GrpoGain> {
  const zoo = await loadZooModel(name);
  try {
    if (zoo.recipe.kind !== "sft")
      throw new RftlabError(
        `zooGrpoGain: "${name}" has no task mix (kind ${zoo.recipe.kind}); use an instruct model such as tiny-instruct`,
      );
    const split = zooTaskSplits(zoo.recipe).find((s) => s.task === task);
    if (!split)
      throw new RftlabError(
        `zooGrpoGain: task "${task}" is not in ${name}'s recipe; tasks: ${zoo.recipe.tasks.map((t) => t.task).join(", ")}`,
      );
    const codec = textCodec(zoo.tokenizer);
    const before = await taskAccuracy(zoo.model, codec, task, split.test, zoo.recipe.eval);
    const data: PromptRow[] = split.train.map((e) => ({ prompt: e.prompt, answer: e.answer }));
    const run = await grpoTrain({
      model: zoo.model,
      tokenizer: codec,
      data,
      rewards: [{ name: "correct", fn: taskReward(task) }],
      config: { steps: opts.steps, seed: opts.seed },
      options: { onStep: (s, m) => opts.onStep?.(s, m.reward) },
    });
    const after = await taskAccuracy(zoo.model, codec, task, split.test, zoo.recipe.eval);
    const d = after.perPrompt.map((a, i) => a - before.perPrompt[i]);
    const mean = d.reduce((x, y) => x + y, 0) / d.length;
    const se = Math.sqrt(d.reduce((x, y) => x + (y - mean) ** 2, 0) / (d.length - 1) / d.length);
    const meanReward = (xs: typeof run.history) => xs.reduce((x, m) => x + m.reward, 0) / xs.length;
    return {
      task,
      seed: opts.seed,
      steps: opts.steps,
      before,
      after,
      gain: after.accuracy - before.accuracy,
      se,
      rewardFirst: meanReward(run.history.slice(0, 10)),
      rewardLast: meanReward(run.history.slice(-10)),
    };
  } finally {
    zoo.model.dispose();
  }
}
