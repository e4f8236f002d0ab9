// The strict config check (lib/base/strict-config.ts) and every resolver wired to it: typos, nulls and
// wrong types fail with the field's path and a suggestion; valid configs pass unchanged.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import vm from "node:vm";
import { RftlabError } from "../../lib/errors";
import { checkConfig, nullable, suggestField } from "../../lib/base/strict-config";
import { resolveDpoConfig, resolveGrpoConfig, resolveRaftConfig, resolveSftConfig } from "../../lib/rl";
import { resolveSampleConfig } from "../../lib/sampling";
import { resolvePolicyLossConfig } from "../../lib/rl/policy-loss";
import { resolveDpoLossConfig } from "../../lib/rl/dpo-loss";
import { resolveAdamWConfig } from "../../lib/tensor/optim";
import { resolveModelConfig } from "../../lib/model";
import { resolvePretrainConfig } from "../../lib/model/pretrain";
import { resolveMergeConfig } from "../../lib/analysis";
import { resolveLoraConfig } from "../../lib/peft";
import { resolveContinualConfig } from "../../lib/continual";
import { createRng } from "../../lib/base/random";
import { resolveIntruderConfig, resolvePrincipalMaskConfig, resolveSparsityConfig } from "../../lib/analysis";
import { resolveCorpusConfig } from "../../lib/tasks/corpus";
import { resolveBpeTrainConfig } from "../../lib/io/tokenizer-train";

const throwsWith = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof RftlabError && re.test(e.message) && !e.message.includes("\n"));

describe("checkConfig", () => {
  const template = { lr: 1e-3, maxNewTokens: 8, name: "a", on: true, ids: [] as number[], nested: { beta: 0.1 }, floor: nullable(0) };

  test("accepts any subset of the template's fields with the template's types; undefined counts as absent", () => {
    checkConfig("C", {}, template);
    checkConfig("C", { lr: 2, maxNewTokens: 1, name: "b", on: false, ids: [1], nested: {}, floor: null }, template);
    checkConfig("C", { lr: undefined, floor: 3 }, template); // objects from another realm (a vm context) and null-prototype objects are plain objects too
    checkConfig("C", vm.runInNewContext("({ lr: 1, nested: { beta: 2 } })"), template);
    checkConfig("C", Object.assign(Object.create(null), { lr: 1 }), template);
    throwsWith(() => checkConfig("C", new Map(), template), /^C must be an object of config fields/);
  });

  test("unknown keys name the closest field: case, underscores and HF/TRL aliases ignored", () => {
    throwsWith(
      () => checkConfig("C", { max_new_tokens: 8 }, template),
      /^C\.max_new_tokens is not a config field \(did you mean "maxNewTokens"\?\)/,
    );
    throwsWith(() => checkConfig("C", { learning_rat: 1 }, template), /did you mean "lr"/);
    throwsWith(() => checkConfig("C", { nested: { bta: 1 } }, template), /^C\.nested\.bta is not a config field \(did you mean "beta"\?\)/);
    assert.equal(suggestField("d_model", { dModel: 1, nLayers: 1 }), "dModel");
    assert.equal(suggestField("hidden_size", { dModel: 1, nLayers: 1 }), "dModel");
    assert.equal(suggestField("learning_rate", { peakLr: 1, minLr: 1 }), "peakLr");
    assert.equal(suggestField("bta", { lr: 1, dpo: { beta: 1 } }), "dpo.beta");
  });

  test("null, non-objects and wrong types are rejected with the path, the value and the expected type", () => {
    throwsWith(() => checkConfig("C", null, template), /^C must be an object of config fields; got null/);
    throwsWith(() => checkConfig("C", [1], template), /^C must be an object of config fields; got \[1\] \(an array\)/);
    throwsWith(() => checkConfig("C", { lr: null }, template), /^C\.lr must not be null; give a number like 0\.001 or omit the field/);
    throwsWith(() => checkConfig("C", { lr: "0.1" }, template), /^C\.lr must be a number like 0\.001; got "0\.1" \(a string\)/);
    throwsWith(() => checkConfig("C", { ids: 3 }, template), /^C\.ids must be an array/);
    throwsWith(() => checkConfig("C", { nested: [] }, template), /^C\.nested must be an object/);
    throwsWith(() => checkConfig("C", { on: 1 }, template), /^C\.on must be a boolean/);
    throwsWith(() => checkConfig("C", { floor: "x" }, template), /^C\.floor must be a number/);
  });
});

describe("every resolver rejects the typos of issue 12", () => {
  test("trainer, sampling, loss, dpo, adamw", () => {
    throwsWith(() => resolveGrpoConfig({ learning_rat: 0.1 } as never), /GrpoConfig\.learning_rat .*did you mean "lr"/);
    throwsWith(
      () => resolveGrpoConfig({ sampling: { max_new_tokens: 8 } } as never),
      /GrpoConfig\.sampling\.max_new_tokens .*"maxNewTokens"/,
    );
    throwsWith(() => resolveGrpoConfig({ loss: { epsilon_low: 0.1 } } as never), /GrpoConfig\.loss\.epsilon_low .*"epsilonLow"/);
    throwsWith(() => resolveGrpoConfig({ adamw: { lr: 0.1 } } as never), /GrpoConfig\.adamw\.lr is not a config field/);
    throwsWith(() => resolveGrpoConfig(null as never), /GrpoConfig must be an object of config fields; got null/);
    throwsWith(() => resolveGrpoConfig({ maxGradNorm: null } as never), /GrpoConfig\.maxGradNorm must not be null/);
    throwsWith(() => resolveSftConfig({ steps: "10" } as never), /SftConfig\.steps must be a number like 20; got "10"/);
    throwsWith(() => resolveDpoConfig({ dpo: { bta: 0.1 } } as never), /DpoConfig\.dpo\.bta .*"beta"/);
    throwsWith(() => resolveDpoConfig({ bta: 0.1 } as never), /DpoConfig\.bta .*"dpo\.beta"/);
    throwsWith(() => resolveRaftConfig({ numGeneration: 4 } as never), /RaftConfig\.numGeneration .*"numGenerations"/);
    throwsWith(() => resolveSampleConfig({ top_p: 0.9 } as never), /SampleConfig\.top_p .*"topP"/);
    throwsWith(() => resolvePolicyLossConfig({ loss_type: "grpo" } as never), /PolicyLossConfig\.loss_type .*"lossType"/);
    throwsWith(() => resolveDpoLossConfig({ bta: 1 } as never), /DpoLossConfig\.bta .*"beta"/);
    throwsWith(() => resolveAdamWConfig({ weight_decay: 0 } as never), /AdamWConfig\.weight_decay .*"weightDecay"/);
  });

  test("model, pretrain, merge, lora, continual", () => {
    throwsWith(() => resolveModelConfig({ family: "llama", d_model: 8 } as never), /ModelConfig\.d_model .*"dModel"/);
    throwsWith(
      () => resolvePretrainConfig({ model: { family: "llama", d_model: 8 } } as never),
      /PretrainConfig\.model\.d_model .*"dModel"/,
    );
    throwsWith(() => resolvePretrainConfig(null as never), /PretrainConfig must be an object/);
    throwsWith(() => resolveMergeConfig({ lamda: 1 } as never), /MergeConfig\.lamda .*"lambda"/);
    throwsWith(() => resolveMergeConfig({ numLayers: "2" } as never), /MergeConfig\.numLayers must be a number/);
    throwsWith(() => resolveLoraConfig("llama", { rank: 4 } as never), /LoraConfig\.rank .*"r"/);
    const c = { tasks: [{ name: "add" }], method: "sft" as const };
    throwsWith(() => resolveContinualConfig({ ...c, sft: { learning_rate: 1 } } as never), /ContinualConfig\.sft\.learning_rate .*"lr"/);
    throwsWith(() => resolveContinualConfig({ ...c, retention: { kl: { max_new_tokens: 4 } } } as never), /retention\.kl\.max_new_tokens/);
    // null stays allowed where it means "off"
    assert.equal(resolveContinualConfig({ ...c, retention: null }).retention, null);
    assert.equal(resolveMergeConfig({ numLayers: null }).numLayers, null);
    assert.equal(resolveRaftConfig({ minReward: null, keep: { topFraction: 0.5 } }).minReward, null);
  });

  test("analysis, corpus and tokenizer configs", () => {
    throwsWith(() => resolveSparsityConfig({ tolerance: 0 } as never), /SparsityConfig\.tolerance .*"tol"/);
    throwsWith(() => resolveIntruderConfig({ eps_sweep: [] } as never), /IntruderConfig\.eps_sweep .*"epsSweep"/);
    throwsWith(() => resolvePrincipalMaskConfig({ lora_rank: 4 } as never), /PrincipalMaskConfig\.lora_rank .*"loraRank"/);
    throwsWith(() => resolveCorpusConfig({ char: 5000 } as never), /CorpusConfig\.char .*"chars"/);
    throwsWith(() => resolveBpeTrainConfig({ vocab_size: 300 } as never), /BpeTrainConfig\.vocab_size .*"vocabSize"/);
  });

  test("valid configs resolve as before (defaults, nested partials, undefined fields)", () => {
    const g = resolveGrpoConfig({
      lr: 0.01,
      sampling: { maxNewTokens: 4 },
      loss: { beta: 0.1 },
      adamw: { beta2: 0.95 },
      scaleRewards: undefined,
    });
    assert.equal(g.sampling.maxNewTokens, 4);
    assert.equal(g.loss.beta, 0.1);
    assert.equal(g.adamw.beta2, 0.95);
    assert.equal(resolveDpoConfig({ dpo: { beta: 0.2 } }).dpo.beta, 0.2);
    assert.equal(resolveModelConfig({ family: "gpt2", dModel: 16, nHeads: 2, nLayers: 1, vocabSize: 8, maxPositions: 8 }).dFF, 64);
  });
});

/**
 * Seeded fuzz over configs: non-objects, and random mutations of valid configs (a renamed key, a wrong-typed
 * or null value), must fail with a one-line RftlabError, never a TypeError or a silent default.
 */
describe("config fuzz (seeded, bounded)", () => {
  const resolvers: [string, (c: never) => unknown, Record<string, unknown>][] = [
    ["grpo", resolveGrpoConfig, { lr: 0.01, steps: 3, sampling: { maxNewTokens: 4, topK: 2 }, loss: { beta: 0.1 } }],
    ["sft", resolveSftConfig, { lr: 0.01, batchSize: 2, adamw: { beta1: 0.8 } }],
    ["dpo", resolveDpoConfig, { lr: 0.01, dpo: { beta: 0.2, lossType: "ipo" } }],
    ["sample", resolveSampleConfig, { temperature: 0.5, stopStrings: ["\n"] }],
    ["merge", resolveMergeConfig, { method: "ties", density: 0.5 }],
    ["pretrain", resolvePretrainConfig, { model: { family: "llama", dModel: 16, nHeads: 2 }, steps: 5, warmupSteps: 1 }],
  ];
  const junk = [null, "1", [], {}, true, 1.5];

  /** A copy of `cfg` with one field (at any depth) renamed by a typo, or set to a wrong type or null. */
  function mutate(cfg: Record<string, unknown>, rng: ReturnType<typeof createRng>): { cfg: Record<string, unknown>; what: string } {
    const out: Record<string, unknown> = structuredClone(cfg);
    let obj = out;
    let key = rng.choice(Object.keys(obj));
    while (typeof obj[key] === "object" && obj[key] !== null && !Array.isArray(obj[key]) && rng.next() < 0.7) {
      obj = obj[key] as Record<string, unknown>;
      key = rng.choice(Object.keys(obj));
    }
    const kind = rng.int(0, 2);
    if (kind === 0) {
      // a typo: drop, double or swap one character of the key
      const i = rng.int(0, key.length - 1);
      const typo = [key.slice(0, i) + key.slice(i + 1), key.slice(0, i) + key[i] + key.slice(i), key.slice(0, i) + "_" + key.slice(i)][
        rng.int(0, 2)
      ];
      if (typo === key) return { cfg: out, what: "unchanged" };
      obj[typo] = obj[key];
      delete obj[key];
      return { cfg: out, what: `key ${key} → ${typo}` };
    }
    const value = rng.choice(junk.filter((j) => typeof j !== typeof obj[key] || (j === null) !== (obj[key] === null)));
    if (Array.isArray(value) && Array.isArray(obj[key])) return { cfg: out, what: "unchanged" };
    obj[key] = kind === 1 ? value : null;
    return { cfg: out, what: `${key} = ${JSON.stringify(obj[key])}` };
  }

  test("300 mutated configs: each fails with a one-line RftlabError or resolves only if unchanged", () => {
    const rng = createRng(12);
    for (const [, resolve, valid] of resolvers) {
      resolve(structuredClone(valid) as never); // the seeds are valid
      for (const j of [null, "1", [], true, 1.5]) throwsWith(() => resolve(j as never), /must be an object of config fields/);
    }
    for (let i = 0; i < 300; i++) {
      const [name, resolve, valid] = rng.choice(resolvers);
      const { cfg, what } = mutate(valid, rng);
      if (what === "unchanged") continue;
      try {
        resolve(cfg as never);
      } catch (e) {
        assert.ok(e instanceof RftlabError, `${name} with ${what}: ${(e as Error).stack}`);
        assert.ok(!(e as Error).message.includes("\n"), `${name} with ${what}: ${(e as Error).message}`);
        continue;
      }
      assert.fail(`${name} accepted a mutated config (${what}): ${JSON.stringify(cfg)}`);
    }
  });
});
