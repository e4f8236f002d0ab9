// node:test reporter used by tests/mutation/coverage.ts: one JSON line per leaf test (suites left out), so
// the mutation runner can run and time each test on its own. Lines start with a marker: tests print too.
module.exports = async function* leafReporter(source) {
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const { name, skip, todo, details } = event.data;
    if (details?.type === "suite") continue;
    yield `rftlab-leaf ${JSON.stringify({ name, pass: event.type === "test:pass", skipped: skip !== undefined || todo !== undefined, ms: details?.duration_ms ?? 0 })}\n`;
  }
};
