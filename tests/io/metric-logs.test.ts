// Training logs of TRL, verl, OpenRLHF and W&B exports read into rftlab's metric rows (lib/io/metric-logs.ts).
// Fixtures are written from the engines' documented formats (versions in lib/io/engine-metric-names.ts).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { readMetricLog } from "../../lib/io";
import { lineFigure } from "../../lib/display";
import { tmpDir } from "../helpers/tmp";

const dir = tmpDir();
const write = (name: string, text: string) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
};
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

describe("training logs from other engines", () => {
  test("TRL trainer_state.json: train and eval entries of a step merge; old names map to the spec's", () => {
    const f = write(
      "trainer_state.json",
      JSON.stringify({
        global_step: 20,
        log_history: [
          // TRL 0.14 names
          {
            completion_length: 40.5,
            epoch: 0.1,
            grad_norm: 0.5,
            kl: 0.001,
            learning_rate: 1e-6,
            loss: 0.0,
            reward: 0.25,
            reward_std: 0.3,
            "rewards/accuracy_reward": 0.25,
            step: 10,
          },
          { eval_loss: 1.25, eval_runtime: 3.5, epoch: 0.1, step: 10 },
          // current names
          {
            "completions/mean_length": 38,
            "clip_ratio/region_mean": 0.01,
            entropy: 0.9,
            reward: 0.5,
            "rewards/accuracy_reward/mean": 0.5,
            step: 20,
          },
          { train_runtime: 100.5, train_loss: 0.01, total_flos: 0, step: 20 },
        ],
      }),
    );
    const log = readMetricLog(f);
    assert.equal(log.format, "trainer-state");
    assert.equal(log.engine, "trl");
    assert.deepEqual(log.rows, [
      {
        step: 10,
        "completions/mean_length": 40.5,
        epoch: 0.1,
        grad_norm: 0.5,
        kl: 0.001,
        learning_rate: 1e-6,
        loss: 0,
        reward: 0.25,
        reward_std: 0.3,
        "rewards/accuracy_reward/mean": 0.25,
        eval_loss: 1.25,
        eval_runtime: 3.5,
      },
      {
        step: 20,
        "completions/mean_length": 38,
        "clip_ratio/region_mean": 0.01,
        entropy: 0.9,
        reward: 0.5,
        "rewards/accuracy_reward/mean": 0.5,
        train_runtime: 100.5,
        train_loss: 0.01,
        total_flos: 0,
      },
    ]);
    assert.deepEqual(log.renamed, {
      completion_length: "completions/mean_length",
      "rewards/accuracy_reward": "rewards/accuracy_reward/mean",
    });
  });

  const verlData: Record<string, number>[] = [
    {
      "critic/score/mean": 0.125,
      "critic/rewards/mean": 0.12,
      "actor/entropy": 1.5,
      "actor/kl_loss": 0.002,
      "actor/ppo_kl": 0.0001,
      "actor/pg_clipfrac": 0.03,
      "actor/pg_loss": -0.01,
      "actor/grad_norm": 0.75,
      "actor/lr": 1e-6,
      "response_length/mean": 200.5,
      "response_length/clip_ratio": 0.0625,
      "timing_s/step": 30.25,
      "perf/total_num_tokens": 5000,
    },
    { "critic/score/mean": 0.25, "actor/entropy": 1.25, "actor/kl_loss": 0.004, "timing_s/step": 29.5 },
  ];
  const verlRows = [
    {
      step: 1,
      reward: 0.125,
      "critic/rewards/mean": 0.12,
      entropy: 1.5,
      kl: 0.002,
      "actor/ppo_kl": 0.0001,
      "clip_ratio/region_mean": 0.03,
      loss: -0.01,
      grad_norm: 0.75,
      learning_rate: 1e-6,
      "completions/mean_length": 200.5,
      "completions/clipped_ratio": 0.0625,
      step_time: 30.25,
      "perf/total_num_tokens": 5000,
    },
    { step: 2, reward: 0.25, entropy: 1.25, kl: 0.004, step_time: 29.5 },
  ];

  test("verl's file logger JSONL ({step, data}) with a torn last line (a run still writing)", () => {
    const f = write("verl.jsonl", jsonl(verlData.map((data, i) => ({ step: i + 1, data }))) + '{"step": 3, "data": {"critic/sc');
    const log = readMetricLog(f);
    assert.equal(log.engine, "verl");
    assert.deepEqual(log.rows, verlRows);
  });

  test("verl's console lines (Ray prefixes, numpy scalars) give the same rows", () => {
    const line = (step: number, d: Record<string, number>) =>
      `(TaskRunner pid=4242) step:${step} - ` +
      Object.entries(d)
        .map(([k, v], i) => `${k}:${i % 2 ? `np.float64(${v})` : v}`)
        .join(" - ");
    const f = write(
      "verl-console.log",
      ["(TaskRunner pid=4242) Training Progress: 0%", line(1, verlData[0]), "some other output", line(2, verlData[1]), ""].join("\n"),
    );
    const log = readMetricLog(f);
    assert.equal(log.format, "console");
    assert.deepEqual(log.rows, verlRows);
  });

  test("OpenRLHF run history exported from W&B as CSV: train/ dropped, train/global_step is the step", () => {
    const f = write(
      "openrlhf.csv",
      "_step,_runtime,_timestamp,train/policy_loss,train/reward,train/kl,train/actor_lr,train/actor_grad_norm,train/response_length,train/entropy_loss,train/rollout/reward_std,train/global_step\n" +
        "0,10.5,1700000000,0.5,0.25,0.001,5e-7,1.5,120,0.75,0.5,1\n" +
        "1,20.5,1700000010,0.25,0.5,,5e-7,1.25,110,0.5,0.25,2\n",
    );
    const log = readMetricLog(f);
    assert.equal(log.engine, "openrlhf");
    assert.deepEqual(log.rows, [
      {
        step: 1,
        loss: 0.5,
        reward: 0.25,
        kl: 0.001,
        learning_rate: 5e-7,
        grad_norm: 1.5,
        "completions/mean_length": 120,
        entropy: 0.75,
        reward_std: 0.5,
      },
      {
        step: 2,
        loss: 0.25,
        reward: 0.5,
        learning_rate: 5e-7,
        grad_norm: 1.25,
        "completions/mean_length": 110,
        entropy: 0.5,
        reward_std: 0.25,
      },
    ]);
  });

  test("a W&B chart export of two runs: one row per run and step; it plots with lineFigure", () => {
    const f = write(
      "panel.csv",
      '"Step","grpo-a - train/reward","grpo-a - train/reward__MIN","grpo-a - train/reward__MAX","grpo-b - train/reward"\n' +
        '"10","0.25","0.2","0.3","0.5"\n"20","0.375","0.3","0.4",""\n',
    );
    const log = readMetricLog(f);
    assert.deepEqual(log.rows, [
      { step: 10, run: "grpo-a", reward: 0.25 },
      { step: 10, run: "grpo-b", reward: 0.5 },
      { step: 20, run: "grpo-a", reward: 0.375 },
    ]);
    const fig = lineFigure(log.rows, { x: "step", y: "reward", series: "run" });
    assert.deepEqual(
      fig.spec.data.map((t) => [t.name, t.y]),
      [
        ["grpo-a", [0.25, 0.375]],
        ["grpo-b", [0.5]],
      ],
    );
  });

  test("rftlab's own metrics.jsonl reads back unchanged", () => {
    const rows = [
      { step: 1, reward: 0.5, kl: 0, "rewards/correct/mean": 0.5, step_time: 1.5 },
      { step: 2, reward: 0.75, kl: 0.01, "rewards/correct/mean": 0.75, step_time: 1.25 },
    ];
    const log = readMetricLog(write("metrics.jsonl", jsonl(rows)));
    assert.deepEqual(log.rows, rows);
    assert.deepEqual(log.renamed, {});
  });

  test("bad logs: one line naming the file, the line and the fix", () => {
    const cases: [string, string, RegExp][] = [
      [
        "bad.jsonl",
        '{"step": 1, "reward": 0.5}\n{"step": 2, "rew\n{"step": 3}\n',
        /bad\.jsonl line 2 is not JSON .*delete or repair that line/,
      ],
      ["nostep.jsonl", '{"reward": 0.5}\n', /nostep\.jsonl line 1: no step \(step, global_step/],
      ["trainer_state.json", '{"global_step": 3}', /no "log_history" list; pass the trainer_state\.json/],
      ["plain.log", "loading model\ndone\n", /no metric lines \("step:N - key:value - …"/],
      ["nostep.csv", "time,reward\n1,0.5\n", /no step column/],
    ];
    for (const [name, text, re] of cases) {
      assert.throws(
        () => readMetricLog(write(name, text)),
        (e: Error) => re.test(e.message) && !e.message.includes("\n"),
      );
    }
  });
});
