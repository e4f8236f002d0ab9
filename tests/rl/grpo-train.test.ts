import { test, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { tf, initBackend } from "../../lib/tensor";
import { computeAdvantages, grpoTrain, toprTrain, resolveGrpoConfig, type GrpoConfigInput } from "../../lib/rl";
import type { RewardFn } from "../../lib/rewards";
import { attachLora } from "../../lib/peft";
import { tinyModel, charCodec, tinyPrompts, digitShare } from "../helpers/tiny-model";
import { tmpDir } from "../helpers/tmp";
import { expectClose } from "../helpers/expect";

before(async () => {
  await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
});

const data = tinyPrompts;
/** 1 when the completion starts with the answer digit: sparse enough to have varying groups. */
const startsRight: RewardFn = (ctx) =>
  ctx.completions.map((c, i) => (c.startsWith(String(Array.isArray(ctx.answer) ? ctx.answer[i] : "")) ? 1 : 0));
const rewards = [
  { name: "correct", fn: startsRight },
  { name: "digits", fn: digitShare, weight: 0.5 },
];
const small: GrpoConfigInput = {
  steps: 3,
  promptsPerStep: 2,
  numGenerations: 4,
  lr: 1e-2,
  microBatchSize: 3,
  sampling: { maxNewTokens: 4 },
};

function snapshot(params: Map<string, tf.Variable>): Map<string, Float32Array> {
  return new Map([...params].map(([k, v]) => [k, Float32Array.from(v.dataSync())]));
}

test("GRPO smoke: every parameter changes, metrics use TRL names, no tensors leak", async () => {
  const model = tinyModel("llama", 11);
  const before0 = snapshot(model.params);
  const counts: number[] = [];
  const run = await grpoTrain({
    model,
    tokenizer: charCodec,
    data,
    rewards,
    config: { ...small, sampling: { ...small.sampling } },
    options: { onStep: () => counts.push(tf.memory().numTensors) },
  });
  assert.equal(run.history.length, 3);
  for (const key of [
    "reward",
    "reward_std",
    "rewards/correct/mean",
    "rewards/digits/std",
    "frac_reward_zero_std",
    "entropy",
    "clip_ratio/low_mean",
    "clip_ratio/high_mean",
    "clip_ratio/region_mean",
    "completions/mean_length",
    "completions/clipped_ratio",
    "loss",
    "grad_norm",
    "learning_rate",
    "num_tokens",
    "step_time",
  ]) {
    assert.ok(Number.isFinite(run.history[2][key]), `metric ${key} = ${run.history[2][key]}`);
  }
  const unchanged = [...model.params].filter(([k, v]) => v.dataSync().every((x, i) => x === before0.get(k)![i])).map(([k]) => k);
  assert.deepEqual(unchanged, []);
  assert.equal(new Set(counts).size, 1, `tensor count per step: ${counts}`);
  model.dispose();
});

test("μ = 1: ρ ≡ 1, so nothing is clipped and the loss is ~0 with a nonzero gradient", async () => {
  const model = tinyModel("llama", 12);
  const run = await grpoTrain({
    model,
    tokenizer: charCodec,
    data,
    rewards,
    config: { ...small, steps: 1, sampling: { ...small.sampling } },
  });
  const m = run.history[0];
  assert.equal(m["clip_ratio/region_mean"], 0);
  assert.ok(Math.abs(m.loss) < 1e-4, `loss ${m.loss}`);
  assert.ok(m.grad_norm > 0);
  model.dispose();
});

test("killed after a checkpoint and resumed, a run ends with the same metrics as an uninterrupted one", async () => {
  const dir = tmpDir();
  const cfg = { ...small, steps: 4, saveEvery: 2, numIterations: 2, sampling: { ...small.sampling } };
  const strip = (rows: Record<string, unknown>[]) => rows.map(({ step_time, ...r }) => r);
  const full = path.join(dir, "full");
  await grpoTrain({ model: tinyModel("llama", 13), tokenizer: charCodec, data, rewards, config: cfg, options: { runDir: full } });
  const killed = path.join(dir, "killed");
  await assert.rejects(
    grpoTrain({
      model: tinyModel("llama", 13),
      tokenizer: charCodec,
      data,
      rewards,
      config: cfg,
      options: {
        runDir: killed,
        onStep: (s) => {
          if (s === 3) throw new Error("killed");
        },
      },
    }),
    /killed/,
  );
  const resumed = await grpoTrain({
    model: tinyModel("llama", 13),
    tokenizer: charCodec,
    data,
    rewards,
    config: cfg,
    options: { runDir: killed, resume: true },
  });
  assert.equal(resumed.startStep, 2);
  const read = (d: string) =>
    fs
      .readFileSync(path.join(d, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
  assert.deepEqual(strip(read(killed)), strip(read(full)));
  assert.ok(fs.existsSync(path.join(killed, "checkpoints", "step-000004", "trainable.safetensors")));
  const completions = fs
    .readFileSync(path.join(killed, "completions.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.deepEqual(Object.keys(completions[0]).sort(), ["advantage", "completion", "prompt", "reward", "rewards", "step"]);
  await assert.rejects(
    grpoTrain({
      model: tinyModel("llama", 13),
      tokenizer: charCodec,
      data,
      rewards,
      config: { ...cfg, lr: 0.5 },
      options: { runDir: killed, resume: true },
    }),
    /the run config differs from the saved one in lr: saved 0.01, now 0.5/,
  );
  await assert.rejects(
    grpoTrain({ model: tinyModel("llama", 13), tokenizer: charCodec, data, rewards, config: cfg, options: { runDir: full } }),
    /already holds a run/,
  );
});

test("LoRA GRPO trains only the adapter; the KL reference is the adapter-free base", async () => {
  const model = tinyModel("gpt2", 14);
  const base = snapshot(model.params);
  const lora = attachLora(model, { r: 2, alpha: 4 });
  const run = await grpoTrain({
    model,
    tokenizer: charCodec,
    data,
    rewards,
    config: {
      ...small,
      steps: 2,
      loss: { beta: 0.1, lossType: "dapo", epsilonLow: 0.2, epsilonHigh: 0.28, importanceLevel: "sequence" },
      sampling: { ...small.sampling },
    },
    trainable: lora.params(),
    reference: (ids) => lora.withDisabled(() => model.forward(ids)),
  });
  assert.ok(Number.isFinite(run.history[1].kl));
  for (const [k, v] of model.params) assert.deepEqual(Array.from(v.dataSync()), Array.from(base.get(k)!), `${k} changed`);
  assert.ok([...lora.params()].some(([k, v]) => k.includes("lora_B") && v.dataSync().some((x) => x !== 0)));
  lora.dispose();
  model.dispose();
});

// TOPR's loss is −mean_b α·R·Σ_t log π with the raw reward R (not an advantage): with a constant reward c the
// same samples give loss ∝ c (α = 1 for c ≥ 0; for c < 0, α = min(1, π/μ) = 1 up to rounding at μ = 1),
// and −Σ log π > 0, so the loss has the sign of c. GRPO's advantages would all be 0 here.
test("TOPR in the loop: the loss is linear in the raw reward and has its sign", async () => {
  const lossWith = async (c: number) => {
    const model = tinyModel("qwen2", 15, { qkvBias: true });
    const run = await toprTrain({
      model,
      tokenizer: charCodec,
      data,
      rewards: [{ name: "constant", fn: (ctx) => ctx.completions.map(() => c) }],
      config: { ...small, steps: 1, maxGradNorm: 1e9, sampling: { ...small.sampling } },
    });
    model.dispose();
    return run.history[0];
  };
  const [one, two, minus] = [await lossWith(1), await lossWith(2), await lossWith(-1)];
  assert.ok(one.loss > 0, `loss at R = 1: ${one.loss}`);
  expectClose(two.loss, 2 * one.loss, { rtol: 1e-5, what: "loss at R = 2" });
  expectClose(minus.loss, -one.loss, { rtol: 1e-4, what: "loss at R = −1" });
  expectClose(two.grad_norm, 2 * one.grad_norm, { rtol: 1e-4, what: "grad norm at R = 2" });
  expectClose([one["topr/negative_fraction"], minus["topr/negative_fraction"]], [0, 1], { atol: 0, what: "negative fraction" });
});

// DAPO dynamic sampling: a reward that is often 0 for all of a group (1 when the first character's index is a
// multiple of 8, p ≈ 1/8), so the first round has zero-variance groups; the trained batch must have none.
test("dynamic sampling trains only on groups whose rewards differ; advantages are those of the kept rewards", async () => {
  const rare: RewardFn = (ctx) => ctx.completions.map((c) => (c.length > 0 && charCodec.alphabet.indexOf(c[0]) % 8 === 0 ? 1 : 0));
  const G = small.numGenerations!;
  const runDir = path.join(tmpDir(), "dyn");
  const model = tinyModel("qwen2", 15, { qkvBias: true });
  const dyn = await grpoTrain({
    model,
    tokenizer: charCodec,
    data,
    rewards: [{ name: "rare", fn: rare }],
    config: { ...small, steps: 3, dynamicSampling: true, maxRefills: 2, sampling: { ...small.sampling } },
    options: { runDir },
  });
  model.dispose();
  assert.ok(
    dyn.history.some((m) => m.frac_reward_zero_std > 0),
    `precondition: some first-round group had equal rewards (${dyn.history.map((m) => m.frac_reward_zero_std)})`,
  );
  const rows = fs
    .readFileSync(path.join(runDir, "completions.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { step: number; prompt: string; reward: number; advantage: number });
  for (const step of new Set(rows.map((r) => r.step))) {
    const got = rows.filter((r) => r.step === step);
    assert.equal(got.length % G, 0);
    for (let g = 0; g < got.length; g += G) {
      const group = got.slice(g, g + G);
      assert.equal(new Set(group.map((r) => r.prompt)).size, 1, `step ${step}: a group mixes prompts`);
      assert.ok(new Set(group.map((r) => r.reward)).size > 1, `step ${step}: a group with equal rewards was trained on`);
    }
    const want = computeAdvantages(
      got.map((r) => r.reward),
      { groupSize: G },
    );
    expectClose(
      got.map((r) => r.advantage),
      want,
      { atol: 1e-12, what: `step ${step} advantages` },
    );
  }
});

test("config validation names field, value and fix", () => {
  assert.throws(() => resolveGrpoConfig({ numGenerations: 1 }), /numGenerations must be an integer ≥ 2 .*got 1/);
  assert.throws(
    () => resolveGrpoConfig({ loss: { lossType: "ppo" as never, epsilonLow: 0.2, epsilonHigh: 0.2, beta: 0, importanceLevel: "token" } }),
    /lossType/,
  );
  assert.throws(() => resolveGrpoConfig({ warmupSteps: 50, steps: 10 }), /warmupSteps must be ≤ steps \(10\); got 50/);
});
