import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_ADVANTAGE_CONFIG,
  DEFAULT_DPO_CONFIG,
  DEFAULT_DPO_LOSS_CONFIG,
  DEFAULT_GRPO_CONFIG,
  DEFAULT_OPTIM_CONFIG,
  DEFAULT_POLICY_LOSS_CONFIG,
  DEFAULT_RAFT_CONFIG,
  DEFAULT_SFT_CONFIG,
  resolveAdvantageConfig,
  resolveDpoConfig,
  resolveGrpoConfig,
  resolveRaftConfig,
  resolveSftConfig,
} from "../../lib/rl";
import { DEFAULT_SAMPLE_CONFIG } from "../../lib/sampling";
import { DEFAULT_CHECKPOINT_DIFF_CONFIG, DEFAULT_SPARSITY_CONFIG } from "../../lib/analysis";

/** The fields of `whole` named in `part`. */
const pick = (whole: object, part: object) => Object.fromEntries(Object.keys(part).map((k) => [k, (whole as Record<string, unknown>)[k]]));

describe("composed defaults", () => {
  test("the GRPO config is the optimiser's, the advantage's, the policy loss's and the sampler's defaults", () => {
    assert.deepEqual(pick(DEFAULT_GRPO_CONFIG, DEFAULT_OPTIM_CONFIG), DEFAULT_OPTIM_CONFIG);
    assert.deepEqual(pick(DEFAULT_GRPO_CONFIG, DEFAULT_ADVANTAGE_CONFIG), DEFAULT_ADVANTAGE_CONFIG);
    assert.deepEqual(DEFAULT_GRPO_CONFIG.loss, DEFAULT_POLICY_LOSS_CONFIG);
    // GRPO's one documented sampling override: completions of at most 32 tokens.
    assert.deepEqual(DEFAULT_GRPO_CONFIG.sampling, { ...pick(DEFAULT_SAMPLE_CONFIG, DEFAULT_GRPO_CONFIG.sampling), maxNewTokens: 32 });
    assert.deepEqual(resolveGrpoConfig(), DEFAULT_GRPO_CONFIG);
  });

  test("SFT, DPO and RAFT start from the optimiser's defaults, not GRPO's", () => {
    for (const d of [DEFAULT_SFT_CONFIG, DEFAULT_DPO_CONFIG, DEFAULT_RAFT_CONFIG])
      assert.deepEqual(pick(d, DEFAULT_OPTIM_CONFIG), DEFAULT_OPTIM_CONFIG);
    assert.equal(DEFAULT_SFT_CONFIG.batchSize, 8);
    assert.deepEqual(DEFAULT_DPO_CONFIG.dpo, DEFAULT_DPO_LOSS_CONFIG);
    assert.deepEqual(DEFAULT_RAFT_CONFIG.sampling, { ...pick(DEFAULT_SAMPLE_CONFIG, DEFAULT_RAFT_CONFIG.sampling), maxNewTokens: 32 });
    assert.deepEqual(resolveSftConfig(), DEFAULT_SFT_CONFIG);
    assert.deepEqual(resolveDpoConfig(), DEFAULT_DPO_CONFIG);
    assert.deepEqual(resolveRaftConfig(), DEFAULT_RAFT_CONFIG);
  });

  test("defaults are frozen, nested values included", () => {
    assert.ok(Object.isFrozen(DEFAULT_GRPO_CONFIG) && Object.isFrozen(DEFAULT_GRPO_CONFIG.sampling.stopTokenIds));
    assert.throws(() => ((DEFAULT_OPTIM_CONFIG.adamw as { weightDecay: number }).weightDecay = 1));
    // A resolved config is the caller's to change: no default is shared with it at the top level.
    const c = resolveGrpoConfig();
    c.sampling.temperature = 0.5;
    assert.equal(DEFAULT_GRPO_CONFIG.sampling.temperature, 1);
  });

  test("scaleRewards: one decision, the advantage resolver's (group for grpo, none for rloo/reinforce)", () => {
    for (const estimator of ["grpo", "rloo", "reinforce"] as const) {
      const want = resolveAdvantageConfig({ groupSize: 8, estimator }).scaleRewards;
      assert.equal(want, estimator === "grpo" ? "group" : "none");
      assert.equal(resolveGrpoConfig({ estimator }).scaleRewards, want, estimator);
      assert.equal(resolveGrpoConfig({ estimator, scaleRewards: "batch" }).scaleRewards, "batch");
    }
  });

  test("a checkpoint diff compares stored values (native); in-memory sparsity casts to bf16 (the paper's setting)", () => {
    assert.equal(DEFAULT_SPARSITY_CONFIG.precision, "bf16");
    assert.deepEqual(DEFAULT_CHECKPOINT_DIFF_CONFIG, { ...DEFAULT_SPARSITY_CONFIG, precision: "native", chunkBytes: 4 << 20 });
  });
});
