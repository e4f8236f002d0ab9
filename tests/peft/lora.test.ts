import { test, before } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { tf, initBackend } from "../../lib/tensor";
import {
  attachLora,
  resolveLoraConfig,
  hftFrozenWeights,
  hftMasks,
  hftRandomEntryMasks,
  GradientMasker,
  randomMasks,
} from "../../lib/peft";
import { openCheckpoint, readJsonFile } from "../../lib/io";
import { expectClose, maxAbsDiff } from "../helpers/expect";
import { tinyModel } from "../helpers/tiny-model";
import { tmpDir } from "../helpers/tmp";

before(async () => {
  await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
});

const ids = () =>
  tf.tensor2d(
    [
      [1, 5, 9, 2, 7],
      [3, 3, 8, 0, 1],
    ],
    [2, 5],
    "int32",
  );
const logitsOf = (m: ReturnType<typeof tinyModel>) => tf.tidy(() => Array.from(m.forward(ids()).dataSync()));

/** Gives every B a random value so the adapter changes the model. */
function randomizeB(lora: ReturnType<typeof attachLora>, seed: number) {
  for (const mod of lora.modules) {
    const b = tf.randomNormal(mod.B.shape, 0, 0.3, "float32", seed++);
    mod.B.assign(b);
    b.dispose(); // assign keeps its own reference
  }
}

/** Numerical rank by Gaussian elimination with partial pivoting (test-sized matrices). */
function rank(a: Float32Array, rows: number, cols: number, tol = 1e-4): number {
  const m = Array.from({ length: rows }, (_, i) => Array.from(a.subarray(i * cols, (i + 1) * cols), Number));
  let r = 0;
  for (let c = 0; c < cols && r < rows; c++) {
    let p = r;
    for (let i = r + 1; i < rows; i++) if (Math.abs(m[i][c]) > Math.abs(m[p][c])) p = i;
    if (Math.abs(m[p][c]) < tol) continue;
    [m[r], m[p]] = [m[p], m[r]];
    for (let i = r + 1; i < rows; i++) {
      const f = m[i][c] / m[r][c];
      for (let j = c; j < cols; j++) m[i][j] -= f * m[r][j];
    }
    r++;
  }
  return r;
}

test("a fresh adapter (B = 0) leaves the model exactly as it was", () => {
  for (const family of ["llama", "gpt2"] as const) {
    const m = tinyModel(family, 1);
    const base = logitsOf(m);
    const lora = attachLora(m, { r: 4 });
    assert.deepEqual(logitsOf(m), base);
    for (const mod of lora.modules) {
      const bound = 1 / Math.sqrt(mod.inFeatures);
      assert.ok(
        mod.A.dataSync().every((x) => Math.abs(x) <= bound),
        `${mod.weightName}: A outside U(±1/√in)`,
      );
    }
    lora.dispose();
    m.dispose();
  }
});

test("merge equals the attached adapter; unmerge restores the weights; disabled = base", () => {
  for (const family of ["llama", "gpt2", "qwen2"] as const) {
    const m = tinyModel(family, 2);
    const base = logitsOf(m);
    const weights = new Map([...m.params].map(([k, v]) => [k, Float32Array.from(v.dataSync())]));
    const lora = attachLora(m, { r: 2, alpha: 6, rsLora: family === "qwen2" });
    randomizeB(lora, 10);
    const adapted = logitsOf(m);
    assert.ok(maxAbsDiff(adapted, base) > 1e-3, `${family}: adapter had no effect`);
    assert.deepEqual(
      lora.withDisabled(() => logitsOf(m)),
      base,
    );
    lora.merge();
    expectClose(logitsOf(m), adapted, { atol: 1e-4, what: `${family} merged logits` });
    lora.unmerge();
    for (const [k, v] of m.params) expectClose(v.dataSync(), weights.get(k)!, { atol: 1e-6, what: `${family} ${k} after unmerge` });
    expectClose(logitsOf(m), adapted, { atol: 1e-5, what: `${family} re-attached logits` });
    lora.dispose();
    m.dispose();
  }
});

test("merge, unmerge and mergeAndUnload leak no tensors; mergeAndUnload keeps the merged weights", () => {
  const m = tinyModel("llama", 2);
  const before = tf.memory().numTensors;
  const lora = attachLora(m, { r: 2 });
  randomizeB(lora, 10);
  const adapted = logitsOf(m);
  lora.merge();
  lora.unmerge();
  lora.mergeAndUnload();
  assert.equal(tf.memory().numTensors, before, "adapter tensors freed, no merge temporaries left");
  expectClose(logitsOf(m), adapted, { atol: 1e-4, what: "logits after mergeAndUnload" });
  lora.dispose();
  m.dispose();
});

test("property: the merged update ΔW = s·B·A has rank ≤ r", () => {
  const m = tinyModel("llama", 3);
  for (const r of [1, 2, 3]) {
    const lora = attachLora(m, { r, seed: r });
    randomizeB(lora, 20 * r);
    for (const mod of lora.modules) {
      const d = lora.deltaWeight(mod.weightName);
      const [rows, cols] = d.shape;
      assert.ok(rank(d.dataSync() as Float32Array, rows, cols) <= r, `${mod.weightName} rank > ${r}`);
      d.dispose();
    }
    lora.dispose();
  }
  m.dispose();
});

test("scaling: α/r, or α/√r with rsLoRA; config errors are explicit", () => {
  const m = tinyModel("llama", 4);
  for (const [cfg, scaling] of [
    [{ r: 4, alpha: 8 }, 2],
    [{ r: 4, alpha: 8, rsLora: true }, 4],
  ] as const) {
    const lora = attachLora(m, cfg);
    assert.equal(lora.scaling, scaling);
    lora.dispose();
  }
  assert.throws(
    () => resolveLoraConfig("llama", { targetModules: ["c_attn"] }),
    /targetModules must be names from q_proj.*got \["c_attn"\]/,
  );
  assert.throws(() => resolveLoraConfig("gpt2", { r: 0 }), /LoraConfig.r must be an integer ≥ 1; got 0/);
  m.dispose();
});

test("save writes PEFT's layout: adapter_config.json and lora_A [r, in] / lora_B [out, r]", async () => {
  const m = tinyModel("gpt2", 5);
  const lora = attachLora(m, { r: 2 });
  const dir = tmpDir();
  await lora.save(dir, "tiny-gpt2");
  const cfg = readJsonFile<Record<string, unknown>>(path.join(dir, "adapter_config.json"));
  assert.equal(cfg.peft_type, "LORA");
  assert.equal(cfg.fan_in_fan_out, true);
  const ck = await openCheckpoint(path.join(dir, "adapter_model.safetensors"));
  const a = ck.info("base_model.model.h.0.attn.c_attn.lora_A.weight")!;
  const b = ck.info("base_model.model.h.0.attn.c_attn.lora_B.weight")!;
  assert.deepEqual(a.shape, [2, 16]);
  assert.deepEqual(b.shape, [48, 2]);
  assert.equal(ck.tensors().length, 2 * lora.modules.length);
  await ck.close();
  lora.dispose();
  m.dispose();
});

test("HFT freezes 2 of 4 attention matrices per layer and 2 or 1 of 3 MLP matrices in halves", () => {
  const m = tinyModel("llama", 6, { nLayers: 4 });
  const frozen = hftFrozenWeights(m, 7);
  const mlpPerLayer: number[] = [];
  for (let l = 0; l < 4; l++) {
    const mine = frozen.filter((n) => n.includes(`.layers.${l}.`));
    assert.equal(mine.filter((n) => n.includes("self_attn")).length, 2);
    mlpPerLayer.push(mine.filter((n) => n.includes("mlp")).length);
  }
  assert.deepEqual(mlpPerLayer.slice().sort(), [1, 1, 2, 2]);
  assert.notDeepEqual(hftFrozenWeights(m, 8), frozen, "a new seed re-samples the frozen set");
  const masks = hftMasks(m, 7);
  assert.ok(frozen.every((n) => !masks.has(n)));
  m.dispose();
});

test("HFT's entries control freezes as many entries as HFT, the same fraction of every matrix HFT could freeze", () => {
  const m = tinyModel("llama", 6, { nLayers: 4 });
  const size = (n: string) => m.param(n).size;
  const hftFrozen = hftFrozenWeights(m, 7).reduce((s, n) => s + size(n), 0);
  const masks = hftRandomEntryMasks(m, 7);
  assert.equal(masks.size, 4 * 7, "q, k, v, o, gate, up, down in each of 4 layers");
  const total = [...masks.keys()].reduce((s, n) => s + size(n), 0);
  const zeros = (mask: Uint8Array | Float32Array) => mask.length - Array.from(mask).reduce((a, b) => a + b, 0);
  for (const [name, mask] of masks) assert.equal(zeros(mask), Math.round((hftFrozen / total) * size(name)), name);
  const frozen = [...masks.values()].reduce((s, mask) => s + zeros(mask), 0);
  assert.ok(Math.abs(frozen - hftFrozen) <= masks.size / 2, `${frozen} vs ${hftFrozen}`);
  assert.notDeepEqual(
    hftRandomEntryMasks(m, 8).get("model.layers.0.self_attn.q_proj.weight"),
    masks.get("model.layers.0.self_attn.q_proj.weight"),
  );
  m.dispose();
});

test("GradientMasker zeroes masked entries and leaks nothing", () => {
  const m = tinyModel("llama", 7);
  const masks = randomMasks(m, 0.3, 1);
  const masker = new GradientMasker(m, masks);
  assert.ok(Math.abs(masker.density() - 0.3) < 0.05, `density ${masker.density()}`);
  const before = tf.memory().numTensors;
  const grads = Object.fromEntries([...m.params].map(([k, v]) => [k, tf.onesLike(v)]));
  const out = masker.apply(grads);
  for (const [k, g] of Object.entries(out)) {
    const mask = masks.get(k);
    assert.deepEqual(Array.from(g.dataSync()), mask ? Array.from(mask, Number) : new Array(g.size).fill(0), k);
  }
  tf.dispose([Object.values(grads), Object.values(out)]);
  assert.equal(tf.memory().numTensors, before);
  assert.throws(
    () => new GradientMasker(m, new Map([["model.norm.weight", new Uint8Array(3)]])),
    /mask for model.norm.weight has 3 entries/,
  );
  masker.dispose();
  m.dispose();
});
