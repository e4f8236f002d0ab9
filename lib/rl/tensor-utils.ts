import { tf } from "../tensor/tf";
import { RftlabError } from "../errors";

/**
 * Identity whose gradient is zero: tfjs has no stop_gradient op. Used for sg(·) in the losses (TOPR's
 * α) and for μ = 1 callers that pass `oldLogp: stopGradient(logp)`.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad(((a: tf.Tensor) => ({
    value: a.clone(),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as T;
}

/** A float32 [n] tensor from an array or tensor (tensors pass through uncast when already float32). */
export function asFloatVector(x: tf.Tensor | readonly number[], name: string, fn: string, n: number): tf.Tensor1D {
  const t = Array.isArray(x) ? tf.tensor1d(x as number[], "float32") : (x as tf.Tensor);
  if (t.rank !== 1 || t.shape[0] !== n) {
    throw new RftlabError(`${fn}: ${name} must have shape [${n}]; got [${t.shape.join(", ")}]`);
  }
  return (t.dtype === "float32" ? t : t.toFloat()) as tf.Tensor1D;
}

/** Throws unless `t` has exactly `shape`, naming the function and argument. */
export function checkShape(t: tf.Tensor, shape: readonly number[], name: string, fn: string): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new RftlabError(`${fn}: ${name} must have shape [${shape.join(", ")}]; got [${t.shape.join(", ")}]`);
  }
}

/** Σ m·x / max(1, Σ m): the masked mean used by TRL's metrics. */
export function maskedMean(x: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  return tf.tidy(() => x.mul(mask).sum().div(mask.sum().maximum(1)) as tf.Scalar);
}
