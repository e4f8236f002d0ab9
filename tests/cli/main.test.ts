import { test } from "node:test";
import assert from "node:assert/strict";
import { runCli } from "../helpers/cli";

test("info --json reports the backend, versions and threads", () => {
  const r = runCli(["info", "--json"], { RFTLAB_BACKEND: "wasm" });
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.equal(info.backend, "wasm");
  assert.equal(info.gpu, false);
  assert.ok(info.threads >= 1);
  assert.equal(info.versions["@tensorflow/tfjs"], "4.22.0");
});

test("auto without tfjs-node falls back to wasm and says why", () => {
  const r = runCli(["info", "--json"], { RFTLAB_BACKEND: "" });
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.equal(info.backend, "wasm");
  assert.ok(
    info.skipped.some((s: string) => s.includes("tfjs-node-gpu")),
    info.skipped.join("; "),
  );
});

test("cpu backend can be forced", () => {
  const r = runCli(["info", "--json", "--backend", "cpu"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).backend, "cpu");
});

test("asking for tensorflow without it installed is a one-line error with the fix", () => {
  const r = runCli(["info", "--backend", "tensorflow"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /tfjs-node-gpu/);
});

test("bad input: unknown command, unknown flag, bad choice, bad env", () => {
  for (const [args, env, pattern] of [
    [["frobnicate"], {}, /unknown command "frobnicate"/],
    [["info", "--nope"], {}, /Unknown option '--nope'/],
    [["info", "--backend", "tpu"], {}, /--backend must be one of auto, tensorflow, webgpu, wasm, cpu; got "tpu"/],
    [["info"], { RFTLAB_BACKEND: "gpu" }, /RFTLAB_BACKEND must be one of .*got "gpu"/],
  ] as const) {
    const r = runCli([...args], { ...env });
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});

test("every command answers --help", async () => {
  const { commandLoaders } = await import("../../lib/cli/commands");
  for (const name of Object.keys(commandLoaders)) {
    const r = runCli([name, "--help"]);
    assert.equal(r.code, 0, `${name} --help: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`rftlab ${name}`));
  }
});
