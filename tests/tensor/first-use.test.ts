// Outside the kernel, the library selects the best backend on its first long-running call, without
// tfjs' "install our node backend" banner or Node's warning banner.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { spawnSync } from "node:child_process";

test("generate without initBackend runs on the best backend, with at most one short note on stderr", () => {
  const helpers = JSON.stringify(path.join(__dirname, "..", "helpers", "tiny-model"));
  const sampling = JSON.stringify(path.join(__dirname, "..", "..", "lib", "sampling"));
  const tensor = JSON.stringify(path.join(__dirname, "..", "..", "lib", "tensor"));
  const script = [
    `const { tinyModel } = require(${helpers});`,
    `const { generate } = require(${sampling});`,
    `const { tf } = require(${tensor});`,
    "const model = tinyModel();",
    "generate(model, [[1, 2]], { maxNewTokens: 2, numGenerations: 1 }).then(() => console.log(tf.getBackend()));",
  ].join("\n");
  const env = { ...process.env, RFTLAB_QUIET: "", RFTLAB_BACKEND: "" };
  const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", env });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "wasm");
  assert.doesNotMatch(r.stderr, /node backend|trace-warnings|Warning/, r.stderr);
  assert.ok(r.stderr.trim().split("\n").length <= 1, r.stderr);
});
