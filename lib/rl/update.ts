import { tf } from "../tensor/tf";
import type { AdamW } from "../tensor/optim";
import { clipGradNorm, gradsByName, GradAccumulator } from "../tensor/grads";
import type { GradientMasker } from "../peft/masks";

/** One micro-batch's contribution: its (already weighted) loss and metric scalars to read after the step. */
export interface MicroBatchLoss {
  loss: tf.Scalar;
  metrics?: Record<string, tf.Scalar>;
}

/**
 * One optimizer step from several micro-batches: gradients of each weighted loss are summed (so the
 * weights decide how micro-batch losses combine into the batch loss), masked, clipped by global norm,
 * then applied. Scalars are read off the device once, at the end.
 * Returns the summed loss, the pre-clip gradient norm and each metric's per-micro-batch values.
 */
export async function accumulatedStep(args: {
  trainable: Map<string, tf.Variable>;
  optimizer: AdamW;
  lr: number;
  maxGradNorm: number;
  masker?: GradientMasker;
  microBatches: (() => MicroBatchLoss)[];
}): Promise<{ loss: number; gradNorm: number; metrics: Record<string, number[]> }> {
  const { trainable, optimizer, lr, maxGradNorm, masker } = args;
  const vars = [...trainable.values()];
  const acc = new GradAccumulator();
  const losses: tf.Scalar[] = [];
  const kept: Record<string, tf.Scalar[]> = {};
  try {
    for (const mb of args.microBatches) {
      const { value, grads } = tf.variableGrads(() => {
        const r = mb();
        for (const [k, t] of Object.entries(r.metrics ?? {})) (kept[k] ??= []).push(tf.keep(t));
        return r.loss;
      }, vars);
      acc.add(gradsByName(trainable, grads));
      tf.dispose(grads);
      losses.push(value);
    }
    const summed = acc.sum();
    const masked = masker ? masker.apply(summed) : summed;
    const { grads, norm } = await clipGradNorm(masked, maxGradNorm > 0 ? maxGradNorm : Infinity);
    optimizer.step(grads, lr);
    tf.dispose([grads, summed, masker ? masked : []]);
    await masker?.afterStep(optimizer);
    const loss = (await Promise.all(losses.map((l) => l.data()))).reduce((s, d) => s + d[0], 0);
    const metrics: Record<string, number[]> = {};
    for (const [k, ts] of Object.entries(kept)) metrics[k] = (await Promise.all(ts.map((t) => t.data()))).map((d) => d[0]);
    return { loss, gradNorm: norm, metrics };
  } finally {
    acc.dispose();
    tf.dispose(losses);
    for (const ts of Object.values(kept)) tf.dispose(ts);
  }
}
