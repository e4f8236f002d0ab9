// Import rules from the house style: dependencies point one way, rewards never touch tfjs,
// only lib/io (and the CLI that drives it) touches files, only lib/tensor/tf.ts imports tfjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

const LIB = path.join(__dirname, "..", "..", "lib");

/** Which lib areas each area may import (besides itself and errors.ts). */
const ALLOWED: Record<string, string[]> = {
  base: [],
  stats: ["base"],
  tensor: ["base"],
  io: ["tensor", "base"],
  tasks: ["base"],
  rewards: ["base", "tasks"],
  display: ["io", "stats", "base"],
  model: ["tensor", "io", "base"],
  linalg: ["tensor", "base"],
  sampling: ["tensor", "model", "io", "base"],
  peft: ["tensor", "model", "io", "base"],
  evaluation: ["tensor", "model", "io", "sampling", "tasks", "rewards", "stats", "base"],
  rl: ["tensor", "model", "io", "sampling", "peft", "rewards", "tasks", "evaluation", "stats", "base", "display"],
  analysis: ["tensor", "io", "model", "linalg", "stats", "base"],
  forgetting: ["tensor", "io", "model", "sampling", "tasks", "rewards", "evaluation", "stats", "base"],
  continual: [
    "tensor",
    "io",
    "model",
    "sampling",
    "tasks",
    "rewards",
    "evaluation",
    "stats",
    "base",
    "rl",
    "peft",
    "forgetting",
    "analysis",
    "display",
  ],
  cli: ["*"],
};
/** Files outside lib/io and lib/cli that may use node:fs for package assets (never user data), with the reason. */
const FS_ALLOWED: Record<string, string> = {
  [path.join("display", "chromium.ts")]: "checks that the Chromium executable exists",
  [path.join("display", "plotly-source.ts")]: "reads the bundled plotly.min.js to inline it",
  [path.join("tensor", "wasm", "setup.ts")]: "writes tfjs-wasm's pthread worker script to a temp file Node can load",
  [path.join("tensor", "webgpu.ts")]: "looks for Vulkan driver manifests and makes Dawn's runtime folder before loading Dawn",
};

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith(".ts") ? [p] : [];
  });
}

function imports(file: string): string[] {
  const src = fs.readFileSync(file, "utf8");
  const re = /(?:from\s+|import\s*\(\s*|require\(\s*)["']([^"']+)["']/g;
  return [...src.matchAll(re)].map((m) => m[1]);
}

test("lib areas import only the areas below them", () => {
  const problems: string[] = [];
  for (const file of sources(LIB)) {
    const rel = path.relative(LIB, file);
    const area = rel.includes(path.sep) ? rel.split(path.sep)[0] : "";
    if (!area) continue; // lib/index.ts, lib/errors.ts
    const allowed = ALLOWED[area];
    if (!allowed) {
      problems.push(`${rel}: area "${area}" has no import rule in tests/architecture.test.ts`);
      continue;
    }
    for (const spec of imports(file)) {
      if (!spec.startsWith(".")) continue;
      const target = path.relative(LIB, path.resolve(path.dirname(file), spec));
      const tArea = target.split(path.sep)[0];
      if (target.startsWith("..") && path.basename(spec) !== "package.json") {
        problems.push(`${rel} imports ${spec}, outside lib/ (kernel/, tests/ and bench/ build on lib, never the reverse)`);
        continue;
      }
      if (target.startsWith("..")) continue; // the package's own package.json (version)
      if (tArea === area || tArea === "errors" || tArea === "index") continue;
      if (!allowed.includes("*") && !allowed.includes(tArea)) problems.push(`${rel} imports ${spec} (area ${tArea})`);
    }
  }
  assert.deepEqual(problems, []);
});

test("only lib/tensor/tf.ts imports @tensorflow/tfjs; rewards never touch tensors", () => {
  const problems: string[] = [];
  for (const file of sources(LIB)) {
    const rel = path.relative(LIB, file);
    for (const spec of imports(file)) {
      if (spec === "@tensorflow/tfjs" && rel !== path.join("tensor", "tf.ts")) problems.push(`${rel} imports ${spec}`);
      if (rel.startsWith("rewards") && (spec.includes("tensorflow") || spec.includes("/tensor"))) problems.push(`${rel} imports ${spec}`);
    }
  }
  assert.deepEqual(problems, []);
});

test("only lib/io and lib/cli touch files", () => {
  const problems: string[] = [];
  for (const file of sources(LIB)) {
    const rel = path.relative(LIB, file);
    if (rel.startsWith("io") || rel.startsWith("cli") || FS_ALLOWED[rel]) continue;
    for (const spec of imports(file)) {
      if (spec === "fs" || spec === "node:fs" || spec === "fs/promises" || spec === "node:fs/promises") {
        problems.push(`${rel} imports ${spec}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
