import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";

// A child process creates two scratch folders with a file each, prints them and exits; what is left afterwards is
// what a notebook kernel leaves when it shuts down.
function scratchInChild(env: Record<string, string>): string[] {
  const lib = path.join(__dirname, "../../lib/io/scratch-dir.js");
  const script = `const { scratchDir } = require(${JSON.stringify(lib)}); const fs = require("fs");
const dirs = [scratchDir("rftlab-scratch-test-"), scratchDir("rftlab-scratch-test-")];
for (const d of dirs) fs.writeFileSync(d + "/f.txt", "x");
console.log(JSON.stringify(dirs));`;
  const r = spawnSync(process.execPath, ["-e", script], { env: { ...process.env, ...env }, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test("scratchDir: folders (with their files) are removed when the process exits", () => {
  const dirs = scratchInChild({ RFTLAB_KEEP_RUNS: "" });
  assert.equal(dirs.length, 2);
  assert.notEqual(dirs[0], dirs[1]);
  for (const d of dirs) assert.equal(fs.existsSync(d), false, d);
});

test("scratchDir: RFTLAB_KEEP_RUNS=1 keeps them", () => {
  const dirs = scratchInChild({ RFTLAB_KEEP_RUNS: "1" });
  for (const d of dirs) {
    assert.equal(fs.readFileSync(path.join(d, "f.txt"), "utf8"), "x");
    fs.rmSync(d, { recursive: true, force: true });
  }
});
