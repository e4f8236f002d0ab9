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
// A second reporter lists skipped and todo tests; any that tests/skips-allowed.json does not allow fails the run.
const skipLog = path.join(fs.mkdtempSync(path.join(require("node:os").tmpdir(), "rftlab-skips-")), "skips.jsonl");
const r = spawnSync(
  process.execPath,
  [
    "--test",
    "--test-concurrency=1",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    `--test-reporter=${path.join(__dirname, "skip-reporter.js")}`,
    `--test-reporter-destination=${skipLog}`,
    ...files,
  ],
  { stdio: "inherit", env: { ...process.env, RFTLAB_QUIET: "1" } },
);
const allowed = JSON.parse(fs.readFileSync(path.join(__dirname, "skips-allowed.json"), "utf8")).allowed;
const seen = fs.existsSync(skipLog)
  ? fs
      .readFileSync(skipLog, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l))
  : [];
fs.rmSync(path.dirname(skipLog), { recursive: true, force: true });
const isAllowed = (s) => allowed.some((a) => a.kind === s.kind && a.name === s.name && a.message === s.reason);
const unexpected = seen.filter((s) => !isAllowed(s));
for (const s of seen.filter(isAllowed)) console.error(`tests/run.js: allowed ${s.kind}: ${s.name} (${s.reason})`);
for (const s of unexpected) {
  console.error(`tests/run.js: ${s.kind} not allowed: "${s.name}" in ${s.file}: ${s.reason || "(no reason)"}`);
}
if (unexpected.length > 0) {
  console.error(
    `tests/run.js: ${unexpected.length} skipped/todo test(s) not in tests/skips-allowed.json; ` +
      "install what they need (bin/setup installs python3-torch) or add an entry with kind, name, message and why",
  );
  process.exit(r.status || 1);
}
process.exit(r.status ?? 1);
