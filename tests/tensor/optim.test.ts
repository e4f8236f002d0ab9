import { seededUniform } from "../helpers/seeded";
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../lib/tensor/tf";
import { initBackend } from "../../lib/tensor/backend";
import { AdamW, resolveAdamWConfig } from "../../lib/tensor/optim";
import { clipGradNorm, GradAccumulator, globalGradNorm, gradsByName } from "../../lib/tensor/grads";
import { lrAt } from "../../lib/tensor/lr-schedule";
import { expectClose } from "../helpers/expect";
import { referenceScript, runPython, torchAvailable } from "../helpers/python";

const seededArray = (n: number, seed: number): number[] => Array.from(seededUniform(n, seed));

const SHAPES: Record<string, number[]> = { "h.0.attn.c_attn.weight": [3, 4], "h.0.attn.c_attn.bias": [4], "ln_f.weight": [2, 2] };

function makeParams(): Map<string, tf.Variable> {
  return new Map(
    Object.entries(SHAPES).map(([n, shape], i) => [n, tf.variable(tf.tensor(seededArray(tf.util.sizeFromShape(shape), 7 + i), shape))]),
  );
}

describe("optim", () => {
  before(async () => {
    await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
  });

  test("AdamW + clipGradNorm match torch.optim.AdamW + clip_grad_norm_ over 6 steps", {
    skip: !torchAvailable() && "no torch",
  }, async () => {
    const params = makeParams();
    const cfg = { beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.1, noDecay: ["\\.bias$"] };
    const schedule = { peakLr: 0.05, warmupSteps: 2, totalSteps: 6 };
    const grads: Record<string, number[]>[] = [];
    for (let s = 0; s < 6; s++) {
      const g: Record<string, number[]> = {};
      for (const [n, shape] of Object.entries(SHAPES)) {
        // step 3 leaves ln_f without a gradient: torch skips it and does not advance its step
        if (s === 3 && n === "ln_f.weight") continue;
        g[n] = seededArray(tf.util.sizeFromShape(shape), 100 * s + n.length).map((v) => v * (s + 1));
      }
      grads.push(g);
    }
    const lrs = grads.map((_, s) => lrAt(s + 1, schedule));
    const ref = runPython<{
      params: Record<string, number[]>;
      norms: number[];
      expAvg: Record<string, number[]>;
      expAvgSq: Record<string, number[]>;
    }>(referenceScript("tensor-adamw.py"), {
      params: Object.fromEntries([...params].map(([n, v]) => [n, { shape: v.shape, data: Array.from(v.dataSync()) }])),
      grads,
      lrs,
      config: cfg,
      maxNorm: 2.0,
      noDecay: ["h.0.attn.c_attn.bias"],
    });
    const opt = new AdamW(params, cfg);
    const norms: number[] = [];
    for (let s = 0; s < 6; s++) {
      const g = Object.fromEntries(Object.entries(grads[s]).map(([n, d]) => [n, tf.tensor(d, SHAPES[n])]));
      const clipped = await clipGradNorm(g, 2.0);
      norms.push(clipped.norm);
      opt.step(clipped.grads, lrs[s]);
      tf.dispose([g, clipped.grads]);
    }
    expectClose(norms, ref.norms, { atol: 1e-5, rtol: 1e-6, what: "pre-clip norms" });
    const state = await opt.getState();
    for (const [n, v] of params) {
      expectClose(v.dataSync(), ref.params[n], { atol: 1e-6, what: n });
      expectClose(state.expAvg[n], ref.expAvg[n], { atol: 1e-6, what: `${n} exp_avg` });
      expectClose(state.expAvgSq[n], ref.expAvgSq[n], { atol: 1e-6, what: `${n} exp_avg_sq` });
    }
    assert.equal(state.stepCount, 6);
    assert.equal(state.paramSteps["ln_f.weight"], 5);
    opt.dispose();
    tf.dispose([...params.values()]);
  });

  test("hand-worked first step: θ(1 − lr·λ) − lr·sign(g) when |g| ≫ ε", () => {
    const p = tf.variable(tf.tensor1d([1, -2]));
    const opt = new AdamW([p], { lr: 0.1, weightDecay: 0.5, eps: 1e-12 });
    const g = tf.tensor1d([0.3, -4]);
    opt.step({ [p.name]: g });
    // m̂ = g, v̂ = g², so the Adam step is lr·g/|g| = ±0.1; decay multiplies θ by 0.95 first
    expectClose(p.dataSync(), [0.95 - 0.1, -1.9 + 0.1], { atol: 1e-6 });
    tf.dispose([p, g]);
    opt.dispose();
  });

  test("getState/setState resumes to identical updates", async () => {
    const a = makeParams();
    const b = makeParams();
    const optA = new AdamW(a, { lr: 0.01 });
    const grads = (s: number) =>
      Object.fromEntries(Object.entries(SHAPES).map(([n, sh]) => [n, tf.tensor(seededArray(tf.util.sizeFromShape(sh), s), sh)]));
    for (let s = 0; s < 3; s++) tf.tidy(() => optA.step(grads(s)));
    for (const [n, v] of a) b.get(n)!.assign(v);
    const optB = new AdamW(b, { lr: 0.01 });
    optB.setState(await optA.getState());
    assert.equal(optB.stepCount, 3);
    for (let s = 3; s < 5; s++) tf.tidy(() => (optA.step(grads(s)), optB.step(grads(s))));
    for (const [n, v] of a) expectClose(b.get(n)!.dataSync(), v.dataSync(), { atol: 0, what: n });
    optA.dispose();
    optB.dispose();
    tf.dispose([...a.values(), ...b.values()]);
  });

  test("batch 8 × 1 step equals batch 1 × 8 accumulated micro-batches", () => {
    const x = tf.tensor2d(seededArray(8 * 3, 1), [8, 3]); // [B, in]
    const y = tf.tensor2d(seededArray(8 * 2, 2), [8, 2]); // [B, out]
    const make = () =>
      new Map([
        ["w", tf.variable(tf.tensor2d(seededArray(6, 3), [3, 2]))],
        ["b", tf.variable(tf.zeros([2]))],
      ]);
    const lossFn = (p: Map<string, tf.Variable>, xb: tf.Tensor, yb: tf.Tensor) => () =>
      xb.matMul(p.get("w")!).add(p.get("b")!).sub(yb).square().mean() as tf.Scalar;
    const full = make();
    const micro = make();
    const optFull = new AdamW(full, { lr: 0.1, weightDecay: 0.1 });
    const optMicro = new AdamW(micro, { lr: 0.1, weightDecay: 0.1 });
    for (let step = 0; step < 3; step++) {
      const { value, grads } = tf.variableGrads(lossFn(full, x, y));
      optFull.step(grads);
      tf.dispose([value, grads]);
      const acc = new GradAccumulator();
      for (let i = 0; i < 8; i++) {
        tf.tidy(() => {
          const { value: v, grads: g } = tf.variableGrads(lossFn(micro, x.slice([i, 0], [1, 3]), y.slice([i, 0], [1, 2])));
          acc.add(g);
          tf.dispose([v, g]);
        });
      }
      assert.equal(acc.count, 8);
      const mean = acc.mean();
      optMicro.step(mean);
      tf.dispose(mean);
      acc.dispose();
    }
    for (const n of ["w", "b"]) expectClose(micro.get(n)!.dataSync(), full.get(n)!.dataSync(), { atol: 1e-6, what: n });
    optFull.dispose();
    optMicro.dispose();
    tf.dispose([x, y, ...full.values(), ...micro.values()]);
  });

  test("clipGradNorm hand-worked: {3, 4} has norm 5", async () => {
    const g = { a: tf.tensor1d([3]), b: tf.tensor1d([0, 4]) };
    const c = await clipGradNorm(g, 1);
    assert.equal(c.norm, 5);
    expectClose(c.grads.a.dataSync(), [3 / (5 + 1e-6)], { atol: 1e-7 });
    expectClose(c.grads.b.dataSync(), [0, 4 / (5 + 1e-6)], { atol: 1e-7 });
    const u = await clipGradNorm(g, 10);
    expectClose(u.grads.b.dataSync(), [0, 4], { atol: 0 });
    const n = globalGradNorm(g);
    assert.equal(n.dataSync()[0], 5);
    tf.dispose([g, c.grads, u.grads, n]);
    await assert.rejects(() => clipGradNorm({}, 1), /empty/);
    await assert.rejects(() => clipGradNorm({ a: tf.scalar(1) }, 0), /maxNorm must be > 0/);
  });

  test("gradsByName: keyed by parameter name in the map's order, not the variables' creation order", () => {
    const createdFirst = tf.variable(tf.scalar(2));
    const createdSecond = tf.variable(tf.scalar(3));
    const unused = tf.variable(tf.scalar(5));
    const params = new Map([
      ["a", createdSecond],
      ["b", createdFirst],
      ["c", unused],
    ]);
    const { value, grads } = tf.variableGrads(() => createdFirst.mul(createdSecond), [createdSecond, createdFirst, unused]);
    assert.deepEqual(Object.keys(grads), [createdFirst.name, createdSecond.name], "tfjs: creation order");
    const named = gradsByName(params, grads);
    assert.deepEqual(Object.keys(named), ["a", "b"], "the map's order; a parameter without a gradient left out");
    assert.deepEqual([named.a.dataSync()[0], named.b.dataSync()[0]], [2, 3]);
    tf.dispose([value, grads, createdFirst, createdSecond, unused]);
  });

  test("lrAt: hand-worked warmup, cosine, linear, constant", () => {
    const s = { peakLr: 1e-3, warmupSteps: 10, totalSteps: 110 };
    expectClose(
      [0, 5, 10, 60, 110, 200].map((t) => lrAt(t, s)),
      [0, 5e-4, 1e-3, 5e-4, 0, 0],
      { atol: 1e-15, what: "cosine" },
    );
    expectClose(lrAt(35, s), 1e-3 * 0.5 * (1 + Math.cos(Math.PI / 4)), { atol: 1e-15 });
    expectClose(lrAt(60, { ...s, minLr: 1e-4 }), 5.5e-4, { atol: 1e-15, what: "cosine with floor" });
    expectClose(lrAt(85, { ...s, decay: "linear" }), 2.5e-4, { atol: 1e-15, what: "linear" });
    expectClose(
      [3, 500].map((t) => lrAt(t, { peakLr: 2, warmupSteps: 4, decay: "constant" })),
      [1.5, 2],
      { atol: 0, what: "constant" },
    );
    assert.throws(
      () => lrAt(1, { peakLr: 1, warmupSteps: 10, totalSteps: 5 }),
      /totalSteps must be an integer > warmupSteps \(10\).*got 5/,
    );
    assert.throws(() => lrAt(-1, s), /step must be an integer ≥ 0; got -1/);
  });

  test("resolveAdamWConfig: defaults and errors naming field, value and fix", () => {
    assert.deepEqual(resolveAdamWConfig({}), { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, noDecay: [] });
    assert.throws(() => resolveAdamWConfig({ beta1: 1 }), /AdamWConfig\.beta1 must be in \[0, 1\); got 1\. The usual value is 0\.9/);
    assert.throws(() => resolveAdamWConfig({ eps: 0 }), /AdamWConfig\.eps .* got 0/);
    assert.throws(() => resolveAdamWConfig({ lr: 1, weightDecay: 2 }), /lr·weightDecay must be < 1/);
    assert.throws(
      () => resolveAdamWConfig({ betas: [0.9, 0.99] } as never),
      /AdamWConfig\.betas is not a config field \(did you mean "beta1"\?\)/,
    );
    assert.throws(() => resolveAdamWConfig({ noDecay: ["("] }), /not a valid regular expression/);
  });

  test("maskMoments zeroes the moments where keep = 0 and leaves the rest and the step count", async () => {
    const p = tf.variable(tf.tensor1d([1, -2, 3]));
    const opt = new AdamW(new Map([["w", p]]), { lr: 0.1, weightDecay: 0 });
    const g = tf.tensor1d([0.5, -1, 2]);
    const keep = tf.tensor1d([1, 0, 1]);
    opt.step({ w: g });
    const before = tf.memory().numTensors;
    opt.maskMoments("w", keep);
    assert.equal(tf.memory().numTensors, before);
    // after one step m = (1 − β1)·g, v = (1 − β2)·g²
    const s = await opt.getState();
    expectClose(s.expAvg.w, [0.05, 0, 0.2], { atol: 1e-7, what: "exp_avg" });
    expectClose(s.expAvgSq.w, [0.00025, 0, 0.004], { atol: 1e-9, what: "exp_avg_sq" });
    assert.equal(s.paramSteps.w, 1);
    assert.throws(() => opt.maskMoments("v", keep), /maskMoments: "v" is not a parameter/);
    const bad = tf.ones([2]);
    assert.throws(() => opt.maskMoments("w", bad), /keep for "w" has shape \[2\], the parameter \[3\]/);
    tf.dispose([p, g, keep, bad]);
    opt.dispose();
  });

  test("AdamW.step errors name the gradient", () => {
    const p = tf.variable(tf.zeros([2]));
    const opt = new AdamW(new Map([["w", p]]));
    const g = tf.zeros([3]);
    assert.throws(() => opt.step({ w: g }), /gradient "w" has shape \[3\], parameter has \[2\]/);
    assert.throws(() => opt.step({ nope: g }), /gradient "nope" matches no parameter/);
    tf.dispose([p, g]);
    opt.dispose();
  });

  test("no leaks: AdamW construct/step/getState/setState/dispose, clipGradNorm, GradAccumulator", async () => {
    const params = makeParams();
    const grads = Object.fromEntries(Object.entries(SHAPES).map(([n, sh]) => [n, tf.ones(sh)]));
    const before = tf.memory().numTensors;
    const opt = new AdamW(params);
    const withState = tf.memory().numTensors;
    assert.equal(withState, before + 2 * params.size);
    opt.step(grads);
    opt.step(new Map(Object.entries(grads)), 0.5);
    opt.setState(await opt.getState());
    assert.equal(tf.memory().numTensors, withState);
    opt.dispose();
    assert.equal(tf.memory().numTensors, before);
    const c = await clipGradNorm(grads, 0.1);
    assert.equal(tf.memory().numTensors, before + params.size);
    tf.dispose(c.grads);
    const acc = new GradAccumulator();
    tf.tidy(() => {
      acc.add(grads);
      acc.add(grads);
    });
    assert.equal(tf.memory().numTensors, before + params.size);
    tf.dispose(acc.sum());
    acc.dispose();
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([...params.values(), grads]);
  });
});
