// "No tensor leaks across 50 steps": GRPO, TOPR, RAFT, SFT and DPO, run for 50 tiny steps each, keep
// tf.memory().numTensors and numBytes flat from step 2 on (step 1 may allocate what lives for the whole run, e.g. the
// optimizer's moments) and leave none behind once they return. The paths that allocate extra tensors are
// covered: the KL reference, μ > 1, dynamic sampling, LoRA, gradient masks, micro-batching. This test found
// two leaks: GRPO's per-micro-batch reference log-probs (2 per step with β > 0) and LoRA's initial A, B.
import { test, before } from "node:test";
import { initBackend } from "../../lib/tensor";
import { grpoTrain, toprTrain, raftTrain, sftTrain, dpoTrain, type GrpoConfigInput } from "../../lib/rl";
import { attachLora, GradientMasker, randomMasks } from "../../lib/peft";
import { tinyModel, charCodec, tinyPrompts, digitShare } from "../helpers/tiny-model";
import { assertFlatMemory } from "../helpers/leaks";

before(async () => {
  await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
});

const STEPS = 50;
const rewards = [{ name: "digits", fn: digitShare }];
const grpo: GrpoConfigInput = {
  steps: STEPS,
  promptsPerStep: 2,
  numGenerations: 2,
  lr: 1e-2,
  microBatchSize: 3,
  sampling: { maxNewTokens: 3 },
};
const sums = tinyPrompts.map(({ prompt, answer }) => ({ prompt, completion: answer, chosen: answer, rejected: "0" }));
const supervised = { steps: STEPS, batchSize: 3, microBatchSize: 2, lr: 1e-2 };

const assertNoLeaks = (name: string, train: Parameters<typeof assertFlatMemory>[2]) => assertFlatMemory(name, STEPS, train);

test("GRPO: 50 steps, with a KL reference, μ = 2 and dynamic sampling", async () => {
  const ref = tinyModel("llama", 31);
  await assertNoLeaks("grpo", (model, options) =>
    grpoTrain({
      model,
      tokenizer: charCodec,
      data: tinyPrompts,
      rewards,
      reference: (ids) => ref.forward(ids),
      options,
      config: { ...grpo, numIterations: 2, dynamicSampling: true, loss: { beta: 0.04 } },
    }),
  );
  ref.dispose();
});

test("GRPO with LoRA and its adapter-free reference; TOPR with gradient masks: 50 steps each", async () => {
  await assertNoLeaks("grpo+lora", async (model, options) => {
    const lora = attachLora(model, { r: 2, alpha: 4 });
    try {
      return await grpoTrain({
        model,
        tokenizer: charCodec,
        data: tinyPrompts,
        rewards,
        trainable: lora.params(),
        options,
        reference: (ids) => lora.withDisabled(() => model.forward(ids)),
        config: { ...grpo, loss: { beta: 0.04 } },
      });
    } finally {
      lora.dispose();
    }
  });
  await assertNoLeaks("topr+masks", async (model, options) => {
    const masker = new GradientMasker(model, randomMasks(model, 0.5, 1));
    try {
      return await toprTrain({ model, tokenizer: charCodec, data: tinyPrompts, rewards, masker, options, config: grpo });
    } finally {
      masker.dispose();
    }
  });
});

test("RAFT, SFT and DPO: 50 steps each", async () => {
  await assertNoLeaks("raft", (model, options) =>
    raftTrain({ model, tokenizer: charCodec, data: tinyPrompts, rewards, options, config: grpo }),
  );
  await assertNoLeaks("sft", (model, options) => sftTrain({ model, tokenizer: charCodec, data: sums, options, config: supervised }));
  const ref = tinyModel("llama", 32);
  await assertNoLeaks("dpo", (model, options) =>
    dpoTrain({
      model,
      tokenizer: charCodec,
      data: sums,
      reference: (ids) => ref.forward(ids),
      options,
      config: { ...supervised, dpo: { beta: 0.1 } },
    }),
  );
  ref.dispose();
});
