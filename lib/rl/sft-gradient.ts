import { tf } from "../tensor/tf";
import { RftlabError } from "../errors";
import type { Transformer } from "../model";
import { disposeBatch, packSequences } from "../sampling";
import { sftMicroBatchLosses } from "./sft-micro-batches";
import type { SftRow } from "./supervised-train";
import type { TextCodec } from "./trainer-types";
import { accumulateGradients } from "./update";

/** Gradients keyed by parameter name, as plain numbers (the layout of lab.analysis' WeightMap). */
export type GradientMap = Map<string, { shape: number[]; data: Float32Array }>;

/**
 * The SFT loss of `rows` (token mean NLL over completion tokens, as sftTrain computes it) and its gradient
 * with respect to every parameter, at the model's current weights; nothing is updated. For analyses that
 * differentiate a task loss through a function of the weights (grafting's learned masks).
 */
export async function sftGradient(
  model: Transformer,
  codec: TextCodec,
  rows: SftRow[],
  options: { microBatchSize?: number } = {},
): Promise<{ loss: number; grads: GradientMap }> {
  const { microBatchSize = 32 } = options;
  if (rows.length === 0) throw new RftlabError("sftGradient: rows is empty; pass at least one {prompt, completion}");
  if (!Number.isInteger(microBatchSize) || microBatchSize < 1)
    throw new RftlabError(`sftGradient: microBatchSize must be an integer ≥ 1; got ${microBatchSize}`);
  const b = packSequences(
    rows.map((r) => codec.encode(r.prompt)),
    rows.map((r) => codec.encode(r.completion)),
  );
  try {
    const { grads, losses } = accumulateGradients(model.params, sftMicroBatchLosses(model, b, microBatchSize));
    try {
      const loss = (await Promise.all(losses.map((l) => l.data()))).reduce((s, d) => s + d[0], 0);
      const out: GradientMap = new Map();
      for (const [name, v] of model.params) {
        const g = grads[name];
        out.set(name, { shape: [...v.shape], data: g ? ((await g.data()) as Float32Array).slice() : new Float32Array(v.size) });
      }
      return { loss, grads: out };
    } finally {
      tf.dispose(Object.values(grads));
      tf.dispose(losses);
    }
  } finally {
    disposeBatch(b);
  }
}
