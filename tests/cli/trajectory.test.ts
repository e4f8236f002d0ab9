import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { torchAvailable } from "../helpers/python";
import { runCli } from "../helpers/cli";
import { tmpDir } from "../helpers/tmp";
import { copyRun, type RunFixture, STEPS, writeRunFixture } from "../helpers/run-fixture";

describe("rftlab trajectory", { skip: !torchAvailable() && "torch not available" }, () => {
  let fx: RunFixture;
  before(() => {
    fx = writeRunFixture();
  });

  test("--json: exactly the documented keys, sorted by step, counts as torch's; the base from the run's config", () => {
    const cache = tmpDir("rftlab-cli-traj-");
    const r = runCli(["trajectory", fx.runs.verl, "--json", "--cache", cache]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(out), ["base", "checkpoints"]);
    assert.equal(out.base, fx.base);
    assert.deepEqual(
      out.checkpoints.map((c: { step: number }) => c.step),
      STEPS,
    );
    for (const c of out.checkpoints) {
      assert.deepEqual(Object.keys(c), ["step", "path", "overall", "tensors"]);
      assert.equal(c.path, path.join(fx.runs.verl, `global_step_${c.step}`, "actor"));
      assert.deepEqual(Object.keys(c.overall), ["sparsity", "exactZero", "relativeNorm"]);
      const ref = fx.checkpoints.find((x) => x.step === c.step)!.native.tensors;
      for (const t of c.tensors) {
        assert.deepEqual(Object.keys(t), ["name", "numel", "sparsity", "exactZero"]);
        assert.equal(t.sparsity, ref[t.name].unchanged / ref[t.name].numel);
        assert.equal(t.exactZero, ref[t.name].exactZero / ref[t.name].numel);
      }
    }
    const again = runCli(["trajectory", fx.runs.verl, "--json", "--cache", cache]);
    assert.equal(again.stdout, r.stdout, "a cached re-run prints the same JSON");
    assert.match(again.stderr, /step 500 \(cached\)/);
  });

  test("text: per-module and per-layer tables; problems of a partial run on stderr; --rank adds ranks", () => {
    const run = copyRun(fx, "openrlhf");
    fs.rmSync(path.join(run, "global_step300_hf"), { recursive: true });
    const r = runCli(["trajectory", run, "--no-cache", "--rank", "layers\\.0\\.self_attn"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^step\s+sparsity\s+exact0\s+‖Δ‖\/‖θ₀‖\s+down\s+embed\s+norm\s+q\s+up\s+cached/m);
    assert.match(r.stdout, /mean sparsity per layer/);
    assert.match(r.stdout, /rank of ΔW:[\s\S]*model\.layers\.0\.self_attn\.q_proj\.weight/);
    assert.match(r.stdout, /4 checkpoints against/);
    assert.match(r.stderr, /step 300 has only a DeepSpeed checkpoint/);
    assert.match(r.stderr, /step 300 is missing/);
  });

  test("a run without a base in its configs asks for --base; --base works", () => {
    const r = runCli(["trajectory", fx.runs.plain, "--no-cache"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /pass --base/);
    const ok = runCli(["trajectory", fx.runs.plain, "--no-cache", "--json", "--base", fx.base, "--precision", "fp16"]);
    assert.equal(ok.code, 0, ok.stderr);
    const c = JSON.parse(ok.stdout).checkpoints[4];
    const ref = fx.checkpoints[4].fp16.tensors["model.embed_tokens.weight"];
    assert.equal(c.tensors[0].sparsity, ref.unchanged / ref.numel);
  });
});
