import { test, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { tf } from "../../lib/tensor/tf";
import { initBackend } from "../../lib/tensor/backend";
import { AdamW } from "../../lib/tensor/optim";
import { createRng } from "../../lib/base/random";
import { RunDir } from "../../lib/io/run-dir";
import { runLoop, runTrainer } from "../../lib/rl/run-loop";
import type { WeightedReward } from "../../lib/rewards";
import type { RunLoopOptions } from "../../lib/rl/trainer-types";
import { failNthWrite } from "../helpers/disk-full";
import { tmpDir } from "../helpers/tmp";

before(async () => {
  await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
});

const STEPS = 5;
const root = tmpDir();

/**
 * A run of a stand-in trainer: one 4-vector trained by AdamW on gradients drawn from (seed, step), so like
 * the real trainers each step depends only on the step and the restored state. Returns the final weights.
 */
async function fakeRun(options: RunLoopOptions): Promise<Float32Array> {
  const w = tf.variable(tf.tensor1d([1, -2, 3, -4]), true);
  const trainable = new Map([["w", w]]);
  const optimizer = new AdamW(trainable, { lr: 0.1 });
  try {
    await runLoop({
      config: { trainer: "fake", steps: STEPS },
      totalSteps: STEPS,
      trainable,
      optimizer,
      options: { saveEvery: 2, ...options },
      step: async (s) => {
        const rng = createRng(s);
        const g = tf.tensor1d(Array.from({ length: 4 }, () => rng.normal()));
        optimizer.step({ w: g });
        g.dispose();
        const loss = (await w.square().sum().data())[0];
        return { metrics: { loss }, completions: [{ text: `c${s}`, reward: loss }] };
      },
    });
    return (await w.data()) as Float32Array;
  } finally {
    optimizer.dispose();
    w.dispose();
  }
}

/** A log without its timing column. */
const logOf = (dir: string, log: string) =>
  fs
    .readFileSync(path.join(dir, `${log}.jsonl`), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const { step_time: _t, ...rest } = JSON.parse(l);
      return rest;
    });

test("runLoop: a full disk at any write gives a one-line error; after space is freed the resumed run is bit-identical", async () => {
  const whole = path.join(root, "whole");
  const counter = failNthWrite(Infinity);
  let wholeWeights: Float32Array;
  try {
    wholeWeights = await fakeRun({ runDir: whole });
  } finally {
    counter.restore();
  }
  const writes = counter.writes();
  assert.ok(writes > 10, `only ${writes} writes counted`);
  for (let k = 1; k <= writes; k++) {
    const dir = path.join(root, `full-${k}`);
    const disk = failNthWrite(k);
    try {
      await assert.rejects(fakeRun({ runDir: dir }), (e: Error) => {
        assert.match(e.message, /^no space left on the device writing .* \(ENOSPC\); free some space, then resume the run/);
        assert.ok(!e.message.includes("\n"), e.message);
        return true;
      });
    } finally {
      disk.restore();
    }
    const resumed = await fakeRun({ runDir: dir, resume: true });
    assert.deepEqual(resumed, wholeWeights, `write ${k}: weights`);
    for (const log of ["metrics", "completions"]) assert.deepEqual(logOf(dir, log), logOf(whole, log), `write ${k}: ${log}`);
    const leftovers = (fs.readdirSync(dir, { recursive: true }) as string[]).filter((n) => n.endsWith(".tmp") || n.includes(".lock"));
    assert.deepEqual(leftovers, [], `write ${k}: temp files left`);
  }
});

test("runLoop: killed before the first checkpoint, the resumed run logs each step once", async () => {
  const dir = path.join(root, "killed");
  const whole = path.join(root, "whole-2");
  await fakeRun({ runDir: whole });
  await assert.rejects(
    fakeRun({
      runDir: dir,
      onStep: (s) => {
        if (s === 1) throw new Error("killed");
      },
    }),
    /killed/,
  );
  await fakeRun({ runDir: dir, resume: true });
  assert.deepEqual(logOf(dir, "metrics"), logOf(whole, "metrics"));
  assert.deepEqual(logOf(dir, "completions"), logOf(whole, "completions"));
});

test("runLoop: the run folder is locked while the run goes on and released however it ends", async () => {
  const dir = path.join(root, "locked");
  let refused = "";
  await fakeRun({
    runDir: dir,
    onStep: async () => {
      refused ||= await RunDir.open(dir, {}, { resume: true }).then(
        (r) => (r.close(), "opened"),
        (e: Error) => e.message,
      );
    },
  });
  assert.match(refused, /is in use by process/);
  assert.equal(fs.existsSync(path.join(dir, ".lock")), false);
});

test("runLoop: runConfig is saved with the trainer's config; onOpen runs once the folder is locked", async () => {
  const dir = path.join(root, "configured");
  let locked = false;
  await fakeRun({
    runDir: dir,
    runConfig: { dataset: { task: "add" } },
    onOpen: async (d) => {
      locked = fs.existsSync(path.join(d, ".lock", "pid"));
    },
  });
  assert.ok(locked);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")), {
    trainer: "fake",
    steps: STEPS,
    run: { dataset: { task: "add" } },
  });
  await assert.rejects(
    fakeRun({ runDir: dir, resume: true, runConfig: { dataset: { task: "mul" } } }),
    /differs .* run\.dataset\.task: saved "add", now "mul"/,
  );
});

test("runTrainer: the training rows (hashed), the rewards and the starting weights' fingerprint are saved in the run config; a resume with others is refused", async () => {
  const dir = path.join(root, "trainer");
  const rewards = (weight: number): WeightedReward[] => [{ name: "one", fn: (ctx) => ctx.completions.map(() => 1), weight }];
  const trainerRun = async (data: unknown[], weight: number, resume: boolean, frozenValue = 0) => {
    const w = tf.variable(tf.zeros([2]), true);
    const frozen = tf.variable(tf.fill([3], frozenValue), false);
    const trainable = new Map([["w", w]]);
    try {
      const optimizer = new AdamW(trainable);
      const step = async () => ({ metrics: { loss: 0 } });
      const config = { steps: 2, saveEvery: 1 };
      const options = { runDir: dir, resume, runConfig: { model: "m" } };
      const weights = new Map([["frozen", frozen]]);
      return await runTrainer({ name: "fake", config, data, rewards: rewards(weight), trainable, weights, optimizer, step, options });
    } finally {
      w.dispose();
      frozen.dispose();
    }
  };
  await trainerRun([{ prompt: "a" }], 1, false);
  const saved = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")).run;
  assert.deepEqual(Object.keys(saved), ["model", "data", "rewards", "weights"]);
  assert.equal(saved.data.rows, 1);
  assert.deepEqual(saved.rewards, [{ name: "one", weight: 1 }]);
  assert.match(saved.weights, /^[0-9a-f]{16}$/);
  await assert.rejects(trainerRun([{ prompt: "b" }], 1, true), /run\.data\.hash: saved "[0-9a-f]{16}", now "[0-9a-f]{16}"/);
  await assert.rejects(trainerRun([{ prompt: "a" }], 2, true), /run\.rewards: saved \[\{"name":"one","weight":1\}\], now/);
  // Another starting model (here a frozen weight differs) is refused too: the checkpoint holds only the trainable part.
  await assert.rejects(trainerRun([{ prompt: "a" }], 1, true, 0.5), /run\.weights: saved "[0-9a-f]{16}", now "[0-9a-f]{16}"/);
  assert.equal((await trainerRun([{ prompt: "a" }], 1, true)).startStep, 2);
});
