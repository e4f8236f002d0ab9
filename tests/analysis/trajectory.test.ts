import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { openCheckpoint, readRunLayout, ResultCache, writeSafetensors } from "../../lib/io";
import { weightTrajectory, resolveTrajectoryConfig, DEFAULT_CHECKPOINT_DIFF_CONFIG } from "../../lib/analysis";
import type { TrajectoryInput, TrajectoryResult } from "../../lib/analysis";
import { torchAvailable } from "../helpers/python";
import { tmpDir } from "../helpers/tmp";
import { assertMatchesReference, copyRun, type RunFixture, STEPS, writeRunFixture } from "../helpers/run-fixture";

const inputsOf = (run: string): TrajectoryInput[] =>
  readRunLayout(run).checkpoints.map((c) => ({ step: c.step, path: c.path, weights: c.weights! }));

function assertMatchesTorch(r: TrajectoryResult, fx: RunFixture, precision: "native" | "fp16", what: string): void {
  assertMatchesReference(r, STEPS, (step) => fx.checkpoints.find((x) => x.step === step)![precision], what);
}

describe("weightTrajectory against torch on a 5-checkpoint bf16 run", { skip: !torchAvailable() && "torch not available" }, () => {
  let fx: RunFixture;
  before(() => {
    fx = writeRunFixture();
  });

  test("counts equal torch's exactly in every layout (native bf16), relative norms to 1e-9", async () => {
    for (const engine of ["trl", "verl", "openrlhf", "plain"] as const) {
      const r = await weightTrajectory(fx.base, inputsOf(fx.runs[engine]));
      assertMatchesTorch(r, fx, "native", engine);
      assert.deepEqual(r.problems, []);
    }
  });

  test("fp16 precision and small chunks give torch's fp16 counts; ranks of the selected matrices match torch", async () => {
    const r = await weightTrajectory(fx.base, inputsOf(fx.runs.trl), { precision: "fp16", chunkBytes: 100, rankPattern: "q_proj" });
    assertMatchesTorch(r, fx, "fp16", "trl fp16");
    for (const c of r.checkpoints) {
      const ref = fx.checkpoints.find((x) => x.step === c.step)!.ranks;
      assert.deepEqual(Object.fromEntries(c.ranks.map((k) => [k.name, k.rank])), ref, `step ${c.step}`);
    }
  });

  test("defaults are rftlab diff's; bad settings are errors naming the field", () => {
    const c = resolveTrajectoryConfig();
    assert.deepEqual(
      { tol: c.tol, precision: c.precision, chunkBytes: c.chunkBytes },
      {
        tol: DEFAULT_CHECKPOINT_DIFF_CONFIG.tol,
        precision: DEFAULT_CHECKPOINT_DIFF_CONFIG.precision,
        chunkBytes: DEFAULT_CHECKPOINT_DIFF_CONFIG.chunkBytes,
      },
    );
    assert.throws(() => resolveTrajectoryConfig({ rankPattern: "(" }), /rankPattern must be a regular expression/);
    assert.throws(() => resolveTrajectoryConfig({ tol: -1 }), /tol/);
  });

  test("a re-run after a new checkpoint opens only the base and the new checkpoint; cached results equal fresh ones", async () => {
    const run = copyRun(fx, "plain");
    const newest = path.join(path.dirname(run), "step-500");
    fs.renameSync(path.join(run, "step-500"), newest); // not saved yet
    const cache = new ResultCache(tmpDir("rftlab-traj-cache-"));
    const opened: string[] = [];
    const open = (p: string) => {
      opened.push(path.basename(p));
      return openCheckpoint(p);
    };
    const first = await weightTrajectory(fx.base, inputsOf(run), {}, { cache, open });
    assert.deepEqual(opened, ["base", "step-100", "step-200", "step-300", "step-400"]);
    assert.ok(first.checkpoints.every((c) => !c.fromCache && c.bytesRead > 0));

    fs.renameSync(newest, path.join(run, "step-500")); // the trainer saves step 500
    opened.length = 0;
    const second = await weightTrajectory(fx.base, inputsOf(run), {}, { cache, open });
    assert.deepEqual(opened, ["base", "step-500"], "only the new checkpoint (and the base) are opened");
    assert.deepEqual(
      second.checkpoints.map((c) => c.fromCache),
      [true, true, true, true, false],
    );
    assertMatchesTorch(second, fx, "native", "cached + new");
    const strip = (r: TrajectoryResult) => r.checkpoints.map(({ fromCache, bytesRead, ...rest }) => rest);
    assert.deepEqual(strip(second).slice(0, 4), strip(first));

    opened.length = 0;
    const third = await weightTrajectory(fx.base, inputsOf(run), {}, { cache, open });
    assert.deepEqual(opened, [], "nothing is opened when every checkpoint is cached");
    assert.ok(third.checkpoints.every((c) => c.fromCache));

    // Another precision, or a rewritten checkpoint, is not served from the cache.
    opened.length = 0;
    await weightTrajectory(fx.base, inputsOf(run), { precision: "fp16" }, { cache, open });
    assert.equal(opened.length, 6);
    const f = path.join(run, "step-100", "model.safetensors");
    fs.utimesSync(f, new Date(), new Date(Date.now() + 5000));
    opened.length = 0;
    await weightTrajectory(fx.base, inputsOf(run), {}, { cache, open });
    assert.deepEqual(opened, ["base", "step-100"]);
  });

  test("a truncated checkpoint (still being written) and an unrelated model are problems; the rest is measured", async () => {
    const run = copyRun(fx, "trl");
    const f = path.join(run, "checkpoint-400", "model.safetensors");
    fs.truncateSync(f, fs.statSync(f).size - 100);
    const other = path.join(run, "checkpoint-300", "model.safetensors");
    await writeSafetensors(other, [{ name: "x.weight", dtype: "F32", shape: [2], data: new Float32Array([1, 2]) }]);
    const r = await weightTrajectory(fx.base, inputsOf(run));
    assert.deepEqual(
      r.checkpoints.map((c) => c.step),
      [100, 200, 500],
    );
    assert.deepEqual(
      r.problems.map((p) => p.step),
      [300, 400],
    );
    assert.match(r.problems[0].message, /no tensor of the same name and shape/);
    assert.match(r.problems[1].message, /checkpoint-400/);
    await assert.rejects(weightTrajectory(path.join(run, "absent"), inputsOf(run)), /no such file or folder/);
  });
});
