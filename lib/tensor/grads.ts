// Gradient utilities: global-norm clipping (torch.nn.utils.clip_grad_norm_) and accumulation over micro-batches.
import { tf } from "./tf";
import { RftlabError } from "../errors";

export type NamedGrads = Record<string, tf.Tensor>;

/**
 * tf.variableGrads' result keyed by parameter name in `params`' order (parameters without a gradient left
 * out). Its own keys are variable ids, which iterate in creation order, and the global norm sums in key
 * order: keyed this way, a step does not depend on the order in which the variables were created.
 */
export function gradsByName(params: Map<string, tf.Variable>, byVariable: tf.NamedTensorMap): NamedGrads {
  const out: NamedGrads = {};
  for (const [name, v] of params) if (byVariable[v.name]) out[name] = byVariable[v.name];
  return out;
}

/** Global L2 norm over all gradients, √(Σ_i ‖g_i‖²), as a scalar tensor (caller owns it). */
export function globalGradNorm(grads: NamedGrads): tf.Scalar {
  const list = Object.values(grads);
  if (list.length === 0) throw new RftlabError("globalGradNorm: grads is empty");
  // A chain of adds in addN's order (the same sums): tfjs-webgpu's AddN binds one buffer per input and fails
  // past the device's storage-buffer limit (8 by default).
  return tf.tidy(() => (list.map((g) => g.square().sum()).reduce((acc, s) => acc.add(s)) as tf.Scalar).sqrt());
}

/**
 * Scales gradients so their global norm is at most `maxNorm`, exactly like torch.nn.utils.clip_grad_norm_:
 * coef = min(1, maxNorm / (norm + 1e-6)), every gradient multiplied by coef. Returns new tensors (caller owns
 * them; the inputs are not disposed) and the norm BEFORE clipping (log it as `grad_norm`). Async: the norm is
 * read off the device.
 * `maxNorm = Infinity` only measures.
 */
export async function clipGradNorm(grads: NamedGrads, maxNorm: number): Promise<{ grads: NamedGrads; norm: number }> {
  if (!(maxNorm > 0)) throw new RftlabError(`clipGradNorm: maxNorm must be > 0 (Infinity to only measure); got ${maxNorm}`);
  const normT = globalGradNorm(grads);
  // An async read: WebGPU in Node has no synchronous readback.
  const norm = (await normT.data())[0];
  normT.dispose();
  const coef = Math.min(1, maxNorm / (norm + 1e-6));
  const out: NamedGrads = {};
  for (const [k, g] of Object.entries(grads)) out[k] = tf.tidy(() => (coef === 1 ? g.clone() : g.mul(coef)));
  return { grads: out, norm };
}

/**
 * Sums gradients over micro-batches. With a loss that is a mean over each micro-batch of equal size,
 * `mean()` after k micro-batches equals the gradient of the mean loss over the whole batch (test:
 * batch 8 × 1 step == batch 1 × 8 accumulated). The running sums survive enclosing `tidy` scopes;
 * `add` never disposes its input. Call `dispose()` (or `reset()`) when done.
 */
export class GradAccumulator {
  private sums = new Map<string, tf.Tensor>();
  private n = 0;

  /** Number of micro-batches added since the last reset. */
  get count(): number {
    return this.n;
  }

  /** Adds one micro-batch's gradients; every call must have the same keys and shapes. */
  add(grads: NamedGrads): void {
    const keys = Object.keys(grads);
    if (this.n > 0 && (keys.length !== this.sums.size || keys.some((k) => !this.sums.has(k)))) {
      throw new RftlabError(
        `GradAccumulator.add: micro-batch ${this.n + 1} has keys [${keys.slice(0, 5).join(", ")}…], ` +
          `earlier ones had [${[...this.sums.keys()].slice(0, 5).join(", ")}…]; pass the same parameters every time`,
      );
    }
    for (const [k, g] of Object.entries(grads)) {
      const prev = this.sums.get(k);
      if (prev && !tf.util.arraysEqual(prev.shape, g.shape)) {
        throw new RftlabError(`GradAccumulator.add: "${k}" has shape [${g.shape}], earlier [${prev.shape}]`);
      }
      this.sums.set(k, tf.keep(tf.tidy(() => (prev ? prev.add(g) : g.clone()))));
      prev?.dispose();
    }
    this.n += 1;
  }

  /** Sum of the added gradients (new tensors, caller owns them). */
  sum(): NamedGrads {
    return this.scaled(1);
  }

  /** Mean of the added gradients (sum / count; new tensors, caller owns them). */
  mean(): NamedGrads {
    return this.scaled(1 / this.n);
  }

  private scaled(s: number): NamedGrads {
    if (this.n === 0) throw new RftlabError("GradAccumulator: no gradients added yet; call add() first");
    const out: NamedGrads = {};
    for (const [k, g] of this.sums) out[k] = tf.tidy(() => (s === 1 ? g.clone() : g.mul(s)));
    return out;
  }

  /** Frees the sums and starts over. */
  reset(): void {
    for (const g of this.sums.values()) g.dispose();
    this.sums.clear();
    this.n = 0;
  }

  dispose(): void {
    this.reset();
  }
}
