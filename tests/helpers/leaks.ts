import assert from "node:assert/strict";
import { tf } from "../../lib/tensor";
import type { RunLoopOptions } from "../../lib/rl";
import type { Transformer } from "../../lib/model";
import { tinyModel } from "./tiny-model";

/**
 * Runs `train` for `steps` steps on a tiny llama with an onStep that records tf.memory(); asserts the tensor and
 * byte counts are flat from step 2 on (step 1 may allocate what lives for the whole run, e.g. the optimizer's
 * moments) and back to the start once it returns.
 */
export async function assertFlatMemory(
  name: string,
  steps: number,
  train: (model: Transformer, options: RunLoopOptions) => Promise<unknown>,
): Promise<void> {
  const model = tinyModel("llama", 31);
  const start = tf.memory();
  const counts: { numTensors: number; numBytes: number }[] = [];
  await train(model, {
    onStep: () => {
      const { numTensors, numBytes } = tf.memory();
      counts.push({ numTensors, numBytes });
    },
  });
  assert.equal(counts.length, steps);
  for (const key of ["numTensors", "numBytes"] as const) {
    const series = counts.map((c) => c[key]);
    const grown = series.findIndex((n, i) => i >= 1 && n !== series[1]);
    assert.equal(grown, -1, `${name}: ${key} ${series[1]} after step 2 but ${series[grown]} after step ${grown + 1}: ${series}`);
    assert.equal(tf.memory()[key], start[key], `${name}: ${key} left after the run (${start[key]} before)`);
  }
  model.dispose();
}
