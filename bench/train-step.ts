// Training-step throughput of the fixed GPT config (GPT-2 family, 4 layers, 4 heads, d=256, ctx 128,
// vocab 512, batch 16, AdamW, clip 1.0) on rftlab's backends and on a hand-written PyTorch peer, in one run.
// Each runner is a separate process (the wasm module and its thread pool are per process).
//
//   node dist/bench/train-step.js [--backends wasm:1,wasm,cpu] [--steps 5] [--cpu-steps 1]
//                                 [--torch-threads 1,2] [--torch-device cpu|cuda] [--out bench/out]
//
// Backend specs: `wasm` (all cores), `wasm:N` (N threads), `wasm-stock:N` (stock tfjs kernels, for the
// before/after comparison), `cpu`, `tensorflow` (tfjs-node, when installed), `webgpu` (Dawn/Vulkan).
// `--torch-device cuda` runs the PyTorch peer on the GPU (eager fp32, TF32 off); webgpu is compared with it.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { tf } from "../lib/tensor/tf";
import { initBackend } from "../lib/tensor/backend";
import { AdamW } from "../lib/tensor/optim";
import { clipGradNorm } from "../lib/tensor/grads";
import { uninstallWasmKernels } from "../lib/tensor/wasm/kernels";
import { createModel, resolveModelConfig } from "../lib/model";
import { RftlabError } from "../lib/errors";

// RFTLAB_BENCH_SIZE=smoke: a 1-layer d=32 model on 2×8 tokens, to check the bench runs end to end (bench/gpu/run.sh
// on SwiftShader); its numbers measure nothing.
const SIZE = process.env.RFTLAB_BENCH_SIZE ?? "bench";
if (SIZE !== "bench" && SIZE !== "smoke")
  throw new RftlabError(`RFTLAB_BENCH_SIZE must be "bench" or "smoke"; got "${SIZE}" (unset it for the bench)`);
const SMOKE = SIZE === "smoke";
const MODEL = SMOKE
  ? { family: "gpt2" as const, vocabSize: 64, dModel: 32, nLayers: 1, nHeads: 2, maxPositions: 8 }
  : { family: "gpt2" as const, vocabSize: 512, dModel: 256, nLayers: 4, nHeads: 4, maxPositions: 128 };
const BATCH = SMOKE ? 2 : 16;
const SEQ = MODEL.maxPositions;
const LR = 3e-4;
const WEIGHT_DECAY = 0.01;
const PYTHON = process.env.RFTLAB_PYTHON ?? "/usr/bin/python3";

interface RunResult {
  runner: string;
  threads: number;
  tokensPerSec?: number;
  /** Tokens per CPU-second of the whole process (all threads): robust to other processes sharing the cores. */
  tokensPerCpuSec?: number;
  stepSeconds?: number[];
  losses?: number[];
  error?: string;
  detail?: Record<string, unknown>;
}

/** Deterministic token ids in [0, V) (LCG), [B, T+1]. */
function tokenData(): Int32Array {
  let s = 12345;
  return Int32Array.from({ length: BATCH * (SEQ + 1) }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 16) % MODEL.vocabSize; // high bits: an LCG's low bits have short periods
  });
}

/** Runs warmup + `steps` training steps on the current process's backend; prints a RunResult as JSON. */
async function worker(spec: string, steps: number, warmup: number): Promise<RunResult> {
  const [name] = spec.split(":");
  const info = await initBackend(name === "wasm-stock" ? "wasm" : name);
  if (name === "wasm-stock") uninstallWasmKernels();
  const model = createModel(resolveModelConfig(MODEL), { seed: 0 });
  const vars = [...model.params.values()];
  const opt = new AdamW(model.params, { lr: LR, weightDecay: WEIGHT_DECAY });
  const data = tf.tensor2d(tokenData(), [BATCH, SEQ + 1], "int32");
  const ids = data.slice([0, 0], [BATCH, SEQ]) as tf.Tensor2D; // [B, T]
  const targets = tf.oneHot(data.slice([0, 1], [BATCH, SEQ]).reshape([-1]), MODEL.vocabSize); // [B·T, V]
  const lossFn = () =>
    tf.tidy(() => {
      const logits = model.forward(ids).reshape([BATCH * SEQ, MODEL.vocabSize]); // [B·T, V]
      return tf
        .logSoftmax(logits)
        .mul(targets)
        .sum()
        .neg()
        .div(BATCH * SEQ) as tf.Scalar;
    });
  const stepSeconds: number[] = [];
  let cpuMicros = 0;
  const losses: number[] = [];
  const tensorsBefore = tf.memory().numTensors;
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const { value, grads } = tf.variableGrads(lossFn, vars);
    const clipped = await clipGradNorm(grads, 1.0);
    opt.step(clipped.grads);
    losses.push((await value.data())[0]);
    tf.dispose([value, grads, clipped.grads]);
    if (i >= warmup) {
      stepSeconds.push((performance.now() - t0) / 1000);
      const c = process.cpuUsage(c0);
      cpuMicros += c.user + c.system;
    }
  }
  const leaked = tf.memory().numTensors - tensorsBefore;
  const tokens = BATCH * SEQ * stepSeconds.length;
  return {
    runner: `rftlab ${spec}`,
    threads: info.threads,
    tokensPerSec: tokens / stepSeconds.reduce((a, b) => a + b, 0),
    tokensPerCpuSec: tokens / (cpuMicros / 1e6),
    stepSeconds,
    losses,
    detail: {
      backend: info.backend,
      provider: info.provider,
      simd: info.simd,
      leakedTensors: leaked,
      adapter: info.adapter && `${info.adapter.vendor} / ${info.adapter.architecture} / ${info.adapter.description}`,
    },
  };
}

function runChild(spec: string, steps: number, warmup: number): RunResult {
  const [name, t] = spec.split(":");
  const env: NodeJS.ProcessEnv = { ...process.env, RFTLAB_QUIET: "1" };
  if (name.startsWith("wasm")) env.RFTLAB_WASM_THREADS = t ?? String(Math.min(8, os.availableParallelism()));
  const r = spawnSync(process.execPath, [__filename, "--worker", spec, "--steps", String(steps), "--warmup", String(warmup)], {
    env,
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as RunResult;
  } catch {
    return {
      runner: `rftlab ${spec}`,
      threads: Number(t ?? 0),
      error: (r.stderr || r.stdout || String(r.error)).trim().split("\n").slice(-3).join(" | "),
    };
  }
}

function runTorch(threads: number, steps: number, warmup: number, device: string): RunResult {
  const n = String(threads);
  const r = spawnSync(PYTHON, [path.join(__dirname, "..", "..", "bench", "torch_train_step.py")], {
    input: JSON.stringify({
      config: { ...MODEL, dFF: 4 * MODEL.dModel },
      batch: BATCH,
      seqLen: SEQ,
      steps,
      warmup,
      threads,
      lr: LR,
      weightDecay: WEIGHT_DECAY,
      seed: 0,
      data: Array.from(tokenData()),
      device,
    }),
    encoding: "utf8",
    env: { ...process.env, OPENBLAS_NUM_THREADS: n, OMP_NUM_THREADS: n, MKL_NUM_THREADS: n, PYDEVD_DISABLE_FILE_VALIDATION: "1" },
  });
  if (r.status !== 0)
    return { runner: `pytorch ${device}`, threads, error: (r.stderr || String(r.error)).trim().split("\n").slice(-2).join(" | ") };
  const out = JSON.parse(r.stdout) as {
    tokensPerSec: number;
    tokensPerCpuSec: number;
    stepSeconds: number[];
    losses: number[];
    torch: string;
    blas: string;
    params: number;
  };
  return {
    runner: `pytorch ${device} ${out.torch} + ${out.blas}`,
    threads,
    tokensPerSec: out.tokensPerSec,
    tokensPerCpuSec: out.tokensPerCpuSec,
    stepSeconds: out.stepSeconds,
    losses: out.losses,
    detail: { blas: out.blas, params: out.params },
  };
}

function arg(argv: string[], name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function markdown(results: RunResult[], meta: Record<string, unknown>): string {
  const torch = new Map(results.filter((r) => r.runner.startsWith("pytorch") && r.tokensPerSec).map((r) => [r.threads, r]));
  const cuda = results.find((r) => r.runner.startsWith("pytorch cuda") && r.tokensPerSec);
  const ratio = (x: number | undefined, y: number | undefined) => (x && y ? `${(x / y).toFixed(2)}x` : "—");
  const rows = results.map((r) => {
    if (r.error) return `| ${r.runner} | ${r.threads} | — | — | — | — | — | ${r.error.replace(/\|/g, "/")} |`;
    const peer = r.runner.startsWith("pytorch") ? undefined : r.runner.includes("webgpu") ? cuda : torch.get(r.threads);
    return (
      `| ${r.runner} | ${r.threads} | ${r.tokensPerSec!.toFixed(0)} | ${r.tokensPerCpuSec?.toFixed(0) ?? "—"} | ${median(r.stepSeconds!).toFixed(2)} | ` +
      `${ratio(r.tokensPerSec, peer?.tokensPerSec)} | ${ratio(r.tokensPerCpuSec, peer?.tokensPerCpuSec)} | ` +
      `loss ${r.losses![0].toFixed(3)} → ${r.losses![r.losses!.length - 1].toFixed(3)}${r.detail?.adapter ? `; ${r.detail.adapter}` : ""} |`
    );
  });
  return [
    `GPT-2 family, ${MODEL.nLayers} layers, ${MODEL.nHeads} heads, d=${MODEL.dModel}, ctx ${SEQ}, vocab ${MODEL.vocabSize}, batch ${BATCH}, AdamW (lr ${LR}, wd ${WEIGHT_DECAY}), clip 1.0; ` +
      `tokens/s = ${BATCH}·${SEQ}·steps / time of the timed steps (after warmup).`,
    "",
    `Machine: ${meta.cpu} × ${meta.cores} logical cores, Node ${process.version}; load average ${meta.loadBefore} before, ${meta.loadAfter} after ` +
      `(other processes were running: numbers are lower bounds). Command: \`${meta.command}\`. Date: ${meta.date}.`,
    "",
    "| runner | threads | tokens/s (wall) | tokens per CPU-s | median step (s) | vs PyTorch, same threads or CUDA for webgpu (wall) | (CPU time) | note |",
    "|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help")) {
    console.log(fs.readFileSync(__filename, "utf8").split("\n").slice(0, 9).join("\n"));
    return 0;
  }
  const steps = Number(arg(argv, "steps", "5"));
  const warmup = Number(arg(argv, "warmup", "1"));
  const workerSpec = arg(argv, "worker", "");
  if (workerSpec) {
    try {
      console.log(JSON.stringify(await worker(workerSpec, steps, warmup)));
    } catch (e) {
      console.log(JSON.stringify({ runner: `rftlab ${workerSpec}`, threads: 0, error: (e as Error).message.split("\n")[0] }));
    }
    return 0;
  }
  const cores = os.availableParallelism();
  const backends = arg(argv, "backends", `wasm:1,wasm:${cores},cpu,tensorflow`).split(",");
  const cpuSteps = Number(arg(argv, "cpu-steps", "1"));
  const torchThreads = arg(argv, "torch-threads", [...new Set([1, cores])].join(","))
    .split(",")
    .map(Number);
  const torchDevice = arg(argv, "torch-device", "cpu");
  const outDir = arg(argv, "out", path.join("bench", "out"));
  const meta = {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores,
    loadBefore: os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join("/"),
    loadAfter: "",
    command: `node dist/bench/train-step.js ${argv.join(" ")}`.trim(),
    date: new Date().toISOString(),
  };
  const results: RunResult[] = [];
  for (const t of torchThreads) {
    results.push(runTorch(t, steps, warmup, torchDevice));
    console.error(JSON.stringify(results[results.length - 1]));
  }
  for (const spec of backends) {
    const slow = spec === "cpu" || spec.startsWith("wasm-stock");
    results.push(runChild(spec, slow ? cpuSteps : steps, slow ? 0 : warmup));
    console.error(JSON.stringify(results[results.length - 1]));
  }
  meta.loadAfter = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join("/");
  const md = markdown(results, meta);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, "train-step.json"), JSON.stringify({ meta, results }, null, 2));
  fs.writeFileSync(path.join(outDir, "train-step.md"), md);
  console.log(md);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
