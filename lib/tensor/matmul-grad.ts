// Gradient of BatchMatMul with broadcast batch dimensions. tfjs-core 4.22's gradient returns dA/dB with the
// broadcast batch shape ([B, T, D] × [D, E] gives dB of shape [B, D, E]) and the engine then rejects it
// ("The gradient of input 'b' has shape ..."). This version sums over broadcast axes; when the
// right operand is shared by every batch entry (activations × weight), it computes dB with one GEMM over
// all B·T rows instead of B products and a sum. Registered for every backend by `initBackend`.
import { tf } from "./tf";

/** Sums `g` over the axes that were broadcast from `shape`, then reshapes to it. */
function reduceTo(g: tf.Tensor, shape: number[]): tf.Tensor {
  if (tf.util.arraysEqual(g.shape, shape)) return g;
  const axes = tf.broadcast_util.getReductionAxes(shape, g.shape);
  return (axes.length ? g.sum(axes) : g).reshape(shape);
}

function batchMatMulGrad(dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap): Record<string, () => tf.Tensor> {
  const [a, b] = saved;
  const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  let da: () => tf.Tensor;
  let db: () => tf.Tensor;
  if (!transposeA && !transposeB) {
    da = () => tf.matMul(dy, b, false, true);
    db = () => tf.matMul(a, dy, true, false);
  } else if (!transposeA && transposeB) {
    da = () => tf.matMul(dy, b, false, false);
    db = () => tf.matMul(dy, a, true, false);
  } else if (transposeA && !transposeB) {
    da = () => tf.matMul(b, dy, false, true);
    db = () => tf.matMul(a, dy, false, false);
  } else {
    da = () => tf.matMul(b, dy, true, true);
    db = () => tf.matMul(dy, a, true, true);
  }
  if (batchB === 1 && batchA > 1 && !transposeA) {
    // rows of every batch entry are independent: fold them, one [K, rows] × [rows, N] product
    const k = a.shape[a.rank - 1];
    const n = dy.shape[dy.rank - 1];
    db = () => {
      const a2 = a.reshape([-1, k]); // [B·M, K]
      const dy2 = dy.reshape([-1, n]); // [B·M, N]
      return (transposeB ? tf.matMul(dy2, a2, true, false) : tf.matMul(a2, dy2, true, false)).reshape(b.shape);
    };
  }
  return { a: () => reduceTo(da(), a.shape), b: () => reduceTo(db(), b.shape) };
}

let installed = false;

/** Registers the broadcast-aware BatchMatMul gradient (idempotent). */
export function installMatMulGradient(): void {
  if (installed) return;
  tf.registerGradient({ kernelName: "BatchMatMul", inputsToSave: ["a", "b"], gradFunc: batchMatMulGrad as tf.GradFunc });
  installed = true;
}
