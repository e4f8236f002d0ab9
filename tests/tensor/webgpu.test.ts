// The WebGPU backend on SwiftShader (the CPU Vulkan driver of Debian's chromium, installed by bin/setup): the
// GPU code path CI can run. Sizes are tiny: SwiftShader is slow and its first use of each shader compiles it.
// wasm references are computed first in the same process, then the process switches to webgpu for good.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { tf, initBackend, type BackendInfo } from "../../lib/tensor";
import { nextTokenLoss } from "../../lib/model/pretrain";
import type { Transformer } from "../../lib/model";
import { generate } from "../../lib/sampling";
import { grpoTrain, sftTrain, dpoTrain } from "../../lib/rl";
import { runCli } from "../helpers/cli";
import { expectClose, maxAbsDiff } from "../helpers/expect";
import { REFERENCE_CASES, clampTokens, makeReferenceCheckpoint } from "../helpers/reference-models";
import { tinyModel, charCodec, tinyPrompts, digitShare } from "../helpers/tiny-model";
import { tmpDir } from "../helpers/tmp";
import { assertFlatMemory } from "../helpers/leaks";

const SWIFTSHADER = "/usr/lib/chromium/vk_swiftshader_icd.json";
const PROMPTS = [
  [1, 2, 3],
  [4, 5, 6],
];

/** All gradients of one next-token loss of `model` on fixed ids, read back as host arrays keyed by parameter. */
async function stepGradients(model: Transformer): Promise<Map<string, Float32Array>> {
  const ids = tf.tensor2d([[1, 5, 9, 2, 7, 3, 30, 4]], [1, 8], "int32");
  const x = ids.slice([0, 0], [1, 7]) as tf.Tensor2D;
  const y = ids.slice([0, 1], [1, 7]) as tf.Tensor2D;
  const vars = [...model.params.values()];
  const { value, grads } = tf.variableGrads(() => nextTokenLoss(model.forward(x), y), vars);
  const out = new Map<string, Float32Array>();
  for (const [name, v] of model.params) out.set(name, (await grads[v.name].data()) as Float32Array);
  tf.dispose([ids, x, y, value, grads]);
  return out;
}

const FAMILIES = ["gpt2", "llama", "qwen2"] as const;
const tiny = (family: (typeof FAMILIES)[number]) => tinyModel(family, 11, family === "qwen2" ? { qkvBias: true } : {});
// Each decode step's new cache length compiles new shaders on SwiftShader: two families, few tokens.
const GREEDY_FAMILIES: readonly string[] = ["gpt2", "llama"];
const GREEDY = { temperature: 0, maxNewTokens: 4 };
const wasmGrads = new Map<string, Map<string, Float32Array>>();
const wasmTokens = new Map<string, number[][]>();
let info: BackendInfo;

before(async () => {
  // A missing driver must fail here, not skip: bin/setup installs chromium, which ships SwiftShader.
  assert.ok(fs.existsSync(SWIFTSHADER), `${SWIFTSHADER} is missing: install Debian's chromium (bin/setup does)`);
  process.env.VK_ICD_FILENAMES = SWIFTSHADER;
  await initBackend("wasm");
  for (const family of FAMILIES) {
    const m = tiny(family);
    wasmGrads.set(family, await stepGradients(m));
    if (GREEDY_FAMILIES.includes(family)) wasmTokens.set(family, (await generate(m, PROMPTS, GREEDY)).completionIds);
    m.dispose();
  }
  info = await initBackend("webgpu");
});

test("backend webgpu starts on SwiftShader and reports the adapter; auto refuses it", () => {
  assert.equal(info.backend, "webgpu");
  assert.equal(info.gpu, false);
  assert.equal(info.adapter?.architecture, "swiftshader");
  assert.equal(info.adapter?.software, true);
  assert.ok(info.adapter!.limits.maxStorageBufferBindingSize > 0);
  const r = runCli(["info", "--json"], { VK_ICD_FILENAMES: SWIFTSHADER, RFTLAB_BACKEND: "auto" });
  assert.equal(r.code, 0, r.stderr);
  const auto = JSON.parse(r.stdout) as BackendInfo;
  assert.notEqual(auto.backend, "webgpu");
  assert.match(auto.skipped.join("\n"), /webgpu: adapter google\/swiftshader .* is a CPU implementation/);
});

for (const c of REFERENCE_CASES) {
  test(`rftlab logits on webgpu equals PyTorch ≤ 1e-3: ${c.name}`, () => {
    const dir = path.join(tmpDir(), "ckpt");
    const tokens = clampTokens(c.config.vocab_size as number).slice(0, 1);
    const ref = makeReferenceCheckpoint(c, dir, tokens);
    const r = runCli(["logits", dir, "--tokens", tokens[0].join(","), "--json"], {
      VK_ICD_FILENAMES: SWIFTSHADER,
      RFTLAB_BACKEND: "webgpu",
    });
    assert.equal(r.code, 0, r.stderr);
    const got = (JSON.parse(r.stdout) as { logits: number[][] }).logits.flat();
    const want = ref.logits[0].flat();
    console.log(`  ${c.config.model_type}: max |webgpu − torch| = ${maxAbsDiff(got, want).toExponential(2)} over ${want.length} logits`);
    expectClose(got, want, { atol: 1e-3, what: `${c.config.model_type} webgpu logits` });
  });
}

test("one training step's gradients equal the wasm backend's ≤ 1e-4 relative (each tensor's max-abs scale)", async () => {
  for (const family of FAMILIES) {
    const m = tiny(family);
    const got = await stepGradients(m);
    m.dispose();
    let worst = 0;
    for (const [name, want] of wasmGrads.get(family)!) {
      const scale = Math.max(...want.map(Math.abs));
      const rel = maxAbsDiff(got.get(name)!, want) / scale;
      worst = Math.max(worst, rel);
      assert.ok(rel <= 1e-4, `${family} ${name}: max |webgpu − wasm| / max |wasm| = ${rel.toExponential(2)}`);
    }
    console.log(`  ${family}: worst relative gradient difference ${worst.toExponential(2)}`);
  }
});

/** Counts the active backend's synchronous (dataSync, arraySync) and asynchronous (data, array) reads while `fn` runs. */
async function countReads<T>(fn: () => Promise<T>): Promise<{ result: T; sync: number; async: number }> {
  const backend = tf.backend() as unknown as { readSync(id: object): unknown; read(id: object): Promise<unknown> };
  const { readSync, read } = backend;
  const counts = { sync: 0, async: 0 };
  backend.readSync = (id) => (counts.sync++, readSync.call(backend, id));
  backend.read = (id) => (counts.async++, read.call(backend, id));
  try {
    return { result: await fn(), ...counts };
  } finally {
    Object.assign(backend, { readSync, read });
  }
}

test("greedy KV-cache sampling gives the wasm backend's tokens, reading once per decode step and never synchronously", async () => {
  for (const family of FAMILIES.filter((f) => GREEDY_FAMILIES.includes(f))) {
    const m = tiny(family);
    const { result: g, sync, async } = await countReads(() => generate(m, PROMPTS, GREEDY));
    m.dispose();
    assert.deepEqual(g.completionIds, wasmTokens.get(family), family);
    assert.equal(sync, 0, `${family}: synchronous reads while decoding`);
    assert.equal(async, Math.max(...g.lengths), `${family}: one read of the next-token log-probs per decode step`);
  }
});

test("ids the library did not make are read once; ids that live on the GPU get an error saying how to read them", async () => {
  const m = tiny("llama");
  const ids = tf.tensor2d([[1, 2, 3]], [1, 3], "int32");
  const first = await countReads(async () => tf.dispose(m.forward(ids)));
  const again = await countReads(async () => tf.dispose(m.forward(ids)));
  assert.deepEqual([first.sync, again.sync], [1, 0]);
  // Uploaded to the device and no copy left on the host, as an op's output is.
  const onGpu = tf.tensor2d([[4, 5]], [1, 2], "int32");
  (tf.backend() as unknown as { uploadToGPU(id: object): void }).uploadToGPU(onGpu.dataId);
  assert.throws(() => m.forward(onGpu), /Transformer.forward: cannot read ids back .* `await ids.data\(\)` once before the call/);
  await onGpu.data();
  tf.dispose(m.forward(onGpu));
  tf.dispose([ids, onGpu]);
  m.dispose();
});

const STEPS = 8;
const rewards = [{ name: "digits", fn: digitShare }];
const pairs = tinyPrompts.map(({ prompt, answer }) => ({ prompt, completion: answer, chosen: answer, rejected: "0" }));
const supervised = { steps: STEPS, batchSize: 2, microBatchSize: 2, lr: 1e-2 };

/** assertFlatMemory over STEPS steps with no synchronous read; prints the CPU time (SwiftShader compiles and runs shaders in this process). */
async function flatOnWebgpu(name: string, train: Parameters<typeof assertFlatMemory>[2]): Promise<void> {
  const start = process.cpuUsage();
  const { sync, async } = await countReads(() => assertFlatMemory(name, STEPS, train));
  const { user, system } = process.cpuUsage(start);
  console.log(`  ${name}: ${STEPS} steps in ${((user + system) / 1e6).toFixed(1)} CPU s, ${async / STEPS} asynchronous reads a step`);
  assert.equal(sync, 0, `${name}: synchronous reads while training`);
}

// 17–19 CPU s in all on SwiftShader (25 s wall); an SFT step took 5.6 CPU s, not 0.45, while matmuls with ≤ 128 outputs used
// tfjs's workgroup-reduce kernel (lib/tensor/webgpu.ts). The bound is for a loaded machine.
test(`GRPO, SFT and DPO train on webgpu; tensor and byte counts stay flat over ${STEPS} steps`, { timeout: 180_000 }, async () => {
  await flatOnWebgpu("grpo", (model, options) =>
    grpoTrain({
      model,
      tokenizer: charCodec,
      data: tinyPrompts,
      rewards,
      options,
      config: { steps: STEPS, promptsPerStep: 2, numGenerations: 2, lr: 1e-2, sampling: { maxNewTokens: 3 } },
    }),
  );
  await flatOnWebgpu("sft", (model, options) => sftTrain({ model, tokenizer: charCodec, data: pairs, options, config: supervised }));
  const ref = tinyModel("llama", 32);
  await flatOnWebgpu("dpo", (model, options) =>
    dpoTrain({
      model,
      tokenizer: charCodec,
      data: pairs,
      reference: (ids) => ref.forward(ids),
      options,
      config: { ...supervised, dpo: { beta: 0.1 } },
    }),
  );
  ref.dispose();
});
