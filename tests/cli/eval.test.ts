import { test, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { initBackend } from "../../lib/tensor";
import { wilson } from "../../lib/stats";
import { tmpDir } from "../helpers/tmp";
import { tinyModelFolder } from "../helpers/tiny-model";
import { runCli } from "../helpers/cli";

const dir = tmpDir("rftlab-eval-cli-");
const modelDir = path.join(dir, "model");
const env = { RFTLAB_BACKEND: "wasm" };

before(async () => {
  await initBackend("wasm");
  await tinyModelFolder(modelDir);
});

test("eval <model folder> --json: the documented contract, Wilson interval of the accuracy", () => {
  const r = runCli(["eval", modelDir, "--task", "add", "--n", "8", "--json"], env);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out), ["task", "n", "samples", "temperature", "seed", "accuracy", "ci95"]);
  assert.deepEqual([out.task, out.n, out.samples, out.temperature, out.seed], ["add", 8, 1, 0, 0]);
  const w = wilson(Math.round(out.accuracy * 8), 8);
  assert.deepEqual(out.ci95, [w.lo, w.hi]);
});

test("eval --samples 3: sampled at temperature 1 by default, with pass@k", () => {
  const r = runCli(["eval", modelDir, "--task", "max", "--n", "4", "--samples", "3", "--seed", "2", "--json"], env);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual([out.samples, out.temperature, out.k], [3, 1, 3]);
  assert.ok(out.passAtK >= out.accuracy && out.passAtK <= 1, r.stdout);
});

test("eval <run folder>: the newest checkpoint over the run's base model", () => {
  const cfg = path.join(dir, "sft.json");
  fs.writeFileSync(
    cfg,
    JSON.stringify({
      model: "model",
      dataset: { task: "add", digits: 1, nTrain: 8, nTest: 4 },
      trainer: { steps: 2, batchSize: 4, lr: 0.05 },
    }),
  );
  const run = path.join(dir, "run");
  assert.equal(runCli(["train", "sft", "--config", cfg, "--out", run], env).code, 0);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(run, "model.json"), "utf8")), { model: modelDir });
  const r = runCli(["eval", run, "--task", "add", "--n", "4", "--json"], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).n, 4);
});

test("bad input: exit 2 with one line naming the argument and the fix", () => {
  const cases: [string[], RegExp][] = [
    [["eval", modelDir], /rftlab eval: --task <name> is required/],
    [["eval", modelDir, "--task", "ad"], /rftlab eval: --task: unknown task "ad" \(did you mean "add"\?\)/],
    [
      ["eval", path.join(dir, "nowhere"), "--task", "add"],
      /rftlab eval: <model> = ".*nowhere" is neither a zoo name \(pretrained-tiny, tiny-base, tiny-instruct\) nor a folder with config\.json/,
    ],
    [["eval", modelDir, "--task", "add", "--samples", "2", "--temperature", "0"], /--samples 2 needs --temperature > 0/],
    [["eval", modelDir, "--task", "add", "--n", "0"], /--n must be an integer ≥ 1; got "0"/],
    [["eval"], /rftlab eval: missing <model>/],
  ];
  for (const [argv, re] of cases) {
    const r = runCli(argv, env);
    assert.equal(r.code, 2, `${argv.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});
