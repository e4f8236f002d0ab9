import fs from "node:fs";
import path from "node:path";
import { referenceScript, runPython } from "./python";
import { tmpDir } from "./tmp";

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
