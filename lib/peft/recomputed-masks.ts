import type { AdamW } from "../tensor/optim";
import type { Transformer } from "../model";
import { RftlabError } from "../errors";
import { GradientMasker, type ParamMasks } from "./masks";
import { deepFreeze } from "../base/freeze";
import { checkConfig } from "../base/strict-config";

/** Current values of the masked parameters, keyed by HF tensor name, as a mask function receives them. */
export type MaskedWeights = Map<string, { shape: number[]; data: Float32Array }>;
/** New 0/1 masks from the current weights, one per masked name, e.g. `(w) => principalMasks(w, cfg)` (LIFT). */
export type MaskFn = (weights: MaskedWeights) => ParamMasks;

export interface MaskRecomputeConfig {
  /**
   * Optimizer steps between mask recomputations (LIFT's update interval): the mask is recomputed after
   * steps T, 2T, … Default 400, the value of LIFT's released scripts for Llama-3.2-1B, Llama-2-7B, Llama-3-8B.
   */
  updateInterval: number;
}
export const DEFAULT_MASK_RECOMPUTE_CONFIG: Readonly<MaskRecomputeConfig> = deepFreeze({ updateInterval: 400 });

export function resolveMaskRecomputeConfig(partial: Partial<MaskRecomputeConfig> = {}): MaskRecomputeConfig {
  checkConfig("MaskRecomputeConfig", partial, DEFAULT_MASK_RECOMPUTE_CONFIG);
  const c = { ...DEFAULT_MASK_RECOMPUTE_CONFIG, ...partial };
  if (!Number.isInteger(c.updateInterval) || c.updateInterval < 1) {
    throw new RftlabError(
      `MaskRecomputeConfig.updateInterval must be an integer ≥ 1 (optimizer steps); got ${c.updateInterval}. Use a value above the run's steps to keep the mask fixed.`,
    );
  }
  return c;
}

/** One recomputation: after which optimizer step, and the share of the new mask's entries that were not in the old one. */
export interface MaskRecompute {
  step: number;
  entered: number;
}

/**
 * Gradient masks recomputed from the current weights every `updateInterval` optimizer steps — LIFT's
 * procedure (arXiv 2506.00772; spec/analyses.md §4). Optimizer state is kept for entries that stay in the
 * mask; entries that leave it lose their moments, as in LIFT's sparse AdamW, which stores state only for
 * masked entries: so they do not drift on stale momentum after leaving, and entries that enter (or re-enter)
 * start from zero moments. Names without a mask stay frozen. After a resume, build the masker from the
 * resumed weights (the masks in force before the stop are not part of the checkpoint).
 */
export class RecomputingGradientMasker extends GradientMasker {
  readonly config: MaskRecomputeConfig;
  /** Every recomputation so far, in order. */
  readonly recomputes: MaskRecompute[] = [];
  private current: ParamMasks;

  constructor(
    model: Transformer,
    masks: ParamMasks,
    private readonly maskFn: MaskFn,
    config: Partial<MaskRecomputeConfig> = {},
  ) {
    super(model, masks);
    this.config = resolveMaskRecomputeConfig(config);
    this.current = new Map(masks);
  }

  /** After steps T, 2T, …: new masks from the current weights; moments outside the new masks are zeroed. */
  override async afterStep(optimizer: AdamW): Promise<void> {
    const step = optimizer.stepCount;
    if (step === 0 || step % this.config.updateInterval !== 0) return;
    const weights: MaskedWeights = new Map();
    for (const name of this.current.keys()) {
      const p = this.model.param(name);
      weights.set(name, { shape: [...p.shape], data: Float32Array.from(await p.data()) });
    }
    const next = this.maskFn(weights);
    const missing = [...this.current.keys()].filter((n) => !next.has(n));
    const extra = [...next.keys()].filter((n) => !this.current.has(n));
    if (missing.length || extra.length) {
      throw new RftlabError(
        `RecomputingGradientMasker: the mask function must return a mask for exactly the masked parameters; missing [${missing.join(", ")}], unexpected [${extra.join(", ")}]`,
      );
    }
    let on = 0;
    let entered = 0;
    for (const [name, m] of next) {
      const old = this.current.get(name)!;
      for (let i = 0; i < m.length; i++) {
        if (m[i] === 0) continue;
        on++;
        if (old[i] === 0) entered++;
      }
      const keep = this.upload(name, m);
      optimizer.maskMoments(name, keep);
      this.masks.get(name)!.dispose();
      this.masks.set(name, keep);
    }
    this.current = next;
    this.recomputes.push({ step, entered: on ? entered / on : 0 });
  }
}
