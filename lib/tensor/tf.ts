// The single tfjs engine every rftlab module uses (danfojs-node shares it through shims/tfjs-node).
import * as tf from "@tensorflow/tfjs";
export { tf };
export type Tensor = tf.Tensor;
export type Variable = tf.Variable;
