#!/usr/bin/env node
// Runs every compiled test file with node's test runner, one file at a time (2-core machines, shared wasm heap).
// Usage: node tests/run.js [substring filter...]

const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..", "dist", "tests");
function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : e.name.endsWith(".test.js") ? [p] : [];
  });
}
if (!fs.existsSync(root)) {
  console.error(`tests/run.js: ${root} does not exist; run \`npm run build\` first`);
  process.exit(2);
}
const filters = process.argv.slice(2);
const files = walk(root)
  .sort()
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error(`tests/run.js: no test files match ${JSON.stringify(filters)}`);
  process.exit(2);
}
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=1", "--test-reporter=spec", ...files], {
  stdio: "inherit",
  env: { ...process.env, RFTLAB_QUIET: "1" },
});
process.exit(r.status ?? 1);
