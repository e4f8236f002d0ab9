import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { RunDir } from "../../lib/io/run-dir";
import { configDifferences } from "../../lib/io/config-diff";
import { tmpDir } from "../helpers/tmp";

const deadPid = () => Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString());
const lines = (file: string) => fs.readFileSync(file, "utf8");
const oneLine = (re: RegExp) => (e: Error) => re.test(e.message) && !e.message.includes("\n");

/** A run folder with a config, logs for steps 1..5 and a checkpoint at step `ckpt` (none when undefined). */
async function killedRun(ckpt?: number): Promise<string> {
  const dir = path.join(tmpDir(), "run");
  const run = await RunDir.open(dir, { lr: 1 });
  for (let s = 1; s <= 5; s++) {
    await run.append("metrics", [{ step: s, loss: s }]);
    await run.append("completions", [
      { step: s, text: "a" },
      { step: s, text: "b" },
    ]);
    if (s === ckpt) await run.saveCheckpoint(s, async (d) => fs.writeFileSync(path.join(d, "w"), "x"));
  }
  run.close(); // a kill leaves the lock too; that case is tested below
  return dir;
}

test("RunDir: a second open of a locked run folder fails naming the folder and the holder pid; close releases it", async () => {
  const dir = path.join(tmpDir(), "run");
  const run = await RunDir.open(dir, { lr: 1 });
  await assert.rejects(
    RunDir.open(dir, { lr: 1 }, { resume: true }),
    oneLine(new RegExp(`run folder ${dir} is in use by process ${process.pid} .*wait for that run to end`)),
  );
  run.close();
  (await RunDir.open(dir, { lr: 1 }, { resume: true })).close();
});

test("RunDir: two fresh runs started together on one folder: exactly one gets it", async () => {
  const dir = path.join(tmpDir(), "run");
  const results = await Promise.allSettled([RunDir.open(dir, { a: 1 }), RunDir.open(dir, { a: 2 })]);
  const ok = results.filter((r) => r.status === "fulfilled");
  assert.equal(ok.length, 1);
  const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
  assert.match(failed.reason.message, /is in use by process|already holds a run/);
  (ok[0] as PromiseFulfilledResult<RunDir>).value.close();
});

test("RunDir: a lock held by another live process is refused; one left by a dead process is taken over", async () => {
  const dir = await killedRun(2);
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  try {
    fs.mkdirSync(path.join(dir, ".lock"));
    fs.writeFileSync(path.join(dir, ".lock", "pid"), String(child.pid));
    await assert.rejects(RunDir.open(dir, { lr: 1 }, { resume: true }), oneLine(new RegExp(`in use by process ${child.pid}`)));
  } finally {
    child.kill("SIGKILL");
  }
  fs.writeFileSync(path.join(dir, ".lock", "pid"), String(deadPid()));
  const run = await RunDir.open(dir, { lr: 1 }, { resume: true });
  assert.equal(lines(path.join(dir, ".lock", "pid")), String(process.pid));
  run.close();
  assert.equal(fs.existsSync(path.join(dir, ".lock")), false);
});

test("RunDir: resume cuts every log back to the checkpoint's step (no step logged twice)", async () => {
  const dir = await killedRun(2);
  const run = await RunDir.open(dir, { lr: 1 }, { resume: true });
  assert.deepEqual(
    run.read("metrics").map((r) => r.step),
    [1, 2],
  );
  assert.deepEqual(
    run.read("completions").map((r) => r.step),
    [1, 1, 2, 2],
  );
  run.close();
});

test("RunDir: resume without a checkpoint empties the logs (the run restarts at step 1)", async () => {
  const dir = await killedRun(undefined);
  const run = await RunDir.open(dir, { lr: 1 }, { resume: true });
  assert.equal(lines(path.join(dir, "metrics.jsonl")), "");
  assert.equal(lines(path.join(dir, "completions.jsonl")), "");
  run.close();
});

test("RunDir: a torn last line is dropped; a damaged line mid-file is a one-line error naming file and line", async () => {
  const dir = await killedRun(5);
  const metrics = path.join(dir, "metrics.jsonl");
  fs.appendFileSync(metrics, '{"step": 6, "lo');
  const run = await RunDir.open(dir, { lr: 1 }, { resume: true });
  assert.deepEqual(
    run.read("metrics").map((r) => r.step),
    [1, 2, 3, 4, 5],
  );
  assert.ok(lines(metrics).endsWith("}\n"));
  run.close();
  fs.writeFileSync(metrics, '{"step": 1}\n{"st\n{"step": 2}\n');
  await assert.rejects(RunDir.open(dir, { lr: 1 }, { resume: true }), oneLine(new RegExp(`${metrics} line 2 is not JSON`)));
  assert.equal(fs.existsSync(path.join(dir, ".lock")), false, "a failed open releases its lock");
});

test("RunDir: temp files and folders of dead processes are removed on open, a live writer's are kept", async () => {
  const dir = await killedRun(2);
  const dead = deadPid();
  const stale = [
    path.join(dir, "checkpoints", `.step-000004.${dead}.tmp`),
    path.join(dir, `metrics.jsonl.${dead}.lq2x.tmp`),
    path.join(dir, `.lock.${dead}.tmp`),
  ];
  fs.mkdirSync(stale[0]);
  fs.writeFileSync(path.join(stale[0], "trainable.safetensors"), "partial");
  fs.writeFileSync(stale[1], "partial");
  fs.mkdirSync(stale[2]);
  const live = path.join(dir, `latest.${process.ppid}.lq2x.tmp`);
  fs.writeFileSync(live, "in flight");
  const run = await RunDir.open(dir, { lr: 1 }, { resume: true });
  for (const p of stale) assert.equal(fs.existsSync(p), false, p);
  assert.ok(fs.existsSync(live));
  assert.equal(run.latest()?.step, 2);
  run.close();
});

test("RunDir: resuming with another config names what differs and how to start fresh; a fresh run never overwrites", async () => {
  const dir = path.join(tmpDir(), "run");
  const config = { trainer: "grpo", lr: 1, run: { model: "tiny-base", dataset: { task: "add", digits: 1 } } };
  (await RunDir.open(dir, config)).close();
  await assert.rejects(RunDir.open(dir, config), oneLine(/already holds a run .*--resume/));
  const other = { ...config, run: { ...config.run, dataset: { task: "mul", digits: 1 } } };
  await assert.rejects(
    RunDir.open(dir, other, { resume: true }),
    oneLine(/the run config differs .* in run\.dataset\.task: saved "add", now "mul"; .*start fresh with a new --out/),
  );
});

test("RunDir: an --out that is a file (or inside one) is a one-line error", async () => {
  const file = path.join(tmpDir(), "f");
  fs.writeFileSync(file, "x");
  await assert.rejects(RunDir.open(file, {}), oneLine(/is a file, not a folder; choose another output folder/));
  await assert.rejects(RunDir.open(path.join(file, "run"), {}), oneLine(/is a file, not a folder/));
});

test("configDifferences: dotted paths with both values, nested keys, absent keys, at most `max`", () => {
  assert.deepEqual(configDifferences({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }), []);
  assert.deepEqual(configDifferences({ a: 1, b: { c: 2 } }, { a: 2, b: { c: 2, d: "x" } }), [
    "a: saved 1, now 2",
    'b.d: saved absent, now "x"',
  ]);
  assert.deepEqual(configDifferences(1, 2), ["(the whole config): saved 1, now 2"]);
  assert.equal(configDifferences({ a: 1, b: 1, c: 1 }, { a: 2, b: 2, c: 2 }, 2).length, 2);
});
