// Ops with fused wasm kernels (wasm/fused-kernels.ts) and their composed-op fallbacks for other backends.
// Both paths compute the same function; tests compare them (values and gradients).
import { tf } from "./tf";
import { fusedKernelsActive } from "./wasm/fused-kernels";

const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}) => tf.engine().runKernel(name, inputs, attrs);

type CustomGradFunc = Parameters<typeof tf.customGrad>[0];

/** GPT-2's gelu_new: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). Any shape, float32. */
export function geluNew(x: tf.Tensor): tf.Tensor {
  if (fusedKernelsActive() && x.dtype === "float32") return fusedOp("RftlabGeluNew", ["x"], ["x"])(x);
  // x·x·x because pow is slow on wasm
  const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

type Op = (...xs: tf.Tensor[]) => tf.Tensor;
const fusedOps = new Map<string, Op>();

/**
 * A differentiable op running kernel `name` forward and `${name}Grad` backward (which gets dy and the saved
 * inputs and returns one gradient per input, in order), for inputs named `inputs`; one per attrs value.
 */
function fusedOp(name: string, inputs: string[], saved: string[], attrs: tf.NamedAttrMap = {}): Op {
  const key = `${name} ${JSON.stringify(attrs)}`;
  let op = fusedOps.get(key);
  if (!op) {
    op = tf.customGrad(((...args: unknown[]) => {
      const xs = args.slice(0, inputs.length) as tf.Tensor[];
      const save = args[inputs.length] as tf.GradSaveFunc;
      const named = Object.fromEntries(inputs.map((n, i) => [n, xs[i]]));
      save(saved.map((n) => named[n]));
      return {
        value: run(name, named, attrs) as tf.Tensor,
        gradFunc: (dy: tf.Tensor, kept: tf.Tensor[]) => {
          const grads = run(`${name}Grad`, { dy, ...Object.fromEntries(saved.map((n, i) => [n, kept[i]])) }, attrs);
          return Array.isArray(grads) ? grads : [grads];
        },
      };
    }) as unknown as CustomGradFunc) as unknown as Op;
    fusedOps.set(key, op);
  }
  return op;
}

/**
 * LayerNorm over the last axis with biased variance (torch.nn.LayerNorm): (x − μ)/√(σ² + eps)·w + b.
 * @param x [..., D] float32
 * @param w [D] scale, b [D] shift
 */
export function layerNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  if (fusedKernelsActive() && x.dtype === "float32") return fusedOp("RftlabLayerNorm", ["x", "w", "b"], ["x", "w"], { eps })(x, w, b);
  const xc = tf.sub(x, tf.mean(x, -1, true));
  const variance = tf.mean(tf.mul(xc, xc), -1, true);
  return tf.add(tf.mul(tf.mul(xc, tf.rsqrt(tf.add(variance, eps))), w), b);
}

/**
 * RMSNorm over the last axis (Llama, Qwen2): x/√(mean(x²) + eps)·w.
 * @param x [..., D] float32
 * @param w [D] scale
 */
export function rmsNorm(x: tf.Tensor, w: tf.Tensor, eps: number): tf.Tensor {
  if (fusedKernelsActive() && x.dtype === "float32") return fusedOp("RftlabRmsNorm", ["x", "w"], ["x", "w"], { eps })(x, w);
  const ms = tf.mean(tf.mul(x, x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, eps))), w);
}

/** SwiGLU's gated product silu(gate)·up (silu(a) = a·σ(a)); gate and up of one shape, float32. */
export function siluMul(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  if (fusedKernelsActive() && gate.dtype === "float32") return fusedOp("RftlabSiluMul", ["gate", "up"], ["gate", "up"])(gate, up);
  return tf.mul(tf.mul(gate, tf.sigmoid(gate)), up);
}

/** AdamW hyper-parameters of one update (see optim.ts): step = lr/(1 − β1ᵗ), bc2Sqrt = √(1 − β2ᵗ), decay = 1 − lr·λ. */
export interface AdamWUpdate {
  beta1: number;
  beta2: number;
  eps: number;
  step: number;
  bc2Sqrt: number;
  decay: number;
}

/** One AdamW update: returns [θ', m', v'] (the caller owns them); inputs are not modified. */
export function adamWUpdate(param: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, u: AdamWUpdate): [tf.Tensor, tf.Tensor, tf.Tensor] {
  if (fusedKernelsActive() && g.dtype === "float32") {
    return run("RftlabAdamW", { param, g, m, v }, { ...u }) as [tf.Tensor, tf.Tensor, tf.Tensor];
  }
  return tf.tidy(() => {
    const m1 = m.mul(u.beta1).add(g.mul(1 - u.beta1));
    const v1 = v.mul(u.beta2).add(g.square().mul(1 - u.beta2));
    const denom = v1.sqrt().div(u.bc2Sqrt).add(u.eps);
    const theta = u.decay === 1 ? param : param.mul(u.decay);
    return [theta.sub(m1.div(denom).mul(u.step)), m1, v1];
  });
}
