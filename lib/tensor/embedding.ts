import { tf } from "./tf";
import { RftlabError } from "../errors";

/**
 * Rows of `table` picked by integer `ids`: out[..., :] = table[ids[...], :].
 *
 * The gradient of tf.gather needs the UnsortedSegmentSum kernel, which the wasm backend lacks. On backends
 * without it the table gradient is a scatter-add done in JS over the N·D entries of dy: exact, and O(N·D)
 * instead of the O(N·V·D) of oneHot(ids)ᵀ @ dy (prohibitive for 50k–150k vocabularies).
 *
 * @param table [V, D] float32
 * @param ids   [...] int32, each in [0, V)
 * @returns     [..., D]
 */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  if (table.rank !== 2) throw new RftlabError(`embeddingLookup: table must be 2-D [V, D]; got shape [${table.shape}]`);
  if (ids.dtype !== "int32")
    throw new RftlabError(`embeddingLookup: ids must be int32; got ${ids.dtype} (use tf.tensor(ids, shape, "int32"))`);
  const outShape = [...ids.shape, table.shape[1]];
  if (tf.getKernel("UnsortedSegmentSum", tf.getBackend())) {
    return tf.tidy(() => tf.gather(table, ids.flatten()).reshape(outShape));
  }
  return tf.tidy(() => gatherScatterGrad(table, ids.flatten()).reshape(outShape));
}

const gatherScatterGrad = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [table, flatIds, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([flatIds]);
  const [V, D] = table.shape as [number, number];
  return {
    value: tf.gather(table, flatIds), // [N, D]
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const idx = saved[0].dataSync() as Int32Array; // [N]
      const g = dy.dataSync() as Float32Array; // [N, D]
      const acc = new Float32Array(V * D);
      for (let n = 0; n < idx.length; n++) {
        const row = idx[n] * D;
        const src = n * D;
        for (let d = 0; d < D; d++) acc[row + d] += g[src + d];
      }
      // ids are not differentiable: their gradient is zeros of their own shape.
      return [tf.tensor2d(acc, [V, D]), tf.zerosLike(saved[0])];
    },
  };
}) as (table: tf.Tensor2D, flatIds: tf.Tensor1D) => tf.Tensor2D;
