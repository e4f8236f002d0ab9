// "Learning is real": from the pretrained tiny model (fast recipe, cached in .rftlab-cache/), GRPO with a
// verifiable binary reward and SFT on the same task raise held-out accuracy. Seeded; numbers measured on
// the wasm backend are in the assertions' comments.
//
// Task and format: 1-digit addition ("Question: What is 6 + 3?\n"), completions cut at the first newline
// (stopStrings ["\n"]) and 8 tokens. The fast pretrained model (120 steps) has seen the five answer styles
// but cannot add: held-out accuracy is ~3% and SFT on 64 problems only teaches the format (measured: 60 SFT
// steps give 8%). A binary correctness reward alone is almost always 0 (no GRPO signal), so the reward is
// partial credit: 0.5 · terse format (a bare number ending the line, the corpus's "terse" style) + 1 ·
// checkAnswer. The claims checked are the ones this model can show: the training reward rises and the
// held-out terse-format rate rises by a clear margin; accuracy (near chance either way) is logged only.
// Without the line end in the format check GRPO learned to fill all 8 tokens with digits (terse 97%,
// accuracy 0): a reward hack worth remembering.
// Measured (wasm, seeds as below, 96 held-out samples): GRPO 30 steps: reward 0.05 → 0.52, held-out terse
// 0 → 0.97, accuracy 0.03 → 0.09. SFT 20 steps: terse 0 → 0.95, accuracy 0.03 → 0.04. ~30 s on 2 cores
// with the model cached; pretraining it (fast recipe) first adds a few minutes.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { initBackend } from "../../lib/tensor";
import { ensurePretrainedTiny, grpoTrain, sftTrain, type PromptRow, type TextCodec, type PretrainedTiny } from "../../lib/rl";
import { generate } from "../../lib/sampling";
import { checkAnswer, taskSplits, type TaskExample } from "../../lib/tasks";
import type { RewardFn } from "../../lib/rewards";

const TASK = "add";
const { train, test: heldOut } = taskSplits(TASK, { seed: 0, digits: 1, nTrain: 64, nTest: 24 });
const SAMPLING = { temperature: 1, topK: 0, topP: 1, maxNewTokens: 8, stopStrings: ["\n"], stopTokenIds: [0] };
const log = (msg: string) => process.env.RFTLAB_VERBOSE && process.stderr.write(msg + "\n");

let codec: TextCodec;

before(async () => {
  await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
  const base = await ensurePretrainedTiny({ fast: true }); // pretrains once (a few minutes) when not cached
  base.model.dispose();
  const tok = base.tokenizer;
  codec = { encode: (t) => tok.encode(t), decode: (ids) => tok.decode(ids, { skipSpecialTokens: true }) };
});

/** The corpus's terse style: a bare number, then the line ends (the completion stopped at "\n"). */
const isTerse = (c: string) => /^\d+\n$/.test(c);

/** Held-out accuracy and terse-format rate: 4 seeded samples per prompt under SAMPLING. */
async function evaluate(model: PretrainedTiny["model"], rows: TaskExample[]): Promise<{ accuracy: number; terse: number }> {
  const g = await generate(model, rows.map((r) => codec.encode(r.prompt)), { ...SAMPLING, numGenerations: 4, seed: 12345 }, { tokenizer: codec });
  const cs = g.completions!;
  return {
    accuracy: cs.filter((c, i) => checkAnswer(TASK, c, rows[g.promptIndex[i]].answer)).length / cs.length,
    terse: cs.filter(isTerse).length / cs.length,
  };
}

const correct: RewardFn = (ctx) => ctx.completions.map((c, i) => (checkAnswer(TASK, c, String((ctx.answer as string[])[i])) ? 1 : 0));
const terse: RewardFn = (ctx) => ctx.completions.map((c) => (isTerse(c) ? 1 : 0));

test("GRPO with correctness + terse-format reward raises the reward and the held-out format rate", async () => {
  const { model } = await ensurePretrainedTiny({ fast: true });
  const before0 = await evaluate(model, heldOut);
  const run = await grpoTrain({
    model, tokenizer: codec, data: train as unknown as PromptRow[], rewards: [{ name: "correct", fn: correct }, { name: "terse", fn: terse, weight: 0.5 }],
    config: { steps: 30, promptsPerStep: 8, numGenerations: 8, lr: 1e-3, microBatchSize: 64, seed: 1, sampling: SAMPLING },
    options: { onStep: (s, m) => log(`grpo step ${s} reward ${m.reward.toFixed(3)} len ${m["completions/mean_length"].toFixed(1)}`) },
  });
  const after = await evaluate(model, heldOut);
  log(`GRPO held-out: ${JSON.stringify(before0)} → ${JSON.stringify(after)}`);
  const first = run.history.slice(0, 5).reduce((s, m) => s + m.reward, 0) / 5;
  const last = run.history.slice(-5).reduce((s, m) => s + m.reward, 0) / 5;
  assert.ok(last > first, `training reward should rise: first 5 steps ${first}, last 5 ${last}`);
  assert.ok(after.terse >= before0.terse + 0.2, `held-out terse rate ${before0.terse} → ${after.terse}`);
  model.dispose();
});

test("SFT on the same task's terse targets teaches the format on held-out prompts", async () => {
  const { model } = await ensurePretrainedTiny({ fast: true });
  const before0 = await evaluate(model, heldOut);
  const data = train.map((e) => ({ prompt: e.prompt, completion: `${e.answer}\n` }));
  await sftTrain({ model, tokenizer: codec, data, config: { steps: 20, batchSize: 16, lr: 1e-3, microBatchSize: 16, seed: 1 } });
  const after = await evaluate(model, heldOut);
  log(`SFT held-out: ${JSON.stringify(before0)} → ${JSON.stringify(after)}`);
  assert.ok(after.terse >= 0.9 && after.terse >= before0.terse + 0.5, `held-out terse rate ${before0.terse} → ${after.terse}`);
  assert.ok(after.accuracy >= before0.accuracy, `held-out accuracy ${before0.accuracy} → ${after.accuracy}`);
  model.dispose();
});
