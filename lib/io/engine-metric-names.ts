// Metric keys of other training engines → rftlab's (TRL's) names of spec/algorithms.md "Metric names", so runs
// from anywhere plot with the same columns. Keys without an equivalent keep their own names. Written from TRL
// f2cd577 (2026-07, GRPOTrainer._metrics; older TRL 0.14–0.17 names too), verl b178a3c (2026-01, metric_utils.py,
// dp_actor.py) and OpenRLHF 3c3be62 (2026-08, ppo_actor.py, ppo_trainer.py); the table is in environment.md.

export type LogEngine = "trl" | "verl" | "openrlhf";

const VERL: Record<string, string> = {
  "critic/score/mean": "reward", // the reward functions' score (critic/rewards/* adds the in-reward KL penalty)
  "actor/entropy": "entropy",
  "actor/kl_loss": "kl", // k-estimator KL to the reference (use_kl_loss); actor/ppo_kl is old-vs-new policy
  "actor/pg_clipfrac": "clip_ratio/region_mean", // clipped tokens, either side, as TRL's region
  "actor/pg_loss": "loss", // the policy-gradient loss, without the KL term
  "actor/grad_norm": "grad_norm",
  "actor/lr": "learning_rate",
  "response_length/mean": "completions/mean_length",
  "response_length/clip_ratio": "completions/clipped_ratio",
  "timing_s/step": "step_time",
};

const OPENRLHF: Record<string, string> = {
  "rollout/reward_std": "reward_std",
  policy_loss: "loss",
  actor_grad_norm: "grad_norm",
  actor_lr: "learning_rate",
  entropy_loss: "entropy", // OpenRLHF logs the mean token entropy under this name
  response_length: "completions/mean_length",
  ppo_clip_ratio: "clip_ratio/region_mean",
  "timing/step_total": "step_time",
};

const TRL: Record<string, string> = {
  completion_length: "completions/mean_length", // TRL ≤ 0.16
  clip_ratio: "clip_ratio/region_mean", // TRL 0.16–0.17
};

/** TRL ≤ 0.15 logged rewards/<fn> for what is now rewards/<fn>/mean. */
const OLD_TRL_REWARD = /^rewards\/([^/]+)$/;

/** The spec name of an engine's metric key, or the key itself when it has none. */
export function specMetricName(engine: LogEngine, key: string): string {
  if (engine === "verl") return VERL[key] ?? key;
  if (engine === "openrlhf") return OPENRLHF[key] ?? key;
  const old = OLD_TRL_REWARD.exec(key);
  return TRL[key] ?? (old ? `rewards/${old[1]}/mean` : key);
}

/** The engine whose keys these are: verl's actor/… and critic/… namespaces, OpenRLHF's actor_lr/policy_loss, else TRL (and rftlab, which uses TRL's names). */
export function guessLogEngine(keys: Iterable<string>): LogEngine {
  const ks = [...keys];
  if (ks.some((k) => k.startsWith("actor/") || k.startsWith("critic/"))) return "verl";
  if (ks.some((k) => k === "policy_loss" || k === "actor_lr" || k === "actor_grad_norm")) return "openrlhf";
  return "trl";
}
