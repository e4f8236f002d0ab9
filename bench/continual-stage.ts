// Time per stage and per evaluation pass of notebook 30's continual configuration (issue 10, "Done means"):
// tiny-instruct, tasks max → reverse → sort → count at the zoo recipe's difficulties, one seed per method.
//
//   node dist/bench/continual-stage.js [--size fast|full] [--methods sft,rft,rif-rft,multitask] [--json]
//
// A stage's time covers training plus its evaluation (every task, greedy) and retention (corpus loss + KL to
// base); the evaluation pass and the retention pass are also timed alone on tiny-instruct, three times, best kept.
// Each time comes with the process's CPU seconds: on a shared machine wall time depends on the load, while the CPU
// time of this single-threaded process is what an idle core would take (per stage: wall × the run's CPU/wall).
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { initBackend } from "../lib/tensor/backend";
import { loadZooModel, zooRecipe, type PretrainRecipe, type SftRecipe } from "../lib/model";
import { textCodec } from "../lib/io";
import { generateCorpus } from "../lib/tasks";
import { evaluateTask } from "../lib/evaluation";
import { retention } from "../lib/forgetting";
import { runContinual, resolveContinualConfig, continualTaskData, type ContinualMethod } from "../lib/continual";
import { taskSeed } from "../lib/continual/task-data";
import { scratchDir } from "../lib/io";

// Notebook 30's sizes (cell c02 there holds the same numbers).
const SIZES = {
  fast: { nTrain: 48, nTest: 40, steps: 10, corpusWindows: 8, klPromptsPerTask: 4 },
  full: { nTrain: 256, nTest: 128, steps: 40, corpusWindows: 32, klPromptsPerTask: 16 },
} as const;
const TASKS = ["max", "reverse", "sort", "count"];

interface Timed {
  wall: number;
  cpu: number;
}

async function timed(fn: () => Promise<unknown>): Promise<Timed> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

async function best(repeats: number, fn: () => Promise<unknown>): Promise<Timed> {
  let s: Timed = { wall: Infinity, cpu: Infinity };
  for (let i = 0; i < repeats; i++) {
    const t = await timed(fn);
    if (t.cpu < s.cpu) s = t;
  }
  return s;
}

const fmt = (t: Timed) => `${t.wall.toFixed(2)} s wall, ${t.cpu.toFixed(2)} s CPU`;

async function main() {
  const { values } = parseArgs({
    options: {
      size: { type: "string", default: "fast" },
      methods: { type: "string", default: "sft,rft,rif-rft,multitask" },
      json: { type: "boolean", default: false },
    },
  });
  const size = SIZES[values.size as keyof typeof SIZES];
  if (!size) throw new Error(`--size must be fast or full; got ${values.size}`);
  const info = await initBackend();
  const zoo = await loadZooModel("tiny-instruct");
  const codec = { ...textCodec(zoo.tokenizer), eosId: zoo.tokenizer.eosId };
  const recipe = zoo.recipe as SftRecipe;
  const tasks = TASKS.map((name) => ({ name, options: recipe.tasks.find((t) => t.task === name)!.options }));
  const corpus = generateCorpus((zooRecipe(recipe.parent) as PretrainRecipe).corpus).test;
  const config = (method: ContinualMethod) =>
    resolveContinualConfig({
      model: "tiny-instruct",
      tasks,
      method,
      seed: 1,
      nTrain: size.nTrain,
      nTest: size.nTest,
      sft: { steps: size.steps, saveEvery: size.steps },
      grpo: { steps: size.steps, saveEvery: size.steps },
      retention: {
        corpusWindows: size.corpusWindows,
        contextLength: 64,
        klPromptsPerTask: size.klPromptsPerTask,
        kl: { maxNewTokens: 16 },
      },
    });
  const c0 = config("sft");
  const data = continualTaskData(c0);
  const evalPass = await best(3, async () => {
    for (const [i, t] of tasks.entries())
      await evaluateTask(zoo.model, codec, {
        task: t.name,
        taskOptions: t.options,
        n: c0.nTest,
        seed: taskSeed(c0, i),
        maxNewTokens: c0.evalMaxNewTokens,
      });
  });
  const r = c0.retention!;
  const retentionPass = await best(3, () =>
    retention(zoo.model, zoo.model, {
      codec,
      corpus,
      prompts: data.flatMap((d) => d.test.slice(0, r.klPromptsPerTask).map((e) => e.prompt)),
      corpusOptions: { contextLength: r.contextLength, maxWindows: r.corpusWindows },
      kl: { stopTokenIds: [codec.eosId], ...r.kl, seed: c0.seed },
    }),
  );
  const rows = [];
  for (const method of values.methods!.split(",") as ContinualMethod[]) {
    const out = path.join(scratchDir(`bench-continual-${method}-`), "run");
    let run: Awaited<ReturnType<typeof runContinual>> | undefined;
    const total = await timed(async () => {
      run = await runContinual({ config: config(method), base: zoo.model, codec, corpus, out });
    });
    const cpuPerWall = total.cpu / total.wall;
    const stages = run!.stages.slice(1).map((s) => s.seconds);
    rows.push({
      method,
      stageSeconds: stages,
      stageCpuSeconds: stages.map((x) => x * cpuPerWall),
      meanStage: stages.reduce((a, x) => a + x, 0) / stages.length,
      meanStageCpu: (stages.reduce((a, x) => a + x, 0) / stages.length) * cpuPerWall,
      baseRow: run!.stages[0].seconds,
      total,
    });
  }
  const result = {
    size: values.size,
    ...size,
    tasks: TASKS,
    backend: info.backend,
    cpus: os.cpus().length,
    load: os.loadavg(),
    evalPass,
    retentionPass,
    rows,
  };
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(
      `size ${values.size}: ${JSON.stringify(size)}, backend ${info.backend}, load ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(" ")}`,
    );
    console.log(
      `evaluation pass (${TASKS.length} tasks × ${c0.nTest} prompts, greedy): ${fmt(evalPass)}; retention pass: ${fmt(retentionPass)}`,
    );
    for (const x of rows)
      console.log(
        `${x.method.padEnd(10)} base row ${x.baseRow.toFixed(1)} s, stages ${x.stageSeconds.map((s) => s.toFixed(1)).join(" / ")} s wall (mean ${x.meanStage.toFixed(1)}; ≈ ${x.meanStageCpu.toFixed(1)} s CPU), run ${fmt(x.total)}`,
      );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
