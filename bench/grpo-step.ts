// One GRPO step of the pretrained tiny Llama (fast recipe, .rftlab-cache/) split into sampling / scoring /
// training, and greedy sampling throughput with and without the KV cache, next to a hand-written PyTorch
// CPU peer (bench/torch_grpo_step.py) on the same safetensors weights, in the same run.
//
//   node dist/bench/grpo-step.js [--threads 2] [--new-tokens 16] [--backend wasm|webgpu|…] [--torch-device cpu|cuda]
//                                [--prompts 8] [--generations 8]
//
// Batch: 8 one-digit addition prompts × G = 8 = 64 rows of equal prompt length; sampling runs the full
// `--new-tokens` (no stop tokens) so both sides decode the same number of tokens.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";
import { tf } from "../lib/tensor/tf";
import { initBackend } from "../lib/tensor/backend";
import { generate } from "../lib/sampling";
import { scoreRewards, type WeightedReward } from "../lib/rewards";
import { checkAnswer, generateTask } from "../lib/tasks";
import { ensurePretrainedTiny } from "../lib/model";
import { tokenIds } from "../lib/model/token-ids";
import { grpoTrain } from "../lib/rl";
import type { Transformer } from "../lib/model";

const PYTHON = process.env.RFTLAB_PYTHON ?? "/usr/bin/python3";

/** Greedy decoding by re-running the whole prefix every token (what the KV cache saves). */
async function sampleWithoutCache(model: Transformer, prompts: number[][], newTokens: number): Promise<number[][]> {
  const out: number[][] = prompts.map(() => []);
  for (let t = 0; t < newTokens; t++) {
    // From host values, as generate's ids are: forward need not read them back (WebGPU in Node cannot, synchronously).
    const ids = tokenIds(
      prompts.flatMap((p, n) => [...p, ...out[n]]),
      [prompts.length, prompts[0].length + t],
    ); // [N, T+t]
    const next = tf.tidy(() => {
      const logits = model.forward(ids); // [N, T+t, V]
      const [N, L, V] = logits.shape;
      return logits
        .slice([0, L - 1, 0], [N, 1, V])
        .reshape([N, V])
        .argMax(-1)
        .toInt(); // [N]
    });
    const nextIds = Array.from(await next.data());
    nextIds.forEach((id, n) => out[n].push(id));
    tf.dispose([ids, next]);
  }
  return out;
}

async function best<T>(repeats: number, fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  let seconds = Infinity;
  let value!: T;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    value = await fn();
    seconds = Math.min(seconds, (performance.now() - t0) / 1000);
  }
  return { seconds, value };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      threads: { type: "string", default: "2" },
      "new-tokens": { type: "string", default: "16" },
      backend: { type: "string", default: "wasm" },
      "torch-device": { type: "string", default: "cpu" },
      prompts: { type: "string", default: "8" },
      generations: { type: "string", default: "8" },
    },
  });
  const threads = Number(values.threads);
  const newTokens = Number(values["new-tokens"]);
  process.env.RFTLAB_WASM_THREADS = String(threads);
  const info = await initBackend(values.backend);
  const { model, tokenizer, dir } = await ensurePretrainedTiny({ fast: true });
  const codec = {
    encode: (t: string) => tokenizer.encode(t),
    decode: (ids: number[]) => tokenizer.decode(ids, { skipSpecialTokens: true }),
  };
  const rows = generateTask("add", { n: Number(values.prompts), seed: 7, digits: 1 });
  const G = Number(values.generations);
  const prompts = rows.flatMap((r) => Array<number[]>(G).fill(codec.encode(r.prompt)));
  const tokens = prompts.length * newTokens;

  const kv = await best(2, () => generate(model, prompts, { numGenerations: 1, temperature: 0, maxNewTokens: newTokens, seed: 0 }));
  const full = await best(2, () => sampleWithoutCache(model, prompts, newTokens));
  const sameTokens = kv.value.completionIds.every((c, i) => c.every((id, t) => id === full.value[i][t]));

  // One GRPO step; sampling and scoring are timed alone with the step's own seed, training is the rest.
  const rewards: WeightedReward[] = [
    { name: "correct", fn: (ctx) => ctx.completions.map((c, i) => (checkAnswer("add", c, String((ctx.answer as string[])[i])) ? 1 : 0)) },
  ];
  const data = rows.map((r) => ({ prompt: r.prompt, answer: r.answer }));
  const sampling = { temperature: 1, topK: 0, topP: 1, maxNewTokens: newTokens, stopStrings: [], stopTokenIds: [] };
  const cfg = { steps: 1, promptsPerStep: rows.length, numGenerations: G, lr: 1e-3, microBatchSize: prompts.length, seed: 0, sampling };
  const enc = data.map((r) => codec.encode(r.prompt));
  const sample = await best(2, () => generate(model, enc, { ...sampling, numGenerations: G, seed: 0 }, { tokenizer: codec }));
  const g = sample.value;
  const score = await best(2, () =>
    scoreRewards(
      rewards,
      { prompts: g.promptIndex.map((i) => data[i].prompt), completions: g.completions!, answer: g.promptIndex.map((i) => data[i].answer) },
      { groupSize: G },
    ),
  );
  const step = await best(2, async () => (await grpoTrain({ model, tokenizer: codec, data, rewards, config: cfg })).history[0].step_time);
  const trainSeconds = step.value - sample.seconds - score.seconds;

  const py = spawnSync(PYTHON, [path.resolve(__dirname, "..", "..", "bench", "torch_grpo_step.py")], {
    input: JSON.stringify({ model_dir: dir, prompts, new_tokens: newTokens, threads, repeats: 2, device: values["torch-device"] }),
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  const torch = py.status === 0 ? JSON.parse(py.stdout) : { error: py.stderr.slice(-500) };
  const torchSameTokens =
    Array.isArray(torch.completions) &&
    torch.completions.every((c: number[], i: number) => c.every((id, t) => id === kv.value.completionIds[i][t]));
  delete torch.completions;

  const result = {
    machine: `${threads} threads, backend ${info.backend} (threads ${info.threads})${info.adapter ? `, adapter ${info.adapter.vendor} / ${info.adapter.architecture} / ${info.adapter.description}` : ""}`,
    rows: prompts.length,
    newTokens,
    rftlab: {
      sample_kv_tok_s: tokens / kv.seconds,
      sample_full_tok_s: tokens / full.seconds,
      kv_equals_full_reforward: sameTokens,
      grpo_step_s: step.value,
      sampling_s: sample.seconds,
      scoring_s: score.seconds,
      training_s: trainSeconds,
    },
    torch,
    torch_greedy_equals_rftlab: torchSameTokens,
  };
  process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  model.dispose();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
