// The public surface is deliberate: lib/index.ts's names and types must equal the checked-in api/rftlab.api.md.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { API_FILE, apiReport } from "./api-report";

const current = apiReport(); // one compile (~10 s) for both tests

test("the public API equals api/rftlab.api.md (regenerate: npm run api)", () => {
  const recorded = fs.existsSync(API_FILE) ? fs.readFileSync(API_FILE, "utf8") : "";
  if (current === recorded) return;
  const a = new Set(recorded.split("\n"));
  const b = new Set(current.split("\n"));
  const removed = [...a].filter((l) => !b.has(l));
  const added = [...b].filter((l) => !a.has(l));
  assert.fail(
    `public API changed; if deliberate, run \`npm run api\` and commit api/rftlab.api.md\n- ${removed.join("\n- ")}\n+ ${added.join("\n+ ")}`,
  );
});

test("internals stay out of the public API", () => {
  const report = current;
  for (const internal of ["installMatMulGradient", "matmulF64TN", "MAX_HEADER_BYTES", "stepRows", "setDisplaySink"]) {
    assert.ok(!report.includes(`.${internal}\``), `${internal} is exported`);
  }
  for (const ns of [
    "tensor",
    "io",
    "model",
    "stats",
    "tasks",
    "sampling",
    "rewards",
    "evaluation",
    "rl",
    "peft",
    "linalg",
    "analysis",
    "forgetting",
    "continual",
    "display",
  ]) {
    assert.ok(report.includes(`| \`lab.${ns}.`), `namespace lab.${ns} is missing`);
  }
});
