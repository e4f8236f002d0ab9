import { tf } from "../tensor/tf";
import type { AdamW } from "../tensor/optim";
import { clipGradNorm, gradsByName, GradAccumulator, type NamedGrads } from "../tensor/grads";
import type { GradientMasker } from "../peft/masks";

/** One micro-batch's contribution: its (already weighted) loss and metric scalars to read after the step. */
export interface MicroBatchLoss {
  loss: tf.Scalar;
  metrics?: Record<string, tf.Scalar>;
}

/** Summed gradients of several micro-batch losses (tensors the caller disposes) with their losses and kept metrics. */
export interface AccumulatedGradients {
  grads: NamedGrads;
  losses: tf.Scalar[];
  metrics: Record<string, tf.Scalar[]>;
}

/**
 * Gradients of each weighted micro-batch loss summed by parameter name (so the weights decide how the
 * micro-batch losses combine into the batch loss). Nothing is applied; the caller owns every tensor returned.
 */
export function accumulateGradients(trainable: Map<string, tf.Variable>, microBatches: (() => MicroBatchLoss)[]): AccumulatedGradients {
  const vars = [...trainable.values()];
  const acc = new GradAccumulator();
  const losses: tf.Scalar[] = [];
  const metrics: Record<string, tf.Scalar[]> = {};
  try {
    for (const mb of microBatches) {
      const { value, grads } = tf.variableGrads(() => {
        const r = mb();
        for (const [k, t] of Object.entries(r.metrics ?? {})) (metrics[k] ??= []).push(tf.keep(t));
        return r.loss;
      }, vars);
      acc.add(gradsByName(trainable, grads));
      tf.dispose(grads);
      losses.push(value);
    }
    return { grads: acc.sum(), losses, metrics };
  } catch (e) {
    tf.dispose(losses);
    for (const ts of Object.values(metrics)) tf.dispose(ts);
    throw e;
  } finally {
    acc.dispose();
  }
}

/**
 * One optimizer step from several micro-batches (accumulateGradients): the summed gradients are masked,
 * clipped by global norm, then applied. Scalars are read off the device once, at the end.
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
  const { grads: summed, losses, metrics: kept } = accumulateGradients(trainable, args.microBatches);
  try {
    const masked = masker ? masker.apply(summed) : summed;
    const { grads, norm } = await clipGradNorm(masked, maxGradNorm > 0 ? maxGradNorm : Infinity);
    optimizer.step(grads, lr);
    tf.dispose([grads, masker ? masked : []]);
    await masker?.afterStep(optimizer);
    const loss = (await Promise.all(losses.map((l) => l.data()))).reduce((s, d) => s + d[0], 0);
    const metrics: Record<string, number[]> = {};
    for (const [k, ts] of Object.entries(kept)) metrics[k] = (await Promise.all(ts.map((t) => t.data()))).map((d) => d[0]);
    return { loss, gradNorm: norm, metrics };
  } finally {
    tf.dispose(Object.values(summed));
    tf.dispose(losses);
    for (const ts of Object.values(kept)) tf.dispose(ts);
  }
}
