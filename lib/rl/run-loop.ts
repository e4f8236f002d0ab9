import { createHash } from "node:crypto";
import path from "node:path";
import { tf } from "../tensor/tf";
import type { AdamW } from "../tensor/optim";
import { RftlabError } from "../errors";
import { RunDir, openCheckpoint, writeSafetensors, writeFileAtomic, readJsonFile } from "../io";
import { cancellationCheck, isInterrupt } from "../base/cancel";
import { progress } from "../display/progress";
import { ensureBackend } from "../tensor/backend";
import { runWriteError } from "../io/run-dir";
import type { WeightedReward } from "../rewards";
import type { RunLoopOptions, RunResult, StepMetrics, StepResult } from "./trainer-types";

/**
 * A trainer's run: runLoop with the trainer's name and config recorded, its steps and checkpoint interval,
 * and the optimizer freed however the run ends (the trainers own their optimizer). The training rows (as a
 * hash), the rewards' names and weights and a fingerprint of the starting weights go into the run config,
 * so a resume with other data or from another model is refused.
 */
export async function runTrainer<C extends { steps: number; saveEvery: number }>(args: {
  name: string;
  config: C;
  data: readonly unknown[];
  rewards?: readonly WeightedReward[];
  trainable: Map<string, tf.Variable>;
  /** The whole model's parameters, frozen ones too, for the starting-weights fingerprint (default: trainable). */
  weights?: Map<string, tf.Variable>;
  optimizer: AdamW;
  step: (step: number) => Promise<StepResult>;
  options?: RunLoopOptions;
}): Promise<RunResult & { config: C }> {
  const { name, config, optimizer, rewards, options = {} } = args;
  const runConfig = {
    ...options.runConfig,
    data: { rows: args.data.length, hash: createHash("sha256").update(JSON.stringify(args.data)).digest("hex").slice(0, 16) },
    ...(rewards && { rewards: rewards.map((r) => ({ name: r.name, weight: r.weight ?? 1 })) }),
    ...(options.runDir && { weights: await weightsFingerprint(new Map([...(args.weights ?? []), ...args.trainable])) }),
  };
  try {
    const run = await runLoop({
      config: { trainer: name, ...config },
      totalSteps: config.steps,
      trainable: args.trainable,
      optimizer,
      step: args.step,
      options: { saveEvery: config.saveEvery, ...options, runConfig },
    });
    return { ...run, config };
  } finally {
    optimizer.dispose();
  }
}

/** SHA-256 (16 hex digits) of the parameters' names, shapes and float32 bytes, in the map's order. */
async function weightsFingerprint(params: Map<string, tf.Variable>): Promise<string> {
  const h = createHash("sha256");
  for (const [name, v] of params) {
    const data = (await v.data()) as Float32Array;
    h.update(`${name}[${v.shape}]`).update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return h.digest("hex").slice(0, 16);
}

/**
 * The loop every trainer shares: resume, step, NaN/Inf guard, logs, atomic checkpoints.
 * Exact resume: trainers derive each step's data order and sampling seed from (seed, step), so
 * restoring weights + optimizer moments at step k and replaying k+1… reproduces the uninterrupted run.
 */
export async function runLoop(args: {
  config: object;
  totalSteps: number;
  trainable: Map<string, tf.Variable>;
  optimizer: AdamW;
  step: (step: number) => Promise<StepResult>;
  options?: RunLoopOptions;
}): Promise<RunResult> {
  const { config, totalSteps, trainable, optimizer, step, options = {} } = args;
  await ensureBackend();
  const saveEvery = options.saveEvery ?? 10;
  const run = options.runDir
    ? await RunDir.open(options.runDir, options.runConfig ? { ...config, run: options.runConfig } : config, { resume: options.resume })
    : undefined;
  try {
    if (run) await options.onOpen?.(run.dir);
    let start = 0;
    const latest = run && options.resume ? run.latest() : undefined;
    if (latest) {
      await restoreCheckpoint(latest.dir, trainable, optimizer);
      start = latest.step;
    }
    const history: StepMetrics[] = [];
    const save = (s: number) => run?.saveCheckpoint(s, (dir) => writeCheckpoint(dir, s, trainable, optimizer));
    const check = cancellationCheck(options.signal);
    const label = (config as { trainer?: string }).trainer ?? "training";
    const bar = options.progress === false ? undefined : progress({ total: totalSteps, label });
    bar?.tick(start);
    for (let s = start + 1; s <= totalSteps; s++) {
      const t0 = performance.now();
      let result: StepResult;
      try {
        await check();
        result = await step(s);
      } catch (e) {
        // Interrupted before this step's update (between steps, or in its sampling): checkpoint the last
        // finished step, so that a resume loses nothing.
        if (isInterrupt(e) && s - 1 > start && (s - 1) % saveEvery !== 0) await save(s - 1);
        throw e;
      }
      const { metrics, completions } = result;
      metrics.step_time = (performance.now() - t0) / 1000;
      const bad = Object.entries(metrics).find(([k, v]) => (k === "loss" || k === "grad_norm") && !Number.isFinite(v));
      if (bad) {
        throw new RftlabError(
          `training diverged at step ${s}: ${bad[0]} = ${bad[1]}; lower the learning rate or enable clipping (maxGradNorm)` +
            (run ? `; the last good checkpoint is in ${run.dir}` : ""),
        );
      }
      const row = { step: s, ...metrics };
      history.push(row);
      if (run) {
        await run.append("metrics", [row]);
        if (completions)
          await run.append(
            "completions",
            completions.map((c) => ({ step: s, ...c })),
          );
        if (s % saveEvery === 0 || s === totalSteps) await save(s);
      }
      options.onStep?.(s, row);
      bar?.tick(1, shownMetrics(row));
    }
    bar?.done();
    return { history, runDir: run?.dir, startStep: start };
  } catch (e) {
    throw run ? runWriteError(e, run.dir) : e;
  } finally {
    run?.close();
  }
}

/** The metrics a progress line shows: loss and reward when present. */
function shownMetrics(row: StepMetrics): Record<string, number> {
  return Object.fromEntries(Object.entries(row).filter(([k]) => k === "loss" || k === "reward"));
}

async function writeCheckpoint(dir: string, step: number, trainable: Map<string, tf.Variable>, optimizer: AdamW): Promise<void> {
  const params = await Promise.all(
    [...trainable].map(async ([name, v]) => ({ name, dtype: "F32" as const, shape: v.shape, data: (await v.data()) as Float32Array })),
  );
  await writeSafetensors(path.join(dir, "trainable.safetensors"), params);
  const st = await optimizer.getState();
  const moments = Object.keys(st.expAvg).flatMap((name) => {
    const shape = trainable.get(name)?.shape ?? [st.expAvg[name].length];
    return [
      { name: `exp_avg.${name}`, dtype: "F32" as const, shape, data: st.expAvg[name] },
      { name: `exp_avg_sq.${name}`, dtype: "F32" as const, shape, data: st.expAvgSq[name] },
    ];
  });
  await writeSafetensors(path.join(dir, "optimizer.safetensors"), moments);
  await writeFileAtomic(path.join(dir, "state.json"), JSON.stringify({ step, stepCount: st.stepCount, paramSteps: st.paramSteps }) + "\n");
}

async function restoreCheckpoint(dir: string, trainable: Map<string, tf.Variable>, optimizer: AdamW): Promise<void> {
  const state = (await readJsonFile(path.join(dir, "state.json"), "checkpoint state")) as {
    stepCount: number;
    paramSteps: Record<string, number>;
  };
  const params = await openCheckpoint(path.join(dir, "trainable.safetensors"));
  const moments = await openCheckpoint(path.join(dir, "optimizer.safetensors"));
  try {
    const expAvg: Record<string, Float32Array> = {};
    const expAvgSq: Record<string, Float32Array> = {};
    for (const [name, v] of trainable) {
      if (!params.info(name)) throw new RftlabError(`checkpoint ${dir} has no parameter ${name}; it was written for another model`);
      v.assign(tf.tensor(await params.readFloat32(name), v.shape));
      expAvg[name] = await moments.readFloat32(`exp_avg.${name}`);
      expAvgSq[name] = await moments.readFloat32(`exp_avg_sq.${name}`);
    }
    const current = await optimizer.getState();
    optimizer.setState({ ...current, stepCount: state.stepCount, paramSteps: state.paramSteps, expAvg, expAvgSq });
  } finally {
    await params.close();
    await moments.close();
  }
}
