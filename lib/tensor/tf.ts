// The single tfjs engine every rftlab module uses (danfojs-node shares it through shims/tfjs-node).
import * as tf from "@tensorflow/tfjs";
export { tf };
export type Tensor = tf.Tensor;
export type Variable = tf.Variable;

// tfjs' console notes (the cpu backend's "install our node backend" banner, flag notices) point users at
// packages that need a binary download; initBackend reports the backend in one line instead.
tf.env().set("PROD", true);
