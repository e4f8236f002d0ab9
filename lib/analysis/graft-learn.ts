/**
 * Grafting's learned mask (spec/analyses.md §7; Panigrahi et al., arXiv 2302.06600): scores S per parameter,
 * γ = γ_base + (1 − 2γ_base)⊙σ(S − b), θ(S) = θ₀ + γ⊙(θ_ft − θ₀); plain gradient descent on S with the task
 * loss of θ(S), then γ rounded to binary. S starts at 0, so γ starts at γ_base up to σ(−b) (b = 10: 4.5e-5).
 */
import { RftlabError } from "../errors";
import { deepFreeze } from "../base/freeze";
import { checkConfig } from "../base/strict-config";
import { graft, graftMaskFromScores, maskDensity, roundGraftMask } from "./masks";
import type { MaskMap } from "./sparsity";
import { assertSameLayout, type WeightMap, weightDelta } from "./weights";

export interface LearnedGraftConfig {
  /** Gradient-descent steps on S (the paper: 100 epochs of full-batch descent). */
  steps: number;
  /** Step size on S (the paper: 10⁷; σ′(−b) ≈ 4.5e-5 makes the raw gradient tiny). */
  lr: number;
  /** b of σ(S − b) (the paper: 10). */
  sigmoidBias: number;
}
export const DEFAULT_LEARNED_GRAFT_CONFIG: Readonly<LearnedGraftConfig> = deepFreeze({ steps: 10, lr: 1e7, sigmoidBias: 10 });

export function resolveLearnedGraftConfig(partial: Partial<LearnedGraftConfig> = {}): LearnedGraftConfig {
  checkConfig("LearnedGraftConfig", partial, DEFAULT_LEARNED_GRAFT_CONFIG);
  const c = { ...DEFAULT_LEARNED_GRAFT_CONFIG, ...partial };
  if (!Number.isInteger(c.steps) || c.steps < 0) throw new RftlabError(`LearnedGraftConfig.steps must be an integer ≥ 0; got ${c.steps}`);
  if (!(c.lr > 0) || !Number.isFinite(c.lr)) throw new RftlabError(`LearnedGraftConfig.lr must be a finite number > 0; got ${c.lr}`);
  if (!Number.isFinite(c.sigmoidBias)) throw new RftlabError(`LearnedGraftConfig.sigmoidBias must be finite; got ${c.sigmoidBias}`);
  return c;
}

/** The task loss and its gradient with respect to every weight, at the given weights (e.g. lab.rl.sftGradient). */
export type WeightGradient = (weights: WeightMap) => Promise<{ loss: number; grads: Map<string, { data: Float32Array }> }>;

/** One descent step's record: the loss of θ(S) before the step and the rounded mask's density after it. */
export interface LearnedGraftStep {
  step: number;
  loss: number;
  density: number;
}

export interface LearnedGraft {
  /** The rounded mask (γ ≥ 0.5), or the `keep` entries with the largest learned γ. */
  mask: MaskMap;
  /** The final scores S. */
  scores: Map<string, Float32Array>;
  history: LearnedGraftStep[];
}

/**
 * ∂L/∂S = ∂L/∂θ ⊙ Δ ⊙ (1 − 2γ_base) ⊙ σ(S − b)(1 − σ(S − b)) for one tensor (chain rule through θ(S)).
 */
export function graftScoreGradient(
  gradTheta: ArrayLike<number>,
  delta: ArrayLike<number>,
  scores: ArrayLike<number>,
  gammaBase: ArrayLike<number>,
  b: number,
): Float32Array {
  const n = scores.length;
  if (gradTheta.length !== n || delta.length !== n || gammaBase.length !== n)
    throw new RftlabError(
      `graftScoreGradient: gradTheta (${gradTheta.length}), delta (${delta.length}), scores (${n}) and gammaBase (${gammaBase.length}) must have one length`,
    );
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const sig = 1 / (1 + Math.exp(-(scores[i] - b)));
    out[i] = gradTheta[i] * delta[i] * (1 - 2 * gammaBase[i]) * sig * (1 - sig);
  }
  return out;
}

/**
 * The k entries with the largest learned γ, ranked by its logit (b − S where γ_base = 1, S − b elsewhere, so
 * saturated γ still rank); ties by lower index over the tensors in order. Enforces the budget ‖γ‖₀ = k.
 */
export function graftMaskOfSize(scores: Map<string, Float32Array>, gammaBase: MaskMap, b: number, k: number): MaskMap {
  const names = [...scores.keys()];
  const n = names.reduce((a, name) => a + scores.get(name)!.length, 0);
  if (!Number.isInteger(k) || k < 0 || k > n) throw new RftlabError(`graftMaskOfSize: k must be an integer in [0, ${n}]; got ${k}`);
  const logits = new Float64Array(n);
  let off = 0;
  for (const name of names) {
    const s = scores.get(name)!;
    const g = gammaBase.get(name)!;
    for (let i = 0; i < s.length; i++) logits[off + i] = g[i] ? b - s[i] : s[i] - b;
    off += s.length;
  }
  const flat = new Uint8Array(n);
  if (k > 0) {
    const thr = Float64Array.from(logits).sort()[n - k];
    let ties = k;
    for (let i = 0; i < n; i++) if (logits[i] > thr) ties--;
    for (let i = 0; i < n; i++) if (logits[i] > thr || (logits[i] === thr && ties-- > 0)) flat[i] = 1;
  }
  const out: MaskMap = new Map();
  off = 0;
  for (const name of names) {
    const len = scores.get(name)!.length;
    out.set(name, flat.slice(off, off + len));
    off += len;
  }
  return out;
}

/**
 * Learns a graft mask from the base patch `gammaBase` (the paper: top-s |θ_ft − θ₀|, graftTopSMask) by
 * `steps` steps of S ← S − lr·∂L/∂S, the loss and ∂L/∂θ coming from `gradient` at θ(S). Inputs are not changed.
 */
export async function learnGraftMask(args: {
  base: WeightMap;
  tuned: WeightMap;
  gammaBase: MaskMap;
  gradient: WeightGradient;
  config?: Partial<LearnedGraftConfig>;
  /** Keep exactly this many entries (largest learned γ) instead of rounding: the paper's budget s. */
  keep?: number;
}): Promise<LearnedGraft> {
  const { base, tuned, gammaBase, gradient } = args;
  const c = resolveLearnedGraftConfig(args.config);
  assertSameLayout(base, tuned, "learnGraftMask");
  for (const [name, t] of base) {
    const m = gammaBase.get(name);
    if (!m || m.length !== t.data.length)
      throw new RftlabError(
        `learnGraftMask: gammaBase needs "${name}" with ${t.data.length} entries; got ${m ? m.length : "none"} (pass graftTopSMask(base, tuned, s))`,
      );
  }
  const delta = weightDelta(base, tuned);
  const scores = new Map([...base].map(([name, t]) => [name, new Float32Array(t.data.length)]));
  const gammaOf = () => new Map([...scores].map(([name, s]) => [name, graftMaskFromScores(s, gammaBase.get(name)!, c.sigmoidBias)]));
  const rounded = () => new Map([...gammaOf()].map(([name, g]) => [name, roundGraftMask(g)]));
  const history: LearnedGraftStep[] = [];
  for (let step = 1; step <= c.steps; step++) {
    const { loss, grads } = await gradient(graft(base, tuned, gammaOf()));
    for (const [name, s] of scores) {
      const g = grads.get(name);
      if (!g) throw new RftlabError(`learnGraftMask: the gradient has no "${name}"; return a gradient for every weight`);
      const dS = graftScoreGradient(g.data, delta.get(name)!.data, s, gammaBase.get(name)!, c.sigmoidBias);
      for (let i = 0; i < s.length; i++) s[i] -= c.lr * dS[i];
    }
    history.push({ step, loss, density: maskDensity(rounded()) });
  }
  const mask = args.keep === undefined ? rounded() : graftMaskOfSize(scores, gammaBase, c.sigmoidBias, args.keep);
  return { mask, scores, history };
}
