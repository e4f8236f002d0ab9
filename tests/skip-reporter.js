// node:test reporter used by tests/run.js: writes one JSON line per skipped or todo test, so the
// runner can fail on skips that tests/skips-allowed.json does not name.
module.exports = async function* skipReporter(source) {
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const { name, file, skip, todo } = event.data;
    if (skip === undefined && todo === undefined) continue;
    const kind = skip !== undefined ? "skip" : "todo";
    const reason = (kind === "skip" ? skip : todo) || "";
    yield `${JSON.stringify({ kind, name, file, reason: typeof reason === "string" ? reason : "" })}\n`;
  }
};
