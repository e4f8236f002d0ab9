// Kill -9 trials of `rftlab train` and `rftlab pretrain` (issue 12): each trial starts a run, SIGKILLs it at a
// random moment (sometimes its first resume too), checks that the folder is readable, resumes until the run
// ends, and compares the result with an uninterrupted run: every step logged once, the logs and the final
// weights identical byte for byte. Shared by tests/cli/kill-trials.test.ts (a few trials) and
// bench/kill-trials.ts (30).
import fs from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { createRng, type Rng } from "../../lib/base/random";
import { openCheckpoint } from "../../lib/io/checkpoint";
import { isFinishedModelFolder } from "../../lib/io/pretrain-files";
import { tinyModelFolder } from "./tiny-model";

const MAIN = path.join(__dirname, "..", "..", "lib", "cli", "main.js");

/** A kind of run under test: its CLI arguments and where its results are. */
export interface KillTrialKind {
  name: string;
  steps: number;
  argv(out: string, resume: boolean): string[];
  /** The folder holding config.json, latest, checkpoints/ and logs while the run is going. */
  runFolder(out: string): string;
  /** Files compared byte for byte with the uninterrupted run (logs without their timing column). */
  results(out: string): string[];
  /** True when a killed process had already finished the run (nothing to resume). */
  finished(out: string): boolean;
}

/** One CLI process; resolves with its exit code (null when killed) once it exits. */
function startCli(argv: string[]): { done: Promise<number | null>; kill: () => void } {
  const code = `require(${JSON.stringify(MAIN)}).main(JSON.parse(process.env.RFTLAB_TEST_ARGV)).then((c) => process.exit(c))`;
  const child = spawn(process.execPath, ["-e", code], {
    env: { ...process.env, RFTLAB_QUIET: "1", RFTLAB_BACKEND: "wasm", RFTLAB_TEST_ARGV: JSON.stringify(argv) },
    stdio: "ignore",
  });
  const done = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  return { done, kill: () => child.kill("SIGKILL") };
}

/** Runs to the end; returns the exit code and the wall time in ms. */
async function runToEnd(argv: string[]): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  const code = await startCli(argv).done;
  return { code, ms: Date.now() - t0 };
}

/** Lines in a log so far (0 when it does not exist yet). */
function loggedRows(file: string): number {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").length - 1 : 0;
}

/** Starts a run and SIGKILLs it `ms` after `log` holds `rows` lines (unless it ended first); true when killed. */
async function runAndKill(argv: string[], log: () => string, rows: number, ms: number): Promise<boolean> {
  const p = startCli(argv);
  let timer: NodeJS.Timeout | undefined;
  const poll = setInterval(() => {
    if (timer || loggedRows(log()) < rows) return;
    timer = setTimeout(p.kill, ms);
  }, 5);
  const code = await p.done;
  clearInterval(poll);
  clearTimeout(timer);
  return code === null;
}

/** Log rows without step_time (the one column that differs between runs). */
function logRows(file: string): string[] {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const { step_time: _t, ...rest } = JSON.parse(l);
      return JSON.stringify(rest);
    });
}

/** What is unreadable in a (possibly killed) run folder: config, logs (a torn last line is allowed), newest checkpoint. */
export async function folderProblems(dir: string): Promise<string[]> {
  const problems: string[] = [];
  const tryRead = async (what: string, read: () => unknown) => {
    try {
      await read();
    } catch (e) {
      problems.push(`${what}: ${(e as Error).message.split("\n")[0]}`);
    }
  };
  if (!fs.existsSync(dir)) return problems; // killed before it was created
  const at = (name: string) => path.join(dir, name);
  if (fs.existsSync(at("config.json"))) await tryRead("config.json", () => JSON.parse(fs.readFileSync(at("config.json"), "utf8")));
  for (const log of ["metrics.jsonl", "completions.jsonl"].filter((n) => fs.existsSync(at(n)))) {
    await tryRead(log, () =>
      fs
        .readFileSync(at(log), "utf8")
        .split("\n")
        .slice(0, -2)
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    );
  }
  if (!fs.existsSync(at("latest"))) return problems;
  const ckpt = path.join(dir, "checkpoints", fs.readFileSync(at("latest"), "utf8").trim());
  if (!fs.existsSync(ckpt)) return [...problems, `latest names ${ckpt}, which does not exist`];
  for (const f of fs.readdirSync(ckpt)) {
    const file = path.join(ckpt, f);
    if (f.endsWith(".json")) await tryRead(f, () => JSON.parse(fs.readFileSync(file, "utf8")));
    if (f.endsWith(".safetensors")) {
      await tryRead(f, async () => {
        const c = await openCheckpoint(file);
        try {
          for (const t of c.tensors()) await c.readFloat32(t.name);
        } finally {
          await c.close();
        }
      });
    }
  }
  return problems;
}

/** Counts of one kind's trials. */
export interface KillTrialReport {
  kind: string;
  trials: number;
  kills: number;
  /** Kills that struck between the first logged step and the last (the rest hit start-up or the final writes). */
  killsMidRun: number;
  unreadableFolders: number;
  duplicatedSteps: number;
  missingSteps: number;
  resultMismatches: number;
  failedResumes: number;
  /** Temp files or folders (*.tmp, *.stale) still in the folder after the resumed run ended. */
  leftoverTemps: number;
  problems: string[];
}

/**
 * `trials` kill -9 trials of `kind` under `dir` (seeded by `seed`): the first kill at a uniform moment of
 * the uninterrupted run's duration, and in every second trial a second kill during the first resume.
 */
export async function killTrials(kind: KillTrialKind, trials: number, dir: string, seed: number): Promise<KillTrialReport> {
  const ref = path.join(dir, `${kind.name}-reference`);
  const whole = await runToEnd(kind.argv(ref, false));
  if (whole.code !== 0) throw new Error(`kill trials: the uninterrupted ${kind.name} run exited ${whole.code}`);
  const expected = kind.results(ref).map((f) => fs.readFileSync(f));
  const r: KillTrialReport = {
    kind: kind.name,
    trials,
    kills: 0,
    killsMidRun: 0,
    unreadableFolders: 0,
    duplicatedSteps: 0,
    missingSteps: 0,
    resultMismatches: 0,
    failedResumes: 0,
    leftoverTemps: 0,
    problems: [],
  };
  // A kill strikes a uniform moment within a uniform step (step 0: start-up), so steps, checkpoint writes and
  // log appends are all hit; the moment spans a step and a half of the uninterrupted run's mean step time.
  const times = fs
    .readFileSync(path.join(ref, "metrics.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l).step_time as number);
  const stepMs = (1500 * times.reduce((a, b) => a + b, 0)) / times.length;
  const rng: Rng = createRng(seed);
  for (let t = 0; t < trials; t++) {
    const out = path.join(dir, `${kind.name}-${t}`);
    const log = () => path.join(kind.runFolder(out), "metrics.jsonl");
    let resume = false;
    for (let k = 0; k < (t % 2 === 1 ? 2 : 1); k++) {
      const rows = rng.int(0, kind.steps - 1);
      const ms = rng.next() * (rows === 0 ? whole.ms / 2 : stepMs);
      if (!(await runAndKill(kind.argv(out, resume), log, rows, ms))) break; // it finished first
      r.kills++;
      resume = true;
      const logged = loggedRows(log());
      if (logged > 0 && logged < kind.steps) r.killsMidRun++;
      const problems = await folderProblems(kind.runFolder(out));
      if (problems.length > 0) {
        r.unreadableFolders++;
        r.problems.push(`trial ${t} after a kill ${Math.round(ms)} ms after ${rows} steps: ${problems.join("; ")}`);
      }
    }
    const finished = resume && !kind.finished(out) ? await runToEnd(kind.argv(out, true)) : { code: 0 };
    if (finished.code !== 0) {
      r.failedResumes++;
      r.problems.push(`trial ${t}: the resume exited ${finished.code}`);
      continue;
    }
    const temps = (fs.readdirSync(out, { recursive: true }) as string[]).filter((n) => /\.(tmp|stale)$/.test(n));
    r.leftoverTemps += temps.length;
    if (temps.length > 0) r.problems.push(`trial ${t}: temp files left: ${temps.join(", ")}`);
    const steps = logRows(path.join(out, "metrics.jsonl")).map((l) => JSON.parse(l).step as number);
    r.duplicatedSteps += steps.length - new Set(steps).size;
    r.missingSteps += Array.from({ length: kind.steps }, (_, i) => i + 1).filter((s) => !steps.includes(s)).length;
    const same = kind.results(out).every((f, i) => fs.existsSync(f) && Buffer.compare(fs.readFileSync(f), expected[i]) === 0);
    if (!same) {
      r.resultMismatches++;
      r.problems.push(`trial ${t}: results differ from the uninterrupted run (${kind.results(out).join(", ")})`);
    }
  }
  return r;
}

/** Logs without step_time, written next to the run for byte comparison. */
function comparableLog(out: string, log: string): string {
  const file = path.join(out, `${log}.comparable`);
  const src = path.join(out, log);
  if (fs.existsSync(src)) fs.writeFileSync(file, logRows(src).join("\n"));
  return file;
}

/** `rftlab train grpo` on a tiny random model: `steps` steps, a checkpoint every 2. */
export async function trainKind(dir: string, steps: number): Promise<KillTrialKind> {
  const config = path.join(dir, "grpo.json");
  fs.writeFileSync(
    config,
    JSON.stringify({
      model: await tinyModelFolder(path.join(dir, "model")),
      dataset: { task: "add", digits: 1, nTrain: 16, nTest: 8, seed: 5 },
      rewards: [{ name: "correct" }, { name: "tag_count", weight: 0.5 }],
      trainer: { steps, saveEvery: 2, promptsPerStep: 2, numGenerations: 2, lr: 0.01, microBatchSize: 4, sampling: { maxNewTokens: 6 } },
    }),
  );
  const last = `step-${String(steps).padStart(6, "0")}`;
  return {
    name: "train",
    steps,
    argv: (out, resume) => ["train", "grpo", "--config", config, "--out", out, ...(resume ? ["--resume"] : [])],
    runFolder: (out) => out,
    finished: () => false, // a resume after the last checkpoint just ends
    results: (out) => [
      comparableLog(out, "metrics.jsonl"),
      comparableLog(out, "completions.jsonl"),
      path.join(out, "checkpoints", last, "trainable.safetensors"),
    ],
  };
}

/** `rftlab pretrain` of a tiny llama on the bundled corpus: `steps` steps, a checkpoint every 3. */
export function pretrainKind(dir: string, steps: number): KillTrialKind {
  const config = path.join(dir, "pretrain.json");
  fs.writeFileSync(
    config,
    JSON.stringify({
      model: { family: "llama", dModel: 32, nLayers: 2, nHeads: 2, dFF: 64, tieEmbeddings: true },
      seed: 0,
      contextLength: 32,
      batchSize: 4,
      steps,
      peakLr: 0.003,
      minLr: 0.0003,
      warmupSteps: 2,
      evalEvery: 5,
      evalWindows: 4,
      checkpointEvery: 3,
    }),
  );
  return {
    name: "pretrain",
    steps,
    argv: (out, resume) => ["pretrain", "--config", config, "--out", out, ...(resume ? ["--resume"] : [])],
    runFolder: (out) => (fs.existsSync(path.join(out, "run")) ? path.join(out, "run") : out),
    results: (out) => [comparableLog(out, "metrics.jsonl"), path.join(out, "model.safetensors")],
    finished: isFinishedModelFolder,
  };
}
