import { test, before } from "node:test";
import assert from "node:assert/strict";
import { tf, initBackend } from "../../lib/tensor";
import { raftTrain, resolveRaftConfig, type RaftConfigInput, type PromptRow } from "../../lib/rl";
import { tinyModel, charCodec, tinyPrompts, digitShare } from "../helpers/tiny-model";

before(async () => {
  await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
});

const data = tinyPrompts;
const rewards = [{ name: "digits", fn: digitShare }];
const small: RaftConfigInput = {
  steps: 3,
  promptsPerStep: 2,
  numGenerations: 4,
  lr: 1e-2,
  microBatchSize: 1,
  sampling: { maxNewTokens: 4 },
};

const snapshot = (params: Map<string, tf.Variable>) => new Map([...params].map(([k, v]) => [k, Float32Array.from(v.dataSync())]));
const unchanged = (params: Map<string, tf.Variable>, before0: Map<string, Float32Array>) =>
  [...params].filter(([k, v]) => v.dataSync().every((x, i) => x === before0.get(k)![i])).map(([k]) => k);

test("RAFT smoke: keeps one per prompt, every parameter changes, TRL metric names, no tensors leak", async () => {
  const model = tinyModel("llama", 21);
  const before0 = snapshot(model.params);
  const counts: number[] = [];
  const run = await raftTrain({
    model,
    tokenizer: charCodec,
    data,
    rewards,
    config: small,
    options: { onStep: () => counts.push(tf.memory().numTensors) },
  });
  assert.equal(run.history.length, 3);
  for (const key of [
    "reward",
    "reward_std",
    "rewards/digits/mean",
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
  // "best": one of K = 4 per prompt.
  for (const m of run.history) assert.equal(m["raft/kept_fraction"], 0.25);
  assert.ok(run.history.every((m) => m.loss > 0));
  assert.deepEqual(unchanged(model.params, before0), []);
  assert.equal(new Set(counts).size, 1, `tensor count per step: ${counts}`);
  model.dispose();
});

test("RAFT top fraction keeps ceil(f·K) per prompt", async () => {
  const model = tinyModel("llama", 22);
  const run = await raftTrain({ model, tokenizer: charCodec, data, rewards, config: { ...small, steps: 1, keep: { topFraction: 0.5 } } });
  assert.equal(run.history[0]["raft/kept_fraction"], 0.5);
  model.dispose();
});

test("expert iteration: nothing correct → nothing kept, no update; requireCorrect needs isCorrect", async () => {
  const model = tinyModel("llama", 23);
  const before0 = snapshot(model.params);
  const run = await raftTrain({
    model,
    tokenizer: charCodec,
    data,
    rewards,
    config: { ...small, steps: 2, requireCorrect: true },
    isCorrect: () => false,
  });
  assert.ok(run.history.every((m) => m["raft/kept_fraction"] === 0 && m.loss === 0 && m.num_tokens === 0));
  assert.equal(unchanged(model.params, before0).length, model.params.size);
  // Correct = the completion's first character is the answer: only those rows may be kept.
  const firstRight = (row: PromptRow, c: string) => c.startsWith(String(row.answer));
  const run2 = await raftTrain({
    model,
    tokenizer: charCodec,
    data,
    rewards,
    config: { ...small, steps: 1, requireCorrect: true, keep: { topFraction: 1 } },
    isCorrect: firstRight,
  });
  assert.ok(run2.history[0]["raft/kept_fraction"] < 1);
  await assert.rejects(
    raftTrain({ model, tokenizer: charCodec, data, rewards, config: { ...small, requireCorrect: true } }),
    /needs isCorrect/,
  );
  model.dispose();
});

test("resolveRaftConfig names the field, the rule and the value", () => {
  assert.throws(() => resolveRaftConfig({ numGenerations: 0 }), /RaftConfig\.numGenerations must be an integer ≥ 1; got 0/);
  assert.throws(() => resolveRaftConfig({ keep: { topFraction: 2 } }), /topFraction/);
  assert.throws(() => resolveRaftConfig({ minReward: Number.NaN }), /minReward/);
  assert.equal(resolveRaftConfig().keep, "best");
});
