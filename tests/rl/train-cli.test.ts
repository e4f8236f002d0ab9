import { test, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { initBackend } from "../../lib/tensor";
import { tmpDir } from "../helpers/tmp";
import { tinyModelFolder } from "../helpers/tiny-model";

const MAIN = path.resolve(__dirname, "..", "..", "lib", "cli", "main.js");
const dir = tmpDir("rftlab-train-cli-");
const modelDir = path.join(dir, "model");

/** `node -e` running the CLI's main (as bin/rftlab.js does) with single-threaded wasm for determinism across runs. */
function cliArgs(argv: string[]): string[] {
  return ["-e", `require(${JSON.stringify(MAIN)}).main(${JSON.stringify(argv)}).then((c) => process.exit(c))`];
}
const env = { ...process.env, RFTLAB_BACKEND: "wasm" };
function runCli(argv: string[]) {
  return spawnSync(process.execPath, cliArgs(argv), { encoding: "utf8", env });
}

before(async () => {
  await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
  // A tiny random llama over the bundled tokenizer: enough for the CLI's plumbing.
  await tinyModelFolder(modelDir);
});

function writeConfig(name: string, cfg: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(cfg));
  return file;
}

const grpoConfig = {
  model: "model",
  dataset: { task: "add", digits: 1, nTrain: 16, nTest: 8, seed: 5 },
  rewards: [{ name: "correct" }, { name: "tag_count", weight: 0.5 }],
  trainer: { steps: 8, saveEvery: 2, promptsPerStep: 2, numGenerations: 2, lr: 0.01, microBatchSize: 4, sampling: { maxNewTokens: 6 } },
};

const metricsOf = (run: string) =>
  fs
    .readFileSync(path.join(run, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => {
      const { step_time: _t, ...rest } = JSON.parse(l) as Record<string, number>;
      return rest;
    });

test("train grpo: kill -9 after the first checkpoint, --resume, metrics equal an uninterrupted run", async () => {
  const file = writeConfig("grpo.json", grpoConfig);
  const full = path.join(dir, "full");
  const r = runCli(["train", "grpo", "--config", file, "--out", full, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).steps, 8);
  assert.match(r.stderr, /step 8 loss/);

  // The child SIGKILLs itself the moment its first checkpoint's `latest` pointer lands (a wrapped
  // fs.promises.rename, test-only), so the kill point is fixed, not a race with a polling parent.
  const killed = path.join(dir, "killed");
  const killAtLatest =
    'const fs = require("node:fs"); const rename = fs.promises.rename; fs.promises.rename = async (a, b) => { ' +
    'await rename(a, b); if (require("node:path").basename(String(b)) === "latest") process.kill(process.pid, "SIGKILL"); };';
  const [flag, code] = cliArgs(["train", "grpo", "--config", file, "--out", killed]);
  const child = spawn(process.execPath, [flag, killAtLatest + code], { env, stdio: "ignore" });
  const signal = await new Promise((resolve) => child.on("exit", (_code, sig) => resolve(sig)));
  assert.equal(signal, "SIGKILL");
  const before0 = metricsOf(killed).length;
  assert.equal(fs.readFileSync(path.join(killed, "latest"), "utf8").trim(), "step-000002");
  assert.ok(before0 < 8, "the kill came after the run had finished; nothing was resumed");
  const resumed = runCli(["train", "grpo", "--config", file, "--out", killed, "--resume", "--json"]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.ok(JSON.parse(resumed.stdout).resumed_from >= 2, `resumed from ${resumed.stdout}`);
  assert.deepEqual(metricsOf(killed), metricsOf(full), `killed after ${before0} logged steps`);
});

test("train grpo: Ctrl-C stops after a step, checkpoints it, exits 130; --resume equals an uninterrupted run", async () => {
  const file = writeConfig("grpo-int.json", grpoConfig);
  const full = path.join(dir, "full-int");
  assert.equal(runCli(["train", "grpo", "--config", file, "--out", full]).status, 0);
  const stopped = path.join(dir, "ctrl-c");
  const child = spawn(process.execPath, cliArgs(["train", "grpo", "--config", file, "--out", stopped]), {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  // Complete lines only: the file may be read while a line is being written.
  const logged = () =>
    fs.existsSync(path.join(stopped, "metrics.jsonl"))
      ? fs.readFileSync(path.join(stopped, "metrics.jsonl"), "utf8").split("\n").length - 1
      : 0;
  while (logged() < 1 && child.exitCode === null) await new Promise((res) => setTimeout(res, 20));
  child.kill("SIGINT");
  const code = await new Promise((res) => child.on("exit", res));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted; a run folder continues with --resume/);
  const steps = logged();
  assert.ok(steps < 8, "the interrupt came after the run had finished");
  const checkpoints = fs.readdirSync(path.join(stopped, "checkpoints")).map((n) => Number(n.slice(5)));
  assert.equal(Math.max(...checkpoints), steps, "the last logged step is checkpointed");
  assert.equal(runCli(["train", "grpo", "--config", file, "--out", stopped, "--resume"]).status, 0);
  assert.deepEqual(metricsOf(stopped), metricsOf(full));
});

test("train: bad config fields give one-line errors naming field, value and fix (exit 2)", () => {
  const cases: [unknown, RegExp][] = [
    [{ ...grpoConfig, rewards: [{ name: "nope" }] }, /rewards\[0\]\.name = "nope".*correct, format, tag_count/],
    [{ ...grpoConfig, dataset: { task: "nosuch" } }, /dataset\.task = "nosuch"/],
    [{ ...grpoConfig, model: "missing-folder" }, /model = "missing-folder".*config\.json/],
    [{ ...grpoConfig, trainer: { numGenerations: 1 } }, /numGenerations must be an integer ≥ 2/],
    [{ ...grpoConfig, extra: 1 }, /config\.extra is not a config field/],
    // issue 12: typos, nulls and wrong types fail before the backend starts instead of training with defaults
    [{ ...grpoConfig, trainer: { learning_rat: 0.1 } }, /^GrpoConfig\.learning_rat is not a config field \(did you mean "lr"\?\)/],
    [{ ...grpoConfig, trainer: { sampling: { max_new_tokens: 4 } } }, /GrpoConfig\.sampling\.max_new_tokens .*"maxNewTokens"/],
    [{ ...grpoConfig, trainer: { loss: { epsilon_low: 0.1 } } }, /GrpoConfig\.loss\.epsilon_low .*"epsilonLow"/],
    [{ ...grpoConfig, trainer: null }, /GrpoConfig must be an object of config fields; got null/],
    [{ ...grpoConfig, trainer: { maxGradNorm: null } }, /GrpoConfig\.maxGradNorm must not be null/],
    [
      { ...grpoConfig, rewards: [{ name: "correct", wieght: 2 }] },
      /rewards\[0\]\.wieght is not a config field \(did you mean "weight"\?\)/,
    ],
    [null, /^rftlab train: config must be an object of config fields; got null/],
    // the dataset too: its own fields and the task's difficulty options, with the field a typo meant
    [
      { ...grpoConfig, dataset: { task: "add", digts: 1 } },
      /^rftlab train: config\.dataset\.digts is not a config field \(did you mean "digits"\?\)/,
    ],
    [
      { ...grpoConfig, dataset: { ...grpoConfig.dataset, n_train: 16 } },
      /^rftlab train: config\.dataset\.n_train is not a config field \(did you mean "nTrain"\?\); fields: task, seed, style, nTrain, nTest, digits/,
    ],
    [
      { ...grpoConfig, dataset: { ...grpoConfig.dataset, seed: "5" } },
      /^rftlab train: config\.dataset\.seed must be a number like 0; got "5"/,
    ],
    [
      { ...grpoConfig, dataset: { jsonl: "rows.jsonl", tsk: "add" } },
      /^rftlab train: config\.dataset\.tsk is not a config field \(did you mean "jsonl"\?\)/,
    ],
    // resource sanity: an estimate against the backend's memory before sampling, not a 7 GB heap
    [
      { ...grpoConfig, trainer: { ...grpoConfig.trainer, numGenerations: 1e8 } },
      /^generate: a batch of [12]00000000 sequences \(equal-length prompts × numGenerations 100000000\) of up to \d+ \+ 6 tokens needs ≈ .* GiB \(estimate\) but ≈ .* GiB is available/,
    ],
  ];
  cases.forEach(([cfg, re], i) => {
    const r = runCli(["train", "grpo", "--config", writeConfig(`bad${i}.json`, cfg), "--out", path.join(dir, `bad${i}`)]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  });
  const dpoConfig = { ...grpoConfig, trainer: { steps: 2 } };
  const dpo = runCli(["train", "dpo", "--config", writeConfig("dpo.json", dpoConfig), "--out", path.join(dir, "dpo")]);
  assert.equal(dpo.status, 2);
  assert.match(dpo.stderr, /dpo needs rows with a string "chosen"/);
  const bta = runCli([
    "train",
    "dpo",
    "--config",
    writeConfig("bta.json", { ...dpoConfig, trainer: { dpo: { bta: 0.1 } } }),
    "--out",
    path.join(dir, "bta"),
  ]);
  assert.equal(bta.status, 2);
  assert.match(bta.stderr, /^DpoConfig\.dpo\.bta is not a config field \(did you mean "beta"\?\)/);
});

test("train grpo with loss.beta > 0 builds the frozen reference itself (as dpo does) and logs the KL", () => {
  const file = writeConfig("grpo-kl.json", { ...grpoConfig, trainer: { ...grpoConfig.trainer, steps: 2, loss: { beta: 0.1 } } });
  const run = path.join(dir, "grpo-kl");
  const r = runCli(["train", "grpo", "--config", file, "--out", run, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const rows = metricsOf(run);
  assert.equal(rows.length, 2);
  assert.ok(
    rows.every((m) => Number.isFinite(m.kl) && m.kl >= 0),
    JSON.stringify(rows),
  );
});

test("train sft on a bundled task writes a run folder", () => {
  const file = writeConfig("sft.json", {
    model: "model",
    dataset: { task: "add", digits: 1, nTrain: 8, nTest: 4 },
    trainer: { steps: 2, batchSize: 4, lr: 0.01 },
  });
  const r = runCli(["train", "sft", "--config", file, "--out", path.join(dir, "sft"), "--json"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(metricsOf(path.join(dir, "sft")).length, 2);
});

test("train: resuming with another dataset or rewards is refused, naming what differs; a refused run leaves model.json alone", () => {
  const file = writeConfig("grpo-a.json", { ...grpoConfig, trainer: { ...grpoConfig.trainer, steps: 2 } });
  const out = path.join(dir, "config-change");
  assert.equal(runCli(["train", "grpo", "--config", file, "--out", out]).status, 0);
  const modelJson = fs.readFileSync(path.join(out, "model.json"), "utf8");
  const cases: [string, unknown, RegExp][] = [
    ["dataset", { ...grpoConfig, dataset: { ...grpoConfig.dataset, task: "mul" } }, /run\.dataset\.task: saved "add", now "mul"/],
    ["rewards", { ...grpoConfig, rewards: [{ name: "correct" }] }, /run\.rewards/],
    ["model", { ...grpoConfig, model: "elsewhere" }, /run\.model: saved ".*model", now ".*elsewhere"/],
  ];
  fs.cpSync(modelDir, path.join(dir, "elsewhere"), { recursive: true });
  for (const [what, cfg, re] of cases) {
    const r = runCli(["train", "grpo", "--config", writeConfig(`grpo-${what}.json`, cfg), "--out", out, "--resume"]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, re);
    assert.match(r.stderr, /start fresh with a new --out/);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.equal(fs.readFileSync(path.join(out, "model.json"), "utf8"), modelJson, what);
  }
  const again = runCli(["train", "grpo", "--config", writeConfig("grpo-other.json", { ...grpoConfig, model: "elsewhere" }), "--out", out]);
  assert.match(again.stderr, /already holds a run/);
  assert.equal(fs.readFileSync(path.join(out, "model.json"), "utf8"), modelJson);
});

test("train: a --resume started while the run goes on is refused, naming the folder and the running pid", async () => {
  const file = writeConfig("grpo-long.json", { ...grpoConfig, trainer: { ...grpoConfig.trainer, steps: 400 } });
  const out = path.join(dir, "locked");
  const child = spawn(process.execPath, cliArgs(["train", "grpo", "--config", file, "--out", out]), { env, stdio: "ignore" });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  try {
    while (!fs.existsSync(path.join(out, "metrics.jsonl")) && child.exitCode === null) await new Promise((res) => setTimeout(res, 20));
    const r = runCli(["train", "grpo", "--config", file, "--out", out, "--resume"]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`run folder ${out} is in use by process ${child.pid}`));
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  } finally {
    child.kill("SIGKILL");
    await exited;
  }
});

test("train and pretrain: an --out that is a file is a one-line error (exit 2)", () => {
  const file = path.join(dir, "a-file");
  fs.writeFileSync(file, "x");
  const pretrainCfg = path.join(dir, "pretrain.json");
  fs.writeFileSync(
    pretrainCfg,
    JSON.stringify({ model: { family: "llama", dModel: 16, nLayers: 1, nHeads: 2 }, steps: 2, warmupSteps: 1 }),
  );
  for (const argv of [
    ["train", "grpo", "--config", writeConfig("grpo-file.json", grpoConfig), "--out", file],
    ["pretrain", "--config", pretrainCfg, "--out", file],
  ]) {
    const r = runCli(argv);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /not a folder; choose another/);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});
