// AdamW with decoupled weight decay, following torch.optim.AdamW (PyTorch 1.13, single-tensor path):
//   θ ← θ·(1 − lr·λ)                       (decoupled decay, applied before the Adam step)
//   m ← β1·m + (1−β1)·g ;  v ← β2·v + (1−β2)·g²
//   θ ← θ − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + ε)      (ε added after the sqrt)
// Loshchilov & Hutter, "Decoupled Weight Decay Regularization" (2019).
import { tf } from "./tf";
import { RftlabError } from "../errors";
import { adamWUpdate } from "./fused-ops";
import { deepFreeze } from "../base/freeze";
import { checkConfig } from "../base/strict-config";

/** Gradients keyed by parameter name (the map key) or by `variable.name` (what tf.variableGrads returns). */
export type GradMap = Record<string, tf.Tensor> | Map<string, tf.Tensor>;

export interface AdamWConfig {
  /** Learning rate (η). Overridden per step by `step(grads, lr)`, e.g. from `lrAt`. Default 1e-3. */
  lr: number;
  /** First-moment decay β1. Default 0.9. */
  beta1: number;
  /** Second-moment decay β2. Default 0.999. */
  beta2: number;
  /** ε added to √v̂ (after the square root, as in PyTorch). Default 1e-8. */
  eps: number;
  /** Decoupled weight decay λ: θ ← θ·(1 − lr·λ). Default 0.01 (torch.optim.AdamW). */
  weightDecay: number;
  /**
   * Regular expressions (sources) of parameter names exempt from weight decay, e.g. `["\\.bias$", "ln_"]`.
   * Default [] (decay every parameter, as torch does when given one parameter group).
   */
  noDecay: string[];
}

export const DEFAULT_ADAMW_CONFIG: Readonly<AdamWConfig> = deepFreeze({
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.01,
  noDecay: [] as string[],
});

function checkNumber(field: string, value: unknown, ok: (v: number) => boolean, rule: string, fix: string): void {
  if (typeof value !== "number" || !ok(value)) {
    throw new RftlabError(`AdamWConfig.${field} must be ${rule}; got ${JSON.stringify(value)}. ${fix}`);
  }
}

/** Fills defaults and validates every field; errors name the field, the value and the fix. */
export function resolveAdamWConfig(partial: Partial<AdamWConfig> = {}): AdamWConfig {
  checkConfig("AdamWConfig", partial, DEFAULT_ADAMW_CONFIG);
  const cfg: AdamWConfig = { ...DEFAULT_ADAMW_CONFIG, ...partial, noDecay: [...(partial.noDecay ?? DEFAULT_ADAMW_CONFIG.noDecay)] };
  const finite = (v: number) => Number.isFinite(v);
  checkNumber("lr", cfg.lr, (v) => finite(v) && v >= 0, "a finite number ≥ 0", "Typical values are 1e-5 to 1e-3.");
  checkNumber("beta1", cfg.beta1, (v) => v >= 0 && v < 1, "in [0, 1)", "The usual value is 0.9.");
  checkNumber("beta2", cfg.beta2, (v) => v >= 0 && v < 1, "in [0, 1)", "The usual value is 0.999 (0.95 for LLM pretraining).");
  checkNumber("eps", cfg.eps, (v) => finite(v) && v > 0, "a finite number > 0", "The usual value is 1e-8.");
  checkNumber("weightDecay", cfg.weightDecay, (v) => finite(v) && v >= 0, "a finite number ≥ 0", "Use 0 to disable decay.");
  if (cfg.lr * cfg.weightDecay >= 1) {
    throw new RftlabError(
      `AdamWConfig: lr·weightDecay must be < 1 (each step multiplies θ by 1 − lr·λ); got lr=${cfg.lr}, ` +
        `weightDecay=${cfg.weightDecay}. Lower one of them.`,
    );
  }
  for (const p of cfg.noDecay) {
    try {
      new RegExp(p);
    } catch (e) {
      throw new RftlabError(`AdamWConfig.noDecay: ${JSON.stringify(p)} is not a valid regular expression (${(e as Error).message})`);
    }
  }
  return cfg;
}

/** Optimizer state as plain arrays, keyed by parameter name, for checkpoints (resume gives identical steps). */
export interface AdamWState {
  /** Number of `step()` calls so far. */
  stepCount: number;
  /** Per-parameter Adam step t (a parameter without a gradient on some step is not advanced, as in torch). */
  paramSteps: Record<string, number>;
  /** First moments m, flattened, keyed by parameter name. */
  expAvg: Record<string, Float32Array>;
  /** Second moments v, flattened, keyed by parameter name. */
  expAvgSq: Record<string, Float32Array>;
  config: AdamWConfig;
}

interface Slot {
  param: tf.Variable;
  m: tf.Variable; // same shape as param
  v: tf.Variable;
  t: number;
  decay: boolean;
}

/** A non-trainable zero variable shaped like `param`; the tidy frees the temporary zeros tensor. */
function zeroState(param: tf.Variable): tf.Variable {
  return tf.tidy(() => tf.variable(tf.zerosLike(param), false));
}

function entries(grads: GradMap): [string, tf.Tensor][] {
  return grads instanceof Map ? [...grads.entries()] : Object.entries(grads);
}

/**
 * AdamW over named parameters. Moments live in non-trainable tf.Variables (never disposed by `tidy`);
 * each update runs inside `tidy`, so a step leaves the tensor count unchanged. `step` never disposes the
 * gradients it is given. Call `dispose()` when done.
 */
export class AdamW {
  readonly config: AdamWConfig;
  private readonly slots = new Map<string, Slot>();
  private readonly byVariableName = new Map<string, string>();
  private steps = 0;

  /** `params`: a name → variable map (e.g. `model.params`) or an array (then keyed by `variable.name`). */
  constructor(params: Map<string, tf.Variable> | tf.Variable[], config: Partial<AdamWConfig> = {}) {
    this.config = resolveAdamWConfig(config);
    const named: [string, tf.Variable][] = Array.isArray(params) ? params.map((p) => [p.name, p]) : [...params.entries()];
    if (named.length === 0) throw new RftlabError("AdamW: params is empty; pass the model's trainable variables");
    const noDecay = this.config.noDecay.map((s) => new RegExp(s));
    for (const [name, param] of named) {
      if (param.dtype !== "float32") {
        throw new RftlabError(`AdamW: parameter "${name}" has dtype ${param.dtype}; only float32 parameters can be optimised`);
      }
      this.slots.set(name, {
        param,
        m: zeroState(param),
        v: zeroState(param),
        t: 0,
        decay: !noDecay.some((r) => r.test(name)),
      });
      this.byVariableName.set(param.name, name);
    }
  }

  /** Number of `step()` calls so far. */
  get stepCount(): number {
    return this.steps;
  }

  /** Parameter names in the order given to the constructor. */
  get paramNames(): string[] {
    return [...this.slots.keys()];
  }

  private slotFor(key: string): Slot {
    const slot = this.slots.get(key) ?? this.slots.get(this.byVariableName.get(key) ?? "");
    if (!slot) {
      const some = [...this.slots.keys()].slice(0, 5).join(", ");
      throw new RftlabError(
        `AdamW.step: gradient "${key}" matches no parameter (known: ${some}, …); key grads by parameter name or variable.name`,
      );
    }
    return slot;
  }

  /**
   * One AdamW update from `grads` (shapes equal to their parameters'). Parameters without a gradient are
   * skipped. `lr` overrides `config.lr` for this step (pass `lrAt(stepCount, schedule)` for a schedule).
   */
  step(grads: GradMap, lr: number = this.config.lr): void {
    if (!(Number.isFinite(lr) && lr >= 0)) throw new RftlabError(`AdamW.step: lr must be a finite number ≥ 0; got ${lr}`);
    const { beta1, beta2, eps, weightDecay } = this.config;
    const work = entries(grads).map(([key, g]) => {
      const slot = this.slotFor(key);
      if (!tf.util.arraysEqual(g.shape, slot.param.shape)) {
        throw new RftlabError(`AdamW.step: gradient "${key}" has shape [${g.shape}], parameter has [${slot.param.shape}]`);
      }
      return [slot, g] as const;
    });
    for (const [slot, g] of work) {
      slot.t += 1;
      const bc1 = 1 - beta1 ** slot.t;
      const bc2Sqrt = Math.sqrt(1 - beta2 ** slot.t);
      const decayFactor = slot.decay ? 1 - lr * weightDecay : 1;
      const [theta, m, v] = adamWUpdate(slot.param, g, slot.m, slot.v, { beta1, beta2, eps, step: lr / bc1, bc2Sqrt, decay: decayFactor });
      slot.param.assign(theta);
      slot.m.assign(m);
      slot.v.assign(v);
      tf.dispose([theta, m, v]); // assign took its own reference
    }
    this.steps += 1;
  }

  /**
   * Multiplies one parameter's moments by `keep` (0/1, the parameter's shape), so entries at 0 restart
   * from zero moments: entries leaving a sparse fine-tuning mask (LIFT's sparse AdamW keeps no state for
   * them). Step counts are unchanged.
   */
  maskMoments(name: string, keep: tf.Tensor): void {
    const slot = this.slots.get(name);
    if (!slot) throw new RftlabError(`AdamW.maskMoments: "${name}" is not a parameter of this optimizer; pass a parameter name`);
    if (!tf.util.arraysEqual(keep.shape, slot.param.shape)) {
      throw new RftlabError(`AdamW.maskMoments: keep for "${name}" has shape [${keep.shape}], the parameter [${slot.param.shape}]`);
    }
    tf.tidy(() => {
      slot.m.assign(slot.m.mul(keep));
      slot.v.assign(slot.v.mul(keep));
    });
  }

  /** Reads the moments off the device (for a checkpoint). */
  async getState(): Promise<AdamWState> {
    const expAvg: Record<string, Float32Array> = {};
    const expAvgSq: Record<string, Float32Array> = {};
    const paramSteps: Record<string, number> = {};
    for (const [name, s] of this.slots) {
      expAvg[name] = (await s.m.data()) as Float32Array;
      expAvgSq[name] = (await s.v.data()) as Float32Array;
      paramSteps[name] = s.t;
    }
    return { stepCount: this.steps, paramSteps, expAvg, expAvgSq, config: { ...this.config, noDecay: [...this.config.noDecay] } };
  }

  /** Restores moments and step counts saved by `getState` (the config stays the one given to the constructor). */
  setState(state: AdamWState): void {
    for (const [name, s] of this.slots) {
      const m = state.expAvg[name];
      const v = state.expAvgSq[name];
      const t = state.paramSteps[name];
      if (!m || !v || t === undefined)
        throw new RftlabError(`AdamW.setState: the state has no entry for parameter "${name}"; was it saved from the same model?`);
      if (m.length !== s.param.size || v.length !== s.param.size) {
        throw new RftlabError(`AdamW.setState: "${name}" has ${m.length} saved values, the parameter has ${s.param.size}`);
      }
      tf.tidy(() => {
        s.m.assign(tf.tensor(m, s.param.shape, "float32"));
        s.v.assign(tf.tensor(v, s.param.shape, "float32"));
      });
      s.t = t;
    }
    this.steps = state.stepCount;
  }

  /** Frees the moment variables (not the parameters). */
  dispose(): void {
    for (const s of this.slots.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.slots.clear();
  }
}
