// `rftlab logs`: the metric table of a training log or run folder (lib/io/metric-logs.ts, lib/io/run-log.ts), with the
// CLI's conventions (--json, one-line errors, exit 2 on bad input). Fixtures follow the engines' documented formats.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { findMetricLog } from "../../lib/io";
import { runCli } from "../helpers/cli";
import { tmpDir } from "../helpers/tmp";

const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
};
const trainerState = (step: number, history: object[]) => JSON.stringify({ global_step: step, log_history: history });

/** A TRL output_dir: checkpoint-10/ and checkpoint-20/ (TRL 0.14 key names), no weights (deleted by save_total_limit, or a partial copy). */
function trlRun(): string {
  const dir = tmpDir("rftlab-logs-trl-");
  const h10 = { step: 10, reward: 0.25, kl: 0.001, loss: 0.5, completion_length: 40.5 };
  const h20 = { step: 20, reward: 0.5, kl: 0.002, loss: 0.25, completion_length: 38 };
  write(path.join(dir, "checkpoint-10", "trainer_state.json"), trainerState(10, [h10]));
  write(path.join(dir, "checkpoint-20", "trainer_state.json"), trainerState(20, [h10, { eval_loss: 1.5, step: 20 }, h20]));
  write(path.join(dir, "checkpoint-9", "optimizer.pt"), "placeholder"); // no trainer_state.json: not a log
  return dir;
}

describe("rftlab logs", () => {
  test("a TRL run folder: the newest checkpoint's trainer_state.json, old names mapped; --json with --metrics", () => {
    const dir = trlRun();
    assert.equal(findMetricLog(dir), path.join(dir, "checkpoint-20", "trainer_state.json"));
    const r = runCli(["logs", dir, "--json", "--metrics", "reward,completions/mean_length"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(out), ["file", "format", "engine", "renamed", "metrics", "rows"]);
    assert.equal(out.format, "trainer-state");
    assert.deepEqual(out.renamed, { completion_length: "completions/mean_length" });
    assert.deepEqual(out.metrics, ["reward", "completions/mean_length"]);
    assert.deepEqual(out.rows, [
      { step: 10, reward: 0.25, "completions/mean_length": 40.5 },
      { step: 20, reward: 0.5, "completions/mean_length": 38 },
    ]);
  });

  test("text: one column per metric, '-' where a step did not log it; the file, format and renamed keys below", () => {
    const r = runCli(["logs", trlRun()]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.deepEqual(lines[0].split(/\s+/), ["step", "reward", "kl", "loss", "completions/mean_length", "eval_loss"]);
    assert.deepEqual(lines[1].split(/\s+/), ["10", "0.25", "0.001", "0.5", "40.5", "-"]);
    assert.deepEqual(lines[2].split(/\s+/), ["20", "0.5", "0.002", "0.25", "38", "1.5"]);
    assert.match(
      lines[3],
      /^2 steps from .*checkpoint-20\/trainer_state\.json \(trainer-state, trl names\); renamed to spec names: completion_length → completions\/mean_length$/,
    );
  });

  test("a verl run folder with its file-logger JSONL: verl keys under spec names; rftlab's metrics.jsonl comes first", () => {
    const dir = tmpDir("rftlab-logs-verl-");
    write(path.join(dir, "global_step_2", "actor", "fsdp_config.json"), "{}");
    write(
      path.join(dir, "train.jsonl"),
      [
        { step: 1, data: { "critic/score/mean": 0.125, "actor/kl_loss": 0.01, "actor/pg_loss": -0.5 } },
        { step: 2, data: { "critic/score/mean": 0.25, "actor/kl_loss": 0.02, "actor/pg_loss": -0.25 } },
      ]
        .map((o) => JSON.stringify(o))
        .join("\n") + "\n",
    );
    const r = runCli(["logs", dir, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.engine, "verl");
    assert.deepEqual(out.rows, [
      { step: 1, reward: 0.125, kl: 0.01, loss: -0.5 },
      { step: 2, reward: 0.25, kl: 0.02, loss: -0.25 },
    ]);
    const own = write(path.join(dir, "metrics.jsonl"), `${JSON.stringify({ step: 1, reward: 1 })}\n`);
    assert.equal(findMetricLog(dir), own);
  });

  test("a W&B chart export: one row per step and run, with a run column", () => {
    const f = write(
      path.join(tmpDir("rftlab-logs-wandb-"), "chart.csv"),
      'Step,"grpo-a - train/reward","grpo-a - train/reward__MIN","grpo-b - train/reward"\n1,0.5,0.4,0.25\n2,0.75,0.7,\n',
    );
    const r = runCli(["logs", f, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).rows, [
      { step: 1, run: "grpo-a", reward: 0.5 },
      { step: 1, run: "grpo-b", reward: 0.25 },
      { step: 2, run: "grpo-a", reward: 0.75 },
    ]);
  });

  test("bad input: exit 2 with one line naming the problem and the fix", () => {
    const empty = tmpDir("rftlab-logs-empty-");
    const two = tmpDir("rftlab-logs-two-");
    write(path.join(two, "a.jsonl"), "");
    write(path.join(two, "b.csv"), "");
    for (const [args, pattern] of [
      [
        ["logs", trlRun(), "--metrics", "reward,accuracy"],
        /has no metric accuracy; it has reward, kl, loss, completions\/mean_length, eval_loss/,
      ],
      [["logs", empty], /holds no training log .*pass the log file/],
      [["logs", two], /holds several logs \(a\.jsonl, b\.csv\); pass the one to read/],
      [["logs", path.join(empty, "absent")], /no such file or folder/],
      [["logs"], /rftlab logs: /],
    ] as const) {
      const r = runCli([...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
  });
});
