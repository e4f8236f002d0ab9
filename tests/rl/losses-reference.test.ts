// Loss values and gradients against PyTorch (tests/reference/rl-losses.py, float64, TRL's formulas) on
// seeded random inputs, for every lossType × importanceLevel × β, DPO sigmoid/ipo/hinge, SFT,
// tokenLogProbs/tokenEntropy (vector–Jacobian products) and TOPR. Runs on RFTLAB_BACKEND (default wasm).
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../lib/tensor/tf";
import { initBackend } from "../../lib/tensor/backend";
import {
  policyLoss,
  dpoLoss,
  sftLoss,
  tokenLogProbs,
  tokenEntropy,
  toprLoss,
  type PolicyLossConfig,
  type DpoLossConfig,
} from "../../lib/rl";
import { expectClose } from "../helpers/expect";
import { referenceScript, runPython, torchAvailable } from "../helpers/python";
import { rng, matrix } from "./seeded";

type Case = { kind: string; config: Record<string, unknown>; inputs: Record<string, unknown> };
type Result = { loss: number | number[][]; grad: unknown; metrics?: Record<string, number> };

const TOL = { atol: 1e-5, rtol: 1e-4 };
const { normal, uniform } = rng(2024);
const B = 3;
const T = 5;
const V = 7;
// Row lengths 5, 3, 1: padding, and a one-token row.
const mask = matrix(B, T, (i, j) => (j < [5, 3, 1][i] ? 1 : 0));
const logp = matrix(B, T, () => -0.1 - 3 * uniform());
// Log-ratios of ±0.3 put tokens on both sides of 1 ± ε.
const oldLogp = logp.map((r) => r.map((x) => x + 0.3 * normal()));
const refLogp = logp.map((r) => r.map((x) => x + 0.3 * normal()));
const advantages = [1.2, -0.7, 0.4];

const policyCases: Partial<PolicyLossConfig>[] = [];
for (const lossType of ["grpo", "bnpo", "dr_grpo", "dapo"] as const) {
  for (const importanceLevel of ["token", "sequence"] as const) {
    for (const beta of [0, 0.04]) policyCases.push({ lossType, importanceLevel, beta });
  }
}
policyCases.push(
  { lossType: "dapo", epsilonHigh: 0.28, activeTokens: 20 },
  { lossType: "dr_grpo", maxCompletionLength: 8, epsilonLow: 0.1 },
);

const dpoIn = {
  policyChosen: Array.from({ length: 4 }, () => -20 + 5 * normal()),
  policyRejected: Array.from({ length: 4 }, () => -20 + 5 * normal()),
  refChosen: Array.from({ length: 4 }, () => -20 + 5 * normal()),
  refRejected: Array.from({ length: 4 }, () => -20 + 5 * normal()),
};
const dpoCases: Partial<DpoLossConfig>[] = [
  { lossType: "sigmoid" },
  { lossType: "sigmoid", beta: 0.5 },
  { lossType: "hinge", beta: 0.1 },
  { lossType: "ipo", beta: 0.1 },
  { lossType: "ipo", beta: 0.3, chosenLengths: [10, 20, 5, 7], rejectedLengths: [12, 3, 9, 1] },
];

const logits3 = () => Array.from({ length: 2 }, () => matrix(3, V, () => 2 * normal()));
const sftIn = {
  logits: logits3(),
  targets: matrix(2, 3, () => Math.floor(uniform() * V)),
  mask: [
    [0, 1, 1],
    [1, 1, 0],
  ],
};
const lpIn = { logits: logits3(), ids: matrix(2, 3, () => Math.floor(uniform() * V)), w: matrix(2, 3, () => normal()) };
// Rewards of both signs; log π − log μ summed per row crosses 0 so α is clipped at 1 for some rows.
const toprIn = {
  logp: matrix(4, T, () => -0.1 - 2 * uniform()),
  behaviourLogp: matrix(4, T, () => -0.1 - 2 * uniform()),
  rewards: [1, -1, -0.5, 0],
  mask: matrix(4, T, (i, j) => (j < [5, 4, 2, 3][i] ? 1 : 0)),
};

const cases: Case[] = [
  ...policyCases.map((config) => ({ kind: "policy", config, inputs: { logp, oldLogp, refLogp, advantages, mask } })),
  ...dpoCases.map((config) => ({ kind: "dpo", config, inputs: dpoIn })),
  { kind: "sft", config: {}, inputs: sftIn },
  { kind: "logprobs", config: { temperature: 1 }, inputs: lpIn },
  { kind: "logprobs", config: { temperature: 0.7 }, inputs: lpIn },
  { kind: "entropy", config: { temperature: 1 }, inputs: lpIn },
  { kind: "entropy", config: { temperature: 0.7 }, inputs: lpIn },
  { kind: "topr", config: {}, inputs: toprIn },
];

const flat = (x: unknown): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x as number]);

describe("rl losses vs PyTorch (value and gradient)", { skip: !torchAvailable() && "python3-torch missing" }, () => {
  let ref: Result[];
  before(async () => {
    await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
    ref = runPython<{ results: Result[] }>(referenceScript("rl-losses.py"), { cases }).results;
  });

  /** Value and gradient of f at x, with a check that nothing leaks. */
  const valueAndGrad = (f: (x: tf.Tensor) => tf.Scalar | tf.Tensor, x: tf.Tensor) => {
    const before = tf.memory().numTensors;
    const { value, grad } = tf.valueAndGrad(f as (x: tf.Tensor) => tf.Scalar)(x);
    const out = { value: Array.from(value.dataSync()), grad: Array.from(grad.dataSync()) };
    tf.dispose([value, grad]);
    expectClose(tf.memory().numTensors, before, { what: "tensor count" });
    return out;
  };

  cases.forEach((c, k) => {
    test(`${c.kind} ${JSON.stringify(c.config)}`, () => {
      const r = ref[k];
      if (c.kind === "policy") {
        const [old, rf, m, x] = [oldLogp, refLogp, mask, logp].map((a) => tf.tensor2d(a));
        const got = valueAndGrad(
          (lp) =>
            policyLoss(
              { logp: lp as tf.Tensor2D, oldLogp: old as tf.Tensor2D, refLogp: rf as tf.Tensor2D, advantages, mask: m as tf.Tensor2D },
              c.config,
            ).loss,
          x,
        );
        expectClose(got.value, flat(r.loss), { ...TOL, what: "loss" });
        expectClose(got.grad, flat(r.grad), { ...TOL, what: "∂loss/∂logp" });
        const out = policyLoss(
          { logp: x as tf.Tensor2D, oldLogp: old as tf.Tensor2D, refLogp: rf as tf.Tensor2D, advantages, mask: m as tf.Tensor2D },
          c.config,
        );
        const metrics = r.metrics as Record<string, number>;
        assert.deepEqual(Object.keys(out.metrics).sort(), Object.keys(metrics).sort());
        for (const [key, v] of Object.entries(out.metrics)) expectClose(v.dataSync()[0], metrics[key], { ...TOL, what: key });
        tf.dispose([old, rf, m, x, out.loss, ...Object.values(out.metrics)]);
      } else if (c.kind === "dpo") {
        const [rc, rr] = [tf.tensor1d(dpoIn.refChosen), tf.tensor1d(dpoIn.refRejected)];
        // Differentiate w.r.t. both policy inputs at once: stack them as one [2, B] variable.
        const x = tf.tensor2d([dpoIn.policyChosen, dpoIn.policyRejected]);
        const call = (p: tf.Tensor) => {
          const [pc, pr] = tf.unstack(p) as tf.Tensor1D[];
          return dpoLoss({ policyChosen: pc, policyRejected: pr, refChosen: rc as tf.Tensor1D, refRejected: rr as tf.Tensor1D }, c.config);
        };
        const got = valueAndGrad((p) => call(p).loss, x);
        expectClose(got.value, flat(r.loss), { ...TOL, what: "loss" });
        expectClose(got.grad, flat(r.grad), { ...TOL, what: "∂loss/∂(policyChosen, policyRejected)" });
        const out = tf.tidy(() => {
          const o = call(x);
          return Object.fromEntries(Object.entries(o.metrics).map(([key, v]) => [key, v.dataSync()[0]]));
        });
        for (const key of Object.keys(r.metrics!)) expectClose(out[key], r.metrics![key], { ...TOL, what: key });
        tf.dispose([rc, rr, x]);
      } else if (c.kind === "sft") {
        const [x, ids, m] = [tf.tensor3d(sftIn.logits), tf.tensor2d(sftIn.targets, undefined, "int32"), tf.tensor2d(sftIn.mask)];
        const got = valueAndGrad((l) => sftLoss(l as tf.Tensor3D, ids as tf.Tensor2D, m as tf.Tensor2D), x);
        expectClose(got.value, flat(r.loss), { ...TOL, what: "loss" });
        expectClose(got.grad, flat(r.grad), { ...TOL, what: "∂loss/∂logits" });
        tf.dispose([x, ids, m]);
      } else if (c.kind === "logprobs" || c.kind === "entropy") {
        const [x, ids, w] = [tf.tensor3d(lpIn.logits), tf.tensor2d(lpIn.ids, undefined, "int32"), tf.tensor2d(lpIn.w)];
        const temperature = c.config.temperature as number;
        const fn = (l: tf.Tensor) =>
          c.kind === "logprobs"
            ? tokenLogProbs(l as tf.Tensor3D, ids as tf.Tensor2D, temperature)
            : tokenEntropy(l as tf.Tensor3D, temperature);
        const values = fn(x);
        expectClose(values.dataSync(), flat(r.loss), { ...TOL, what: c.kind });
        const got = valueAndGrad((l) => fn(l).mul(w).sum(), x);
        expectClose(got.grad, flat(r.grad), { ...TOL, what: `∂(w·${c.kind})/∂logits` });
        tf.dispose([x, ids, w, values]);
      } else {
        const [x, mu, m] = [tf.tensor2d(toprIn.logp), tf.tensor2d(toprIn.behaviourLogp), tf.tensor2d(toprIn.mask)];
        const got = valueAndGrad(
          (lp) =>
            toprLoss({ logp: lp as tf.Tensor2D, behaviourLogp: mu as tf.Tensor2D, rewards: toprIn.rewards, mask: m as tf.Tensor2D }).loss,
          x,
        );
        expectClose(got.value, flat(r.loss), { ...TOL, what: "loss" });
        expectClose(got.grad, flat(r.grad), { ...TOL, what: "∂loss/∂logp (α is stop-gradient)" });
        // The case must exercise the taper: some negative-reward row has α < 1.
        const out = toprLoss({ logp: x as tf.Tensor2D, behaviourLogp: mu as tf.Tensor2D, rewards: toprIn.rewards, mask: m as tf.Tensor2D });
        const alphaMean = out.metrics["topr/alpha_mean"].dataSync()[0];
        tf.dispose([out.loss, ...Object.values(out.metrics)]);
        if (!(alphaMean < 1)) throw new Error(`topr case does not taper: alpha_mean ${alphaMean}`);
        tf.dispose([x, mu, m]);
      }
    });
  });
});
