import { tf } from "../tensor/tf";

/** Per-row values aligned with completion tokens, placed at the packed mask's positions: [N, L−1]. */
export function packCompletionValues(prompts: number[][], values: number[][], width: number): tf.Tensor2D {
  const out = new Float32Array(prompts.length * width);
  prompts.forEach((p, n) => out.set(values[n], n * width + p.length - 1));
  return tf.tensor2d(out, [prompts.length, width]);
}

/** Row indices split into consecutive micro-batches of at most `size`. */
export function microBatches(n: number, size: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < n; i += size) out.push(Array.from({ length: Math.min(size, n - i) }, (_, k) => i + k));
  return out;
}
