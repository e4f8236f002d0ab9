import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { referenceScript, runPython } from "./python";
import { tmpDir } from "./tmp";
import { expectClose } from "./expect";
import type { TrajectoryResult } from "../../lib/analysis";

export type Engine = "trl" | "verl" | "openrlhf" | "plain";
interface Counts {
  numel: number;
  unchanged: number;
  exactZero: number;
}
export interface RefMeasure {
  tensors: Record<string, Counts>;
  relativeNorm: number;
}
/** What tests/reference/io-run-layouts.py returns: the run in four layouts and the torch reference per step. */
export interface RunFixture {
  base: string;
  runs: Record<Engine, string>;
  checkpoints: { step: number; native: RefMeasure; fp16: RefMeasure; ranks: Record<string, number> }[];
}

export const STEPS = [100, 200, 300, 400, 500];

/** Writes the 5-checkpoint bf16 run (torch) in every layout under a fresh temporary folder. */
export function writeRunFixture(): RunFixture {
  return runPython<RunFixture>(referenceScript("io-run-layouts.py"), {
    dir: path.join(tmpDir("rftlab-run-"), "run"),
    seed: 3,
    steps: STEPS,
    tol: 1e-5,
  });
}

/** A copy of one layout's run folder to damage in a test. */
export function copyRun(fx: RunFixture, engine: Engine): string {
  const dst = path.join(tmpDir("rftlab-run-copy-"), engine);
  fs.cpSync(fx.runs[engine], dst, { recursive: true });
  return dst;
}

/** What tests/reference/io-adapter-run.py returns: a TRL run of adapter-only checkpoints and the torch reference of the merged weights. */
export interface AdapterRunFixture {
  base: string;
  run: string;
  checkpoints: { step: number; native: RefMeasure; bf16: RefMeasure }[];
}

export const ADAPTER_STEPS = [10, 20, 30];

/** Writes the 3-checkpoint LoRA run (torch) under a fresh temporary folder. */
export function writeAdapterRunFixture(): AdapterRunFixture {
  return runPython<AdapterRunFixture>(referenceScript("io-adapter-run.py"), {
    dir: tmpDir("rftlab-adapter-run-"),
    seed: 5,
    steps: ADAPTER_STEPS,
    tol: 1e-5,
  });
}

/** The trajectory has exactly `steps`, every tensor's counts equal the reference's, overall fractions follow, ‖Δ‖/‖θ₀‖ to 1e-9. */
export function assertMatchesReference(r: TrajectoryResult, steps: number[], refOf: (step: number) => RefMeasure, what: string): void {
  assert.deepEqual(
    r.checkpoints.map((c) => c.step),
    steps,
    what,
  );
  for (const c of r.checkpoints) {
    const ref = refOf(c.step);
    assert.equal(c.tensors.length, Object.keys(ref.tensors).length);
    let numel = 0;
    let unchanged = 0;
    let exactZero = 0;
    for (const t of c.tensors) {
      const e = ref.tensors[t.name];
      assert.deepEqual({ numel: t.numel, unchanged: t.unchanged, exactZero: t.exactZero }, e, `${what} step ${c.step} ${t.name}`);
      numel += e.numel;
      unchanged += e.unchanged;
      exactZero += e.exactZero;
    }
    assert.equal(c.overall.numel, numel);
    assert.equal(c.overall.sparsity, unchanged / numel, `${what} step ${c.step} overall sparsity`);
    assert.equal(c.overall.exactZero, exactZero / numel);
    expectClose(c.overall.relativeNorm, ref.relativeNorm, { rtol: 1e-9, atol: 0, what: `${what} step ${c.step} ‖Δ‖/‖θ₀‖` });
  }
}
