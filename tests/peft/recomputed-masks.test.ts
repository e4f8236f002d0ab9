import { test, before } from "node:test";
import assert from "node:assert/strict";
import { tf, initBackend } from "../../lib/tensor";
import { AdamW } from "../../lib/tensor/optim";
import { RecomputingGradientMasker, resolveMaskRecomputeConfig, type MaskFn, type ParamMasks } from "../../lib/peft";
import { sftTrain } from "../../lib/rl";
import { principalMaskOf, principalMasks } from "../../lib/analysis";
import { expectClose } from "../helpers/expect";
import { referenceScript, runPython, torchAvailable } from "../helpers/python";
import { seededUniform } from "../helpers/seeded";
import { tinyModel, charCodec, tinyPrompts } from "../helpers/tiny-model";

before(async () => {
  await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
});

const DOWN = "model.layers.0.mlp.down_proj.weight"; // [16, 32] in the tiny llama
const UP = "model.layers.1.mlp.up_proj.weight"; // [32, 16]

/** One masked AdamW step on `loss` (grads keyed by parameter name, as the trainers do), then the masker's hook. */
async function maskedStep(
  masker: RecomputingGradientMasker,
  opt: AdamW,
  params: Map<string, tf.Variable>,
  loss: () => tf.Scalar,
  lr: number,
) {
  const { value, grads } = tf.variableGrads(loss, [...params.values()]);
  const named = Object.fromEntries([...params].map(([n, v]) => [n, grads[v.name]]));
  const masked = masker.apply(named);
  opt.step(masked, lr);
  tf.dispose([value, grads, masked]);
  await masker.afterStep(opt);
}

const indices = (m: ArrayLike<number>) => Array.from(m, Number).flatMap((v, i) => (v ? [i] : []));
const onesLike = (params: Map<string, tf.Variable>) => Object.fromEntries([...params].map(([n, v]) => [n, tf.onesLike(v)]));

test("LIFT with recomputed masks matches a sparse-state PyTorch AdamW (LIFT's sparseAdam) over 7 steps, interval 3", {
  skip: !torchAvailable() && "no torch",
}, async () => {
  const model = tinyModel("llama", 3);
  const W = model.param(DOWN);
  const [m, n] = W.shape;
  const x = { shape: [8, n], data: Array.from(seededUniform(8 * n, 11)) };
  const y = { shape: [8, m], data: Array.from(seededUniform(8 * m, 12)) };
  const hyper = { steps: 7, lr: 0.02, interval: 3, rank: 2, loraRank: 1, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
  const ref = runPython<{ w: number[]; masks: number[][]; entered: number[] }>(referenceScript("peft-lift-sparse-adamw.py"), {
    w: { shape: W.shape, data: Array.from(W.dataSync()) },
    x,
    y,
    ...hyper,
  });
  const cfg = { rank: hyper.rank, loraRank: hyper.loraRank, method: "principal" as const, randomized: false };
  const seen: number[][] = [];
  const maskFn: MaskFn = (w) => {
    const out: ParamMasks = new Map([...w].map(([name, t]) => [name, principalMaskOf(t, cfg)]));
    seen.push(indices(out.get(DOWN)!));
    return out;
  };
  const params = new Map([[DOWN, W]]);
  const opt = new AdamW(params, { weightDecay: 0, beta1: hyper.beta1, beta2: hyper.beta2, eps: hyper.eps });
  const masker = new RecomputingGradientMasker(
    model,
    maskFn(new Map([[DOWN, { shape: W.shape, data: Float32Array.from(W.dataSync()) }]])),
    maskFn,
    { updateInterval: hyper.interval },
  );
  const X = tf.tensor(x.data, x.shape);
  const Y = tf.tensor(y.data, y.shape);
  for (let s = 0; s < hyper.steps; s++)
    await maskedStep(masker, opt, params, () => X.matMul(W, false, true).sub(Y).square().mean() as tf.Scalar, hyper.lr);
  assert.deepEqual(seen, ref.masks, "initial mask and the masks recomputed after steps 3 and 6");
  assert.deepEqual(
    masker.recomputes.map((r) => r.step),
    [3, 6],
  );
  expectClose(
    masker.recomputes.map((r) => r.entered),
    ref.entered,
    { atol: 1e-12, what: "share of entries entering" },
  );
  assert.ok(
    ref.entered.some((e) => e > 0),
    `the test needs a mask that changes; entered ${ref.entered}`,
  );
  expectClose(W.dataSync(), ref.w, { atol: 2e-6, what: "W after 7 steps" });
  tf.dispose([X, Y]);
  masker.dispose();
  opt.dispose();
  model.dispose();
});

test("recompute after the interval: new mask in force, moments kept where it stays, zeroed where it leaves, no leaks", async () => {
  const model = tinyModel("llama", 5);
  const size = model.param(DOWN).size;
  const A = Uint8Array.from({ length: size }, (_, i) => (i < size / 2 ? 1 : 0));
  const B = Uint8Array.from({ length: size }, (_, i) => (i >= size / 4 && i < (3 * size) / 4 ? 1 : 0));
  const both = A.map((a, i) => a & B[i]);
  let calls = 0;
  const masker = new RecomputingGradientMasker(model, new Map([[DOWN, A]]), () => (calls++, new Map([[DOWN, B.slice()]])), {
    updateInterval: 2,
  });
  const params = new Map([
    [DOWN, model.param(DOWN)],
    [UP, model.param(UP)],
  ]);
  const opt = new AdamW(params, { weightDecay: 0 });
  const loss = () => model.param(DOWN).square().sum().add(model.param(UP).sin().sum()) as tf.Scalar;
  const maskOf = (name: string) => {
    const ones = onesLike(params);
    const out = masker.apply(ones);
    const d = Array.from(out[name].dataSync());
    tf.dispose([Object.values(ones), Object.values(out)]);
    return d;
  };

  await maskedStep(masker, opt, params, loss, 0.01);
  const tensors = tf.memory().numTensors;
  assert.equal(calls, 0, "no recompute before the interval");
  assert.deepEqual(maskOf(DOWN), Array.from(A));
  assert.deepEqual(maskOf(UP), new Array(params.get(UP)!.size).fill(0), "an unmasked name stays frozen");

  // step 2 by hand, so the moments can be read between the optimizer step and the recompute
  const { value, grads } = tf.variableGrads(loss, [...params.values()]);
  const masked = masker.apply(Object.fromEntries([...params].map(([n, v]) => [n, grads[v.name]])));
  opt.step(masked);
  tf.dispose([value, grads, masked]);
  const before = await opt.getState();
  await masker.afterStep(opt);
  const after = await opt.getState();
  assert.equal(calls, 1);
  assert.deepEqual(masker.recomputes, [{ step: 2, entered: 0.5 }]);
  assert.deepEqual(maskOf(DOWN), Array.from(B), "gradients follow the new mask");
  for (const key of ["expAvg", "expAvgSq"] as const) {
    const kept = before[key][DOWN].map((v, i) => (both[i] ? v : 0));
    expectClose(after[key][DOWN], kept, { atol: 0, what: `${key}: kept on A∩B, zero elsewhere` });
  }
  assert.ok(
    indices(both).every((i) => before.expAvg[DOWN][i] !== 0),
    "the moments on A∩B were non-zero",
  );
  assert.equal(after.paramSteps[DOWN], 2);

  const w2 = Float32Array.from(model.param(DOWN).dataSync());
  await maskedStep(masker, opt, params, loss, 0.01);
  const w3 = model.param(DOWN).dataSync();
  const moved = indices(w3.map((v, i) => (v !== w2[i] ? 1 : 0)));
  assert.deepEqual(moved, indices(B), "step 3 changes exactly the entries of the new mask (A\\B does not drift on old momentum)");
  assert.equal(tf.memory().numTensors, tensors, "tensor count flat across the recompute");
  masker.dispose();
  opt.dispose();
  model.dispose();
});

test("sftTrain with a recomputing masker: recomputes at T, 2T; only entries of some mask change", async () => {
  const model = tinyModel("llama", 7);
  const start = new Map([...model.params].map(([n, v]) => [n, Float32Array.from(v.dataSync())]));
  const everMasked = new Map<string, Uint8Array>();
  const maskFn: MaskFn = (w) => {
    const masks = principalMasks(w, { method: "magnitude", loraRank: 1 });
    for (const [name, m] of masks)
      everMasked.set(
        name,
        (everMasked.get(name) ?? new Uint8Array(m.length)).map((v, i) => v | m[i]),
      );
    return masks;
  };
  const blocks = new Map(
    [...start]
      .filter(([n]) => n.includes(".layers.") && model.param(n).rank === 2)
      .map(([n, d]) => [n, { shape: model.param(n).shape, data: d }]),
  );
  const masker = new RecomputingGradientMasker(model, maskFn(blocks), maskFn, { updateInterval: 2 });
  const tensors = tf.memory().numTensors;
  const data = tinyPrompts.map(({ prompt, answer }) => ({ prompt, completion: answer }));
  await sftTrain({ model, tokenizer: charCodec, data, masker, config: { steps: 5, batchSize: 2, lr: 1e-2 } });
  assert.equal(tf.memory().numTensors, tensors);
  assert.deepEqual(
    masker.recomputes.map((r) => r.step),
    [2, 4],
  );
  for (const [name, v] of model.params) {
    const before = start.get(name)!;
    const now = v.dataSync();
    const allowed = everMasked.get(name);
    const changed = indices(now.map((x, i) => (x !== before[i] ? 1 : 0)));
    assert.ok(
      changed.every((i) => allowed?.[i]),
      `${name}: ${changed.length} entries changed outside every mask`,
    );
    if (allowed) assert.ok(changed.length > 0, `${name} did not train`);
  }
  masker.dispose();
  model.dispose();
});

test("resolveMaskRecomputeConfig and mask-function errors", async () => {
  assert.deepEqual(resolveMaskRecomputeConfig(), { updateInterval: 400 });
  assert.throws(
    () => resolveMaskRecomputeConfig({ updateInterval: 0 }),
    /updateInterval must be an integer ≥ 1 \(optimizer steps\); got 0/,
  );
  assert.throws(() => resolveMaskRecomputeConfig({ updateInterval: 1.5 }), /got 1\.5/);
  const model = tinyModel("llama", 9);
  const size = model.param(DOWN).size;
  const masker = new RecomputingGradientMasker(
    model,
    new Map([[DOWN, new Uint8Array(size).fill(1)]]),
    () => new Map([[UP, new Uint8Array(model.param(UP).size)]]),
    { updateInterval: 1 },
  );
  const params = new Map([[DOWN, model.param(DOWN)]]);
  const opt = new AdamW(params);
  await assert.rejects(
    maskedStep(masker, opt, params, () => model.param(DOWN).sum() as tf.Scalar, 0.01),
    /missing \[model\.layers\.0\.mlp\.down_proj\.weight\], unexpected \[model\.layers\.1\.mlp\.up_proj\.weight\]/,
  );
  masker.dispose();
  opt.dispose();
  model.dispose();
});
