// Trajectories of runs whose checkpoints hold only a PEFT LoRA adapter: each adapter is merged into the base
// (W + s·B·A) and measured like full weights, against PyTorch's merge (tests/reference/io-adapter-run.py).
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { readRunLayout, ResultCache, writeSafetensors } from "../../lib/io";
import { weightTrajectory, type TrajectoryResult } from "../../lib/analysis";
import { openMergedAdapter } from "../../lib/peft";
import { torchAvailable } from "../helpers/python";
import { runCli } from "../helpers/cli";
import { tmpDir } from "../helpers/tmp";
import { ADAPTER_STEPS, type AdapterRunFixture, assertMatchesReference, writeAdapterRunFixture } from "../helpers/run-fixture";

function assertMatchesTorch(r: TrajectoryResult, fx: AdapterRunFixture, precision: "native" | "bf16"): void {
  assertMatchesReference(r, ADAPTER_STEPS, (step) => fx.checkpoints.find((x) => x.step === step)![precision], precision);
}

describe("weightTrajectory over adapter-only checkpoints", { skip: !torchAvailable() && "torch not available" }, () => {
  let fx: AdapterRunFixture;
  before(() => {
    fx = writeAdapterRunFixture();
  });

  test("the layout finds adapters only and the base the adapters name", () => {
    const layout = readRunLayout(fx.run);
    assert.equal(layout.engine, "trl");
    assert.equal(layout.base, fx.base);
    assert.ok(layout.checkpoints.every((c) => c.adapter && !c.weights));
  });

  test("merged counts equal torch's exactly (native float32 merge and bf16), relative norms to 1e-9", async () => {
    const layout = readRunLayout(fx.run);
    for (const precision of ["native", "bf16"] as const) {
      const r = await weightTrajectory(layout.base!, layout.checkpoints, { precision }, { openAdapter: openMergedAdapter });
      assert.deepEqual(r.problems, []);
      assertMatchesTorch(r, fx, precision);
      // Only the adapted matrices moved: the embedding and norms are exactly unchanged.
      const embed = r.checkpoints[0].tensors.find((t) => t.name === "model.embed_tokens.weight")!;
      assert.equal(embed.exactZero, embed.numel);
    }
  });

  test("cached per adapter: a re-run opens no adapter; a rewritten adapter is measured again", async () => {
    const layout = readRunLayout(fx.run);
    const cache = new ResultCache(tmpDir("rftlab-traj-adapter-cache-"));
    const opened: string[] = [];
    const openAdapter: typeof openMergedAdapter = (dir, base) => {
      opened.push(path.basename(dir));
      return openMergedAdapter(dir, base);
    };
    const first = await weightTrajectory(layout.base!, layout.checkpoints, {}, { cache, openAdapter });
    assert.deepEqual(opened, ["checkpoint-10", "checkpoint-20", "checkpoint-30"]);
    opened.length = 0;
    const second = await weightTrajectory(layout.base!, layout.checkpoints, {}, { cache, openAdapter });
    assert.deepEqual(opened, []);
    assert.ok(second.checkpoints.every((c) => c.fromCache));
    assertMatchesTorch(second, fx, "native");
    assert.deepEqual(
      second.checkpoints.map((c) => c.overall.relativeNorm),
      first.checkpoints.map((c) => c.overall.relativeNorm),
    );
    const f = path.join(fx.run, "checkpoint-20", "adapter_config.json");
    fs.utimesSync(f, new Date(), new Date(Date.now() + 5000));
    opened.length = 0;
    await weightTrajectory(layout.base!, layout.checkpoints, {}, { cache, openAdapter });
    assert.deepEqual(opened, ["checkpoint-20"]);
  });

  test("without openAdapter: an error saying what to pass; an adapter for another model is that step's problem", async () => {
    const layout = readRunLayout(fx.run);
    await assert.rejects(weightTrajectory(layout.base!, layout.checkpoints), /step 10 has only a PEFT adapter .*pass options\.openAdapter/);
    const other = path.join(tmpDir("rftlab-other-base-"), "other.safetensors");
    await writeSafetensors(other, [{ name: "model.embed_tokens.weight", dtype: "F32", shape: [64, 32], data: new Float32Array(64 * 32) }]);
    const r = await weightTrajectory(other, layout.checkpoints.slice(0, 1), {}, { openAdapter: openMergedAdapter });
    assert.deepEqual(r.checkpoints, []);
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0].message, /module model\.layers\.0\.self_attn\.q_proj has no weight in/);
  });

  test("rftlab trajectory reads the adapter run: JSON counts as torch's, base from adapter_config.json", () => {
    const r = runCli(["trajectory", fx.run, "--json", "--no-cache", "--precision", "bf16"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.base, fx.base);
    for (const c of out.checkpoints) {
      const ref = fx.checkpoints.find((x) => x.step === c.step)!.bf16;
      for (const t of c.tensors) assert.equal(t.sparsity, ref.tensors[t.name].unchanged / ref.tensors[t.name].numel, `${c.step} ${t.name}`);
    }
    assert.doesNotMatch(r.stderr, /only a PEFT adapter/);
  });
});
