// Learning-rate schedules: linear warmup, then cosine, linear or constant, with the step convention of
// Hugging Face transformers (get_cosine_schedule_with_warmup etc.): `step` counts optimizer steps already
// taken, so the first update (step 0) uses lr 0 when warmupSteps > 0 and reaches peakLr at step warmupSteps.
import { RftlabError } from "../errors";
import { deepFreeze } from "../base/freeze";

export type LrDecay = "cosine" | "linear" | "constant";

export interface LrScheduleConfig {
  /** Learning rate reached at the end of warmup. */
  peakLr: number;
  /** Steps of linear warmup from 0 to peakLr. Default 0. */
  warmupSteps: number;
  /** Total optimizer steps; decay reaches minLr here. Required for "cosine" and "linear". */
  totalSteps: number;
  /** Shape after warmup. Default "cosine". */
  decay: LrDecay;
  /** Floor of the cosine/linear decay (HF decays to 0). Default 0. */
  minLr: number;
}

export const DEFAULT_LR_SCHEDULE_CONFIG: Readonly<Omit<LrScheduleConfig, "peakLr" | "totalSteps">> = deepFreeze({
  warmupSteps: 0,
  decay: "cosine" as LrDecay,
  minLr: 0,
});

/** Fills defaults and validates; errors name the field, the value and the fix. */
export function resolveLrScheduleConfig(partial: Partial<LrScheduleConfig> & { peakLr: number }): LrScheduleConfig {
  const cfg: LrScheduleConfig = { totalSteps: 0, ...DEFAULT_LR_SCHEDULE_CONFIG, ...partial };
  const fail = (msg: string) => {
    throw new RftlabError(`LrScheduleConfig.${msg}`);
  };
  if (!(Number.isFinite(cfg.peakLr) && cfg.peakLr >= 0)) fail(`peakLr must be a finite number ≥ 0; got ${cfg.peakLr}`);
  if (!(Number.isInteger(cfg.warmupSteps) && cfg.warmupSteps >= 0)) fail(`warmupSteps must be an integer ≥ 0; got ${cfg.warmupSteps}`);
  if (!["cosine", "linear", "constant"].includes(cfg.decay))
    fail(`decay must be "cosine", "linear" or "constant"; got ${JSON.stringify(cfg.decay)}`);
  if (!(Number.isFinite(cfg.minLr) && cfg.minLr >= 0 && cfg.minLr <= cfg.peakLr)) {
    fail(`minLr must be in [0, peakLr=${cfg.peakLr}]; got ${cfg.minLr}`);
  }
  if (cfg.decay !== "constant" && !(Number.isInteger(cfg.totalSteps) && cfg.totalSteps > cfg.warmupSteps)) {
    fail(
      `totalSteps must be an integer > warmupSteps (${cfg.warmupSteps}) for decay "${cfg.decay}"; got ${cfg.totalSteps}. ` +
        `Set totalSteps to the number of optimizer steps, or use decay "constant".`,
    );
  }
  return cfg;
}

/**
 * Learning rate for the update that follows `step` completed optimizer steps:
 * warmup `peakLr·step/warmupSteps`; then with progress p = (step − warmup)/(total − warmup) clamped to [0, 1],
 * cosine `minLr + (peakLr − minLr)·½(1 + cos πp)`, linear `minLr + (peakLr − minLr)(1 − p)`, or constant `peakLr`.
 */
export function lrAt(step: number, schedule: Partial<LrScheduleConfig> & { peakLr: number }): number {
  if (!(Number.isInteger(step) && step >= 0)) throw new RftlabError(`lrAt: step must be an integer ≥ 0; got ${step}`);
  const s = resolveLrScheduleConfig(schedule);
  if (step < s.warmupSteps) return (s.peakLr * step) / s.warmupSteps;
  if (s.decay === "constant") return s.peakLr;
  const p = Math.min(1, (step - s.warmupSteps) / (s.totalSteps - s.warmupSteps));
  const shape = s.decay === "cosine" ? 0.5 * (1 + Math.cos(Math.PI * p)) : 1 - p;
  return s.minLr + (s.peakLr - s.minLr) * shape;
}
