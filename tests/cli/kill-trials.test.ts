import { test } from "node:test";
import assert from "node:assert/strict";
import { killTrials, pretrainKind, trainKind } from "../helpers/kill-trials";
import { tmpDir } from "../helpers/tmp";

// Few, tiny trials here; bench/kill-trials.ts runs 30 of each kind.
for (const [name, make] of [
  ["train grpo", (dir: string) => trainKind(dir, 6)],
  ["pretrain", async (dir: string) => pretrainKind(dir, 8)],
] as const) {
  test(`rftlab ${name}: 3 random kill -9 trials, resumed: readable folders, each step once, results bit-identical`, async () => {
    const dir = tmpDir();
    const report = await killTrials(await make(dir), 3, dir, 12);
    const { problems, ...counts } = report;
    assert.deepEqual(
      { unreadable: counts.unreadableFolders, duplicated: counts.duplicatedSteps, missing: counts.missingSteps },
      { unreadable: 0, duplicated: 0, missing: 0 },
      problems.join("\n"),
    );
    assert.equal(counts.resultMismatches + counts.failedResumes + counts.leftoverTemps, 0, problems.join("\n"));
  });
}
