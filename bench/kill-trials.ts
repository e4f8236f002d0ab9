// Kill -9 trials of issue 12: N random SIGKILLs during `rftlab train grpo` and during `rftlab pretrain` (tiny
// configs), each resumed to the end and compared with an uninterrupted run. Prints one JSON report per kind:
// kills, unreadable folders, duplicated and missing steps, results differing from the uninterrupted run,
// temp files left behind.
//
//   nice -n 10 node dist/bench/kill-trials.js [--trials 30] [--seed 1] [--out /tmp/kill-trials]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { killTrials, pretrainKind, trainKind } from "../tests/helpers/kill-trials";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { trials: { type: "string", default: "30" }, seed: { type: "string", default: "1" }, out: { type: "string" } },
  });
  const trials = Number(values.trials);
  const seed = Number(values.seed);
  const dir = values.out ?? fs.mkdtempSync(path.join(os.tmpdir(), "rftlab-kill-trials-"));
  fs.mkdirSync(dir, { recursive: true });
  let failures = 0;
  for (const kind of [await trainKind(dir, 10), pretrainKind(dir, 12)]) {
    const t0 = Date.now();
    const r = await killTrials(kind, trials, dir, seed);
    failures += r.unreadableFolders + r.duplicatedSteps + r.missingSteps + r.resultMismatches + r.failedResumes + r.leftoverTemps;
    console.log(JSON.stringify({ ...r, seconds: Math.round((Date.now() - t0) / 1000) }));
  }
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(failures === 0 ? 0 : 1);
}

void main();
