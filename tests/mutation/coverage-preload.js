// Preloaded (node -r) by tests/mutation/coverage.ts: V8 block coverage of this process, kept only for the
// files named in RFTLAB_MUTATION_COVERAGE_FILES (JSON list of file URLs) and written to
// RFTLAB_MUTATION_COVERAGE_OUT at exit. NODE_V8_COVERAGE would write every script (≈ 18 MB with tfjs).
const fs = require("node:fs");
const inspector = require("node:inspector");

const session = new inspector.Session();
session.connect();
session.post("Profiler.enable");
session.post("Profiler.startPreciseCoverage", { callCount: true, detailed: true });
const wanted = new Set(JSON.parse(process.env.RFTLAB_MUTATION_COVERAGE_FILES));
process.on("exit", () => {
  // An in-process session answers synchronously, so the coverage is written before the process ends.
  session.post("Profiler.takePreciseCoverage", (err, { result }) => {
    if (err) throw err;
    fs.writeFileSync(process.env.RFTLAB_MUTATION_COVERAGE_OUT, JSON.stringify({ result: result.filter((s) => wanted.has(s.url)) }));
  });
});
