import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";

const MAIN = path.join(__dirname, "..", "..", "lib", "cli", "main.js");

function rftlab(args: string[]) {
  const r = spawnSync(
    process.execPath,
    ["-e", `require(${JSON.stringify(MAIN)}).main(JSON.parse(process.env.RFTLAB_TEST_ARGV)).then(c => process.exit(c))`],
    {
      encoding: "utf8",
      env: { ...process.env, RFTLAB_QUIET: "1", RFTLAB_TEST_ARGV: JSON.stringify(args) },
      timeout: 60_000,
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("models --json lists each zoo model: name, kind, parent, parameters, recipe, status, held-out numbers", () => {
  const r = rftlab(["models", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
  const byName = Object.fromEntries(rows.map((m) => [m.name, m]));
  for (const m of rows) {
    assert.deepEqual(Object.keys(m).sort(), ["description", "heldOut", "kind", "name", "parameters", "parent", "recipe", "status"]);
  }
  const base = byName["tiny-base"] as {
    kind: string;
    parent: null;
    parameters: number;
    status: string;
    recipe: string;
    heldOut: { evalLoss: number };
  };
  assert.equal(base.kind, "pretrain");
  assert.equal(base.parent, null);
  assert.equal(base.status, "ok");
  assert.equal(base.recipe, "datasets/zoo/tiny-base/recipe.json");
  assert.ok(base.parameters > 0 && base.heldOut.evalLoss > 0);
  const inst = byName["tiny-instruct"] as {
    parent: string;
    parameters: number;
    heldOut: { tasks: { task: string; accuracy: number; ci95: [number, number]; prompts: number; samples: number }[] };
  };
  assert.equal(inst.parent, "tiny-base");
  assert.equal(inst.parameters, base.parameters);
  for (const t of inst.heldOut.tasks) {
    assert.ok(t.ci95[0] <= t.accuracy && t.accuracy <= t.ci95[1], JSON.stringify(t));
    assert.ok(t.prompts * t.samples >= 256, JSON.stringify(t));
  }
});

test("models prints a table; build of an unknown name suggests the closest", () => {
  const r = rftlab(["models"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /tiny-instruct\s+sft\s+\d+\s+ok/);
  const bad = rftlab(["models", "build", "tiny-instrct"]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /did you mean "tiny-instruct"/);
  const action = rftlab(["models", "rebuild"]);
  assert.notEqual(action.code, 0);
  assert.match(action.stderr, /unknown action "rebuild"/);
});

test("a zoo name is a model for rftlab eval (and rftlab train, through the same resolver)", () => {
  const r = rftlab(["eval", "tiny-instruct", "--task", "max", "--n", "8", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.n, 8);
  assert.ok(out.accuracy >= 0 && out.accuracy <= 1);
});
