import { RftlabError } from "../errors";
import { createRng } from "../base/random";
import { generateTask, taskStream, type GenerateTaskOptions, type TaskStreamOptions } from "./generate";
import type { TaskExample } from "./task";

/** Shuffles (seeded) and splits examples; the inputs are not changed. testFraction in (0, 1). */
export function splitTrainTest<T>(examples: readonly T[], { testFraction = 0.1, seed = 0 } = {}): { train: T[]; test: T[] } {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new RftlabError(`splitTrainTest: testFraction must be in (0, 1); got ${testFraction}`);
  }
  const shuffled = createRng(seed).shuffle(examples);
  const nTest = Math.round(examples.length * testFraction);
  return { test: shuffled.slice(0, nTest), train: shuffled.slice(nTest) };
}

/**
 * Disjoint train and test sets of one task: the test set is generated first (seed), then train examples
 * (seed + 1) whose prompt appears in the test set are skipped, so no test prompt is ever trained on.
 * Throws when the task's problem space is too small to fill both sets.
 */
export function taskSplits(
  name: string,
  options: TaskStreamOptions & { nTrain: number; nTest: number },
): { train: TaskExample[]; test: TaskExample[] } {
  const { nTrain, nTest, ...rest } = options;
  const test = generateTask(name, { ...rest, n: nTest } as GenerateTaskOptions);
  const held = new Set(test.map((e) => e.prompt));
  const train: TaskExample[] = [];
  const stream = taskStream(name, { ...rest, seed: options.seed + 1 });
  for (let draws = 0; train.length < nTrain && draws < 20 * nTrain + 100; draws++) {
    const e = stream.next().value as TaskExample;
    if (!held.has(e.prompt)) train.push(e);
  }
  if (train.length < nTrain) {
    throw new RftlabError(
      `taskSplits("${name}"): only ${train.length} of nTrain=${nTrain} examples avoid the ${nTest} test prompts; ` +
        `raise the difficulty options or lower nTrain/nTest`,
    );
  }
  return { train, test };
}
