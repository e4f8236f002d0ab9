import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { readRunLayout, writeSafetensors, CheckpointError } from "../../lib/io";
import type { RunLayout } from "../../lib/io";
import { torchAvailable } from "../helpers/python";
import { tmpDir } from "../helpers/tmp";
import { copyRun, type Engine, type RunFixture, STEPS, writeRunFixture } from "../helpers/run-fixture";

/** The one problem whose message matches `re` (fails listing all problems otherwise). */
function problem(layout: RunLayout, re: RegExp) {
  const found = layout.problems.filter((p) => re.test(p.message));
  assert.equal(found.length, 1, `one problem matching ${re}; got:\n${layout.problems.map((p) => p.message).join("\n")}`);
  return found[0];
}
const steps = (l: RunLayout) => l.checkpoints.map((c) => c.step);

describe("readRunLayout on a run written in each engine's layout", { skip: !torchAvailable() && "torch not available" }, () => {
  let fx: RunFixture;
  before(() => {
    fx = writeRunFixture();
  });

  test("every layout: five steps in order, weights folders, the base from config.json, no problems", () => {
    const weightsOf: Record<Engine, (s: number) => string> = {
      trl: (s) => path.join(fx.runs.trl, `checkpoint-${s}`),
      verl: (s) => path.join(fx.runs.verl, `global_step_${s}`, "actor", "huggingface"),
      openrlhf: (s) => path.join(fx.runs.openrlhf, `global_step${s}_hf`),
      plain: (s) => path.join(fx.runs.plain, `step-${s}`),
    };
    for (const engine of ["trl", "verl", "openrlhf", "plain"] as const) {
      const l = readRunLayout(fx.runs[engine]);
      assert.equal(l.engine, engine);
      assert.deepEqual(steps(l), STEPS, engine);
      assert.deepEqual(
        l.checkpoints.map((c) => c.weights),
        STEPS.map(weightsOf[engine]),
        engine,
      );
      assert.ok(l.checkpoints.every((c) => c.adapter === undefined));
      assert.deepEqual(l.problems, [], engine);
      // plain folders carry no config.json in the fixture: no base unless given
      assert.equal(l.base, engine === "plain" ? undefined : fx.base, engine);
    }
    const trl = readRunLayout(fx.runs.trl);
    assert.equal(trl.checkpoints[0].trainerState, path.join(fx.runs.trl, "checkpoint-100", "trainer_state.json"));
    assert.equal(trl.checkpoints[0].path, path.join(fx.runs.trl, "checkpoint-100"));
    assert.equal(readRunLayout(fx.runs.verl).checkpoints[0].path, path.join(fx.runs.verl, "global_step_100", "actor"));
    assert.equal(readRunLayout(fx.runs.plain, { base: "given" }).base, "given");
  });

  test("TRL: a checkpoint still being written, a missing step and an absent shard of the last one are problems; the rest is read", () => {
    const run = copyRun(fx, "trl");
    fs.cpSync(path.join(run, "checkpoint-100"), path.join(run, "tmp-checkpoint-600"), { recursive: true });
    fs.rmSync(path.join(run, "checkpoint-300"), { recursive: true });
    fs.rmSync(path.join(run, "checkpoint-500", "model-00002-of-00002.safetensors"));
    fs.rmSync(path.join(run, "checkpoint-400", "trainer_state.json"));
    const l = readRunLayout(run);
    assert.deepEqual(steps(l), [100, 200, 400]);
    assert.equal(problem(l, /still being written/).step, 600);
    assert.match(problem(l, /step 300 is missing/).message, /every 100/);
    const shard = problem(l, /missing shard/);
    assert.equal(shard.step, 500);
    assert.match(shard.message, /model-00002-of-00002\.safetensors/);
    assert.equal(problem(l, /no trainer_state\.json/).step, 400);
    assert.equal(l.checkpoints[2].trainerState, undefined);
  });

  test("TRL: trainer_state.json with another global_step, and the final model in output_dir", () => {
    const run = copyRun(fx, "trl");
    fs.writeFileSync(path.join(run, "checkpoint-200", "trainer_state.json"), JSON.stringify({ global_step: 250 }));
    fs.cpSync(path.join(run, "checkpoint-100", "model.safetensors"), path.join(run, "model.safetensors"));
    let l = readRunLayout(run);
    assert.match(problem(l, /global_step 250/).message, /folder name's step is used/);
    assert.match(problem(l, /final model/).message, /no step/);
    fs.writeFileSync(path.join(run, "trainer_state.json"), JSON.stringify({ global_step: 520 }));
    l = readRunLayout(run);
    assert.deepEqual(steps(l), [...STEPS, 520]);
    assert.equal(l.checkpoints[5].weights, run);
  });

  test("verl: FSDP-only steps get the model-merger command, never an unpickle; a lost latest step is named", () => {
    const run = copyRun(fx, "verl");
    fs.rmSync(path.join(run, "global_step_200", "actor", "huggingface", "model.safetensors"));
    fs.rmSync(path.join(run, "global_step_300", "actor", "huggingface"), { recursive: true });
    fs.rmSync(path.join(run, "global_step_300", "actor", "model_world_size_2_rank_1.pt"));
    fs.rmSync(path.join(run, "global_step_500"), { recursive: true });
    const l = readRunLayout(run);
    assert.deepEqual(steps(l), [100, 400]);
    const actor = path.join(run, "global_step_200", "actor");
    const p200 = l.problems.find((p) => p.step === 200)!;
    assert.equal(
      p200.message,
      "step 200 has only FSDP shards model_world_size_2_rank_*.pt: PyTorch pickles, which rftlab never unpickles (loading one runs code); " +
        `convert with verl's model merger: python -m verl.model_merger merge --backend fsdp --local_dir ${actor} --target_dir ${path.join(actor, "huggingface")}`,
    );
    assert.match(l.problems.find((p) => p.step === 300)!.message, /only 1 of 2 rank shards present/);
    assert.match(problem(l, /latest_checkpointed_iteration|names step 500/).message, /global_step_500\/actor is missing/);
  });

  test("verl: a LoRA adapter in lora_adapter/ (safetensors) is found; a pickled adapter is a problem", () => {
    const run = copyRun(fx, "verl");
    const lora = path.join(run, "global_step_100", "actor", "lora_adapter");
    fs.mkdirSync(lora);
    fs.writeFileSync(path.join(lora, "adapter_config.json"), JSON.stringify({ r: 4, lora_alpha: 8, base_model_name_or_path: fx.base }));
    fs.writeFileSync(path.join(lora, "adapter_model.safetensors"), "");
    const pickled = path.join(run, "global_step_200", "actor", "lora_adapter");
    fs.mkdirSync(pickled);
    fs.writeFileSync(path.join(pickled, "adapter_config.json"), "{}");
    fs.writeFileSync(path.join(pickled, "adapter_model.bin"), "");
    const l = readRunLayout(run);
    assert.equal(l.checkpoints[0].adapter, lora);
    assert.ok(l.checkpoints[0].weights);
    assert.match(problem(l, /adapter_model\.bin/).message, /safe_serialization=True/);
    assert.deepEqual(steps(l), STEPS, "the step with a pickled adapter still has its full weights");
  });

  test("OpenRLHF: a DeepSpeed-only step gets the zero_to_fp32.py command; adapter-only steps count", async () => {
    const run = copyRun(fx, "openrlhf");
    fs.rmSync(path.join(run, "global_step300_hf"), { recursive: true });
    const hf = path.join(run, "global_step200_hf");
    fs.rmSync(path.join(hf, "model.safetensors"));
    fs.writeFileSync(path.join(hf, "adapter_config.json"), JSON.stringify({ base_model_name_or_path: fx.base }));
    await writeSafetensors(path.join(hf, "adapter_model.safetensors"), [
      { name: "a", dtype: "F32", shape: [1], data: new Float32Array([1]) },
    ]);
    const l = readRunLayout(run);
    assert.deepEqual(steps(l), [100, 200, 400, 500]);
    assert.equal(l.checkpoints[1].adapter, hf);
    assert.equal(l.checkpoints[1].weights, undefined, "an adapter's safetensors are not full weights");
    const ds = problem(l, /DeepSpeed checkpoint/);
    assert.equal(ds.step, 300);
    assert.match(ds.message, /zero_to_fp32\.py .*--tag global_step300/);
    assert.match(ds.message, /never unpickles/);
  });

  test("plain: folders without a step number, a single checkpoint, and a base named but absent", () => {
    const run = copyRun(fx, "plain");
    fs.cpSync(path.join(run, "step-100"), path.join(run, "final"), { recursive: true });
    fs.writeFileSync(path.join(run, "step-100", "config.json"), JSON.stringify({ _name_or_path: "nobody/absent-model" }));
    const l = readRunLayout(run, {});
    assert.deepEqual(steps(l), STEPS);
    assert.match(problem(l, /no step number/).message, /final/);
    assert.match(problem(l, /nobody\/absent-model/).message, /pass --base/);
    assert.equal(l.base, undefined);
    const single = readRunLayout(path.join(run, "step-100"));
    assert.deepEqual(single.checkpoints, []);
    assert.match(problem(single, /single checkpoint/).message, /rftlab diff/);
  });

  test("the base named by org/name is found in the hub cache", () => {
    const run = copyRun(fx, "plain");
    const hub = tmpDir("rftlab-hub-");
    const repo = path.join(hub, "models--org--tiny-base");
    fs.mkdirSync(path.join(repo, "snapshots"), { recursive: true });
    fs.cpSync(fx.base, path.join(repo, "snapshots", "abc"), { recursive: true });
    fs.writeFileSync(path.join(run, "step-100", "config.json"), JSON.stringify({ _name_or_path: "org/tiny-base" }));
    const saved = process.env.HF_HUB_CACHE;
    process.env.HF_HUB_CACHE = hub;
    try {
      assert.equal(readRunLayout(run).base, path.join(repo, "snapshots", "abc"));
    } finally {
      if (saved === undefined) delete process.env.HF_HUB_CACHE;
      else process.env.HF_HUB_CACHE = saved;
    }
  });
});

test("readRunLayout throws only when the run folder is not a folder; an empty folder is an empty plain run", () => {
  const d = tmpDir("rftlab-run-empty-");
  assert.throws(
    () => readRunLayout(path.join(d, "absent")),
    (e: unknown) => e instanceof CheckpointError && /not a folder/.test((e as Error).message),
  );
  const l = readRunLayout(d);
  assert.deepEqual(
    { engine: l.engine, checkpoints: l.checkpoints, problems: l.problems },
    { engine: "plain", checkpoints: [], problems: [] },
  );
});
