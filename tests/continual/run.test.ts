// The continual runner (lib/continual): every method on a tiny model, kill-and-resume, config errors, the CLI.
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { tf, initBackend } from "../../lib/tensor";
import { createModel, resolveModelConfig, saveModel, type Transformer } from "../../lib/model";
import { loadTokenizer, saveTokenizer, readCorpus, bundledDatasetsDir } from "../../lib/io";
import {
  runContinual,
  replayRun,
  resolveContinualConfig,
  continualTaskData,
  CONTINUAL_METHODS,
  type ContinualConfig,
  type ContinualConfigInput,
  type ContinualMethod,
  type ContinualTask,
  type StageRecord,
} from "../../lib/continual";
import { readAccuracyMatrix } from "../../lib/forgetting";
import { evaluateTask } from "../../lib/evaluation";
import { RftlabError } from "../../lib/errors";
import { tmpDir } from "../helpers/tmp";

const tokenizer = loadTokenizer(path.join(bundledDatasetsDir(), "tiny-tokenizer"));
const codec = {
  encode: (t: string) => tokenizer.encode(t),
  decode: (ids: number[]) => tokenizer.decode(ids, { skipSpecialTokens: true }),
  eosId: tokenizer.eosId,
};
const corpus = readCorpus(path.join(bundledDatasetsDir(), "tiny-corpus")).test.slice(0, 12);
const TASKS: ContinualTask[] = [
  { name: "max", options: { length: 2, maxValue: 9 } },
  { name: "count", options: { length: 3, alphabet: 2 } },
];

/** Tiny sizes: 2 tasks, 8 training and 4 test examples, 3 optimizer steps per stage, checkpoints every step. */
function tinyConfig(method: ContinualMethod, over: Partial<ContinualConfigInput> = {}): ContinualConfig {
  return resolveContinualConfig({
    model: "tiny",
    tasks: TASKS,
    method,
    seed: 1,
    nTrain: 8,
    nTest: 4,
    evalMaxNewTokens: 4,
    rifRollouts: 2,
    sft: { steps: 3, lr: 3e-3, batchSize: 4, saveEvery: 1 },
    grpo: { steps: 2, lr: 3e-3, promptsPerStep: 2, numGenerations: 2, saveEvery: 1, sampling: { maxNewTokens: 4 } },
    lora: { r: 2 },
    fpf: { topModules: 2, replaySteps: 2, replayPerTask: 2 },
    retention: { corpusWindows: 2, contextLength: 16, klPromptsPerTask: 2, kl: { maxNewTokens: 4 } },
    ...over,
  });
}

const withoutTime = (r: StageRecord[]) => r.map(({ seconds, ...rest }) => rest);

describe("continual runner", () => {
  let base: Transformer;
  let dir: string;
  before(async () => {
    await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
    base = createModel(
      resolveModelConfig({
        family: "llama",
        vocabSize: tokenizer.vocabSize,
        dModel: 16,
        nLayers: 2,
        nHeads: 2,
        nKvHeads: 1,
        dFF: 32,
        maxPositions: 64,
      }),
      { seed: 3 },
    );
    dir = tmpDir();
  });

  test("kill during stage 2 and resume: the same matrix, retention and records as an uninterrupted run", async () => {
    const config = tinyConfig("sft");
    const full = await runContinual({ config, base, codec, corpus, out: path.join(dir, "full") });
    const out = path.join(dir, "killed");
    const kill = new Error("killed");
    await assert.rejects(
      runContinual({
        config,
        base,
        codec,
        corpus,
        out,
        onEvent: (e) => {
          if (e.kind === "step" && e.stage === 2 && e.step === 2) throw kill;
        },
      }),
      (e) => e === kill,
    );
    await assert.rejects(runContinual({ config, base, codec, corpus, out }), /already holds a run.*--resume/);
    const steps: string[] = [];
    const resumed = await runContinual({
      config,
      base,
      codec,
      corpus,
      out,
      resume: true,
      onEvent: (e) => e.kind === "step" && steps.push(`${e.stage}:${e.step}`),
    });
    assert.deepEqual(steps, ["2:3"], "only the steps after the trainer's checkpoint run again");
    assert.deepEqual(resumed.matrix, full.matrix);
    // Bit for bit: the resumed stage starts from a reloaded model, whose variables loadModel creates in the model's order.
    assert.deepEqual(withoutTime(resumed.stages), withoutTime(full.stages));
    assert.deepEqual(readAccuracyMatrix(path.join(out, "matrix.csv")).matrix, full.matrix.matrix);
    assert.deepEqual(readAccuracyMatrix(path.join(out, "matrix.json")), full.matrix);
    assert.ok(
      full.stages.every((s) => s.retention && Number.isFinite(s.retention.corpusLoss)),
      "retention after every stage",
    );
    assert.equal(full.stages[0].retention!.klToBase, 0, "stage 0 is the base: KL 0");
    assert.ok(full.stages[2].retention!.klToBase > 0, "training moved the policy");
    for (const t of [1, 2])
      assert.ok(fs.existsSync(path.join(out, "checkpoints", `step-00000${t}`, "model.safetensors")), `stage ${t} checkpoint`);
    // A finished run resumed again does nothing and returns the same result.
    const again = await runContinual({ config, base, codec, corpus, out, resume: true, onEvent: () => assert.fail("nothing should run") });
    assert.deepEqual(again.matrix, full.matrix);
  });

  for (const method of CONTINUAL_METHODS.filter((m) => m !== "sft")) {
    test(`${method}: T + 1 rows, every stage evaluated, method-specific records`, async () => {
      const before = tf.memory().numTensors;
      const r = await runContinual({ config: tinyConfig(method, { retention: null }), base, codec, out: path.join(dir, method) });
      assert.equal(r.matrix.matrix.length, 3);
      assert.deepEqual(r.matrix.counts, [
        [4, 4],
        [4, 4],
        [4, 4],
      ]);
      assert.deepEqual(
        r.stages.map((s) => s.task),
        [null, "max", "count"],
      );
      const last = r.stages[2].training!;
      // HFT on 2 llama layers: 2 of 4 attention matrices per layer, 2 of 3 MLP matrices in one layer and 1 in the other.
      if (method === "hft") assert.equal(last.frozen, 2 * 2 + 2 + 1);
      if (method === "rif-rft") assert.ok(last.kept! >= 0 && last.kept! <= 8);
      if (method === "fpf") {
        assert.equal(last.modules!.length, 2);
        assert.equal(last.beforeReplay!.length, 2);
        assert.equal(last.replaySteps, 2);
      }
      if (method !== "rif-rft" && method !== "rft") assert.equal(last.steps, 3);
      assert.equal(tf.memory().numTensors, before, "no tensors left behind");
    });
  }

  test("replayRun on a finished sft run: 'sensitive' is the fpf method's replay; 'all' trains every parameter; 'random' as many types", async () => {
    const sft = await runContinual({ config: tinyConfig("sft", { retention: null }), base, codec, out: path.join(dir, "replay-sft") });
    const fpf = await runContinual({ config: tinyConfig("fpf", { retention: null }), base, codec, out: path.join(dir, "replay-fpf") });
    const replay = (select: "sensitive" | "all" | "random", name: string = select) =>
      replayRun({ run: sft, base, codec, select, out: path.join(dir, `replay-${name}`) });
    const sensitive = await replay("sensitive");
    const last = fpf.stages[2].training!;
    assert.deepEqual(last.beforeReplay, sft.matrix.matrix[2], "fpf trains the same stages as sft before its replay");
    assert.deepEqual(sensitive.before, sft.matrix.matrix[2]);
    assert.deepEqual(sensitive.modules, last.modules);
    assert.deepEqual(sensitive.accuracy, fpf.matrix.matrix[2], "the same replay from the saved checkpoint");
    assert.deepEqual(
      sensitive.modules,
      sensitive.ranking.slice(0, 2).map((r) => r.module),
    );
    const all = await replay("all");
    assert.equal(all.trainableParams, base.numParams());
    assert.deepEqual(all.modules.slice().sort(), sensitive.ranking.map((r) => r.module).sort());
    const random = await replay("random");
    assert.equal(random.modules.length, 2);
    assert.ok(random.modules.every((m) => sensitive.ranking.some((r) => r.module === m)));
    assert.deepEqual((await replay("random", "random-again")).modules, random.modules, "the draw is seeded");
    assert.ok(sensitive.trainableParams < all.trainableParams && sensitive.steps === 2 && sensitive.retention === null);
    const unfinished = { ...sft, stages: sft.stages.slice(0, 2) };
    await assert.rejects(replayRun({ run: unfinished, base, codec, select: "all", out: path.join(dir, "replay-x") }), /has 1 of 2 stages/);
  });

  test("hft.freeze entries: as many frozen entries as HFT, spread over the same matrices", async () => {
    const run = (freeze: "matrices" | "entries") =>
      runContinual({ config: tinyConfig("hft", { retention: null, hft: { freeze } }), base, codec, out: path.join(dir, `hft-${freeze}`) });
    const [hft, entries] = [await run("matrices"), await run("entries")];
    for (const t of [1, 2]) {
      const h = hft.stages[t].training!;
      const e = entries.stages[t].training!;
      assert.equal(e.frozen, 0);
      // Each of the 2 layers × 7 matrices rounds its own count: at most 0.5 entries apart each.
      assert.ok(Math.abs(e.frozenEntries! - h.frozenEntries!) <= 7, `stage ${t}: ${e.frozenEntries} vs ${h.frozenEntries}`);
    }
  });

  test("the runner's held-out split is the one evaluateTask scores (same seed and size)", async () => {
    const c = tinyConfig("sft");
    const data = continualTaskData(c);
    for (const [i, t] of c.tasks.entries()) {
      const ev = await evaluateTask(base, codec, {
        task: t.name,
        taskOptions: t.options,
        n: c.nTest,
        seed: c.seed + 1000 * i,
        maxNewTokens: 2,
      });
      assert.deepEqual(
        ev.examples.map((e) => [e.prompt, e.answer]),
        data[i].test.map((e) => [e.prompt, e.answer]),
      );
    }
  });

  test("config errors name the field, the rule and the value", async () => {
    const bad: [Partial<ContinualConfigInput>, RegExp][] = [
      [
        { method: "ppo" as ContinualMethod },
        /ContinualConfig.method must be one of sft, rft, rif-rft, multitask, lora, hft, fpf; got "ppo"/,
      ],
      [{ tasks: [] }, /ContinualConfig.tasks must be a non-empty list/],
      [{ tasks: [{ name: "max" }, { name: "max" }] }, /tasks\[1\].name must be distinct/],
      [{ tasks: [{ name: "maxx" }] }, /unknown task "maxx" \(did you mean "max"\?\)/],
      [{ rifRollouts: 1 }, /rifRollouts must be an integer ≥ 2/],
      [{ fpf: { select: "best" as "all" } }, /fpf.select must be one of sensitive, all, random; got "best"/],
      [{ hft: { freeze: "rows" as "entries" } }, /hft.freeze must be one of matrices, entries; got "rows"/],
      [{ sft: { steps: 0 } }, /SftConfig.steps/],
      [{ seeds: 3 } as Partial<ContinualConfigInput>, /ContinualConfig\.seeds is not a config field \(did you mean "seed"\?\)/],
    ];
    for (const [over, re] of bad)
      assert.throws(
        () => tinyConfig("sft", over),
        (e: unknown) => e instanceof RftlabError && re.test(e.message),
        String(re),
      );
    await assert.rejects(
      runContinual({ config: tinyConfig("sft"), base, codec, out: path.join(dir, "no-corpus") }),
      /retention needs held-out corpus documents/,
    );
  });

  test("rftlab continual: summary JSON, matrix files, progress on stderr; an existing run without --resume exits 2", async () => {
    const modelDir = path.join(dir, "model");
    await saveModel(base, modelDir);
    saveTokenizer(tokenizer, modelDir);
    const cfgFile = path.join(dir, "continual.json");
    fs.writeFileSync(
      cfgFile,
      JSON.stringify({
        model: "model",
        tasks: TASKS,
        method: "sft",
        nTrain: 8,
        nTest: 4,
        evalMaxNewTokens: 4,
        sft: { steps: 1, batchSize: 4 },
        retention: { corpusWindows: 1, contextLength: 16, klPromptsPerTask: 1, kl: { maxNewTokens: 4 } },
      }),
    );
    const out = path.join(dir, "cli-run");
    const main = path.join(__dirname, "..", "..", "lib", "cli", "main.js");
    const cli = (args: string[]) =>
      spawnSync(process.execPath, ["-e", `require(${JSON.stringify(main)}).main(${JSON.stringify(args)}).then(c=>process.exit(c))`], {
        encoding: "utf8",
        timeout: 300_000,
      });
    const r = cli(["continual", "--config", cfgFile, "--out", out, "--json"]);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.T, 2);
    assert.equal(s.stages.length, 3);
    assert.match(r.stderr, /stage 1\/2: training on max/);
    assert.match(r.stderr, /stage 2\/2 evaluated: accuracy/);
    assert.ok(fs.existsSync(path.join(out, "matrix.csv")) && fs.existsSync(path.join(out, "summary.json")));
    const again = cli(["continual", "--config", cfgFile, "--out", out]);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /already holds a run/);
    const help = cli(["continual", "--help"]);
    assert.equal(help.status, 0, help.stderr);
    assert.match(
      help.stdout,
      /hft\.freeze matrices\|entries \(entries: .*control\), fpf\.select sensitive\|all\|random \(all: full replay/,
    );
  });
});
