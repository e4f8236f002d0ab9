// Token-id tensors whose range the library knows from the host values it made them from. Transformer.forward
// range-checks ids; for these it compares the recorded range with the vocabulary instead of reading the
// tensor back (a device sync on every forward and decode step). Any other tensor is read and checked once.
import { tf } from "../tensor/tf";
import { RftlabError } from "../errors";

/** Smallest and largest id of each tensor made here (tensors are keys only while alive). */
const ranges = new WeakMap<tf.Tensor, { min: number; max: number }>();

/** ids [rows, cols] as an int32 tensor, its range recorded for forward's check; the caller owns it. */
export function tokenIds(values: ArrayLike<number>, shape: [number, number]): tf.Tensor2D {
  const ids = tf.tensor2d(values as number[] | Int32Array, shape, "int32");
  ranges.set(ids, rangeOf(values));
  return ids;
}

function rangeOf(values: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < min) min = values[i];
    if (values[i] > max) max = values[i];
  }
  return { min, max };
}

/** ids.slice(begin, size) [rows, cols], carrying ids' recorded range (a slice's ids are among its source's). */
export function sliceTokenIds(ids: tf.Tensor2D, begin: [number, number], size: [number, number]): tf.Tensor2D {
  const out = ids.slice(begin, size);
  const range = ranges.get(ids);
  if (range) ranges.set(out, range);
  return out;
}

/** Whether every id of `ids` is known, without reading it, to lie in [0, vocabSize). */
export function idsKnownInRange(ids: tf.Tensor, vocabSize: number): boolean {
  const range = ranges.get(ids);
  return range !== undefined && range.min >= 0 && range.max < vocabSize;
}

/**
 * Throws unless every id of `ids` [B, T] lies in [0, vocabSize), naming `fn`, `name` and the first bad id. Reads ids
 * only while their range is unknown, then records it: a tensor passed to forward again is not read again.
 */
export function checkIdsInRange(ids: tf.Tensor, vocabSize: number, fn: string, name = "ids"): void {
  if (idsKnownInRange(ids, vocabSize)) return;
  let data: ArrayLike<number>;
  try {
    data = ids.dataSync();
  } catch (e) {
    // WebGPU in Node cannot read GPU data synchronously (tfjs throws "OffscreenCanvas is not defined").
    throw new RftlabError(
      `${fn}: cannot read ${name} back to range-check them (${(e as Error).message}); on the ${tf.getBackend()} backend ` +
        `\`await ${name}.data()\` once before the call, or make them from host values (tf.tensor2d(values, shape, "int32"))`,
    );
  }
  const range = rangeOf(data);
  if (range.min >= 0 && range.max < vocabSize) {
    if (!(ids instanceof tf.Variable)) ranges.set(ids, range); // a variable's values can change under assign()
    return;
  }
  const T = ids.shape[ids.rank - 1] ?? 1;
  const i = Array.prototype.findIndex.call(data, (v: number) => !(v >= 0 && v < vocabSize));
  throw new RftlabError(
    `${fn}: token id ${data[i]} in ${name} at [${Math.floor(i / T)}, ${i % T}] is outside [0, vocabSize = ${vocabSize})`,
  );
}
