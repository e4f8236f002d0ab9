// Seeded mutation testing of the core (issue 18), on demand and not part of `npm test`. Each mutant edits one
// compiled file under dist/lib (no recompile per mutant), runs its module's test files with node --test (one
// by one, stopping at the first failure) and puts the file back. A mutant is killed when a test fails or
// the tests time out (3× the unmutated run).
//
//   npx tsc -p tsconfig.json && nice -n 19 node dist/tests/mutation/run.js [--per-module 20] [--seed 1] [--module rl]
//   nice -n 19 node dist/tests/mutation/run.js --planted      (the planted bugs of issue 18, with and without torch)
//
// Scores and survivors: tests/MUTATION.md.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { createRng } from "../../lib/base/random";

const DIST = path.join(__dirname, "..", "..");

interface Module {
  name: string;
  /** Source files (lib/…ts); their compiled .js under dist/ are mutated. */
  files: string[];
  /** Test files (tests/…ts) run against each mutant. */
  tests: string[];
}

export const MODULES: Module[] = [
  {
    name: "rl",
    files: ["lib/rl/advantages.ts", "lib/rl/policy-loss.ts", "lib/rl/dpo-loss.ts", "lib/rl/sft-loss.ts", "lib/rl/topr-loss.ts"],
    tests: [
      "tests/rl/advantages.test.ts",
      "tests/rl/policy-loss.test.ts",
      "tests/rl/topr-loss.test.ts",
      "tests/rl/sft-loss.test.ts",
      "tests/rl/dpo-loss.test.ts",
      "tests/rl/losses-reference.test.ts",
    ],
  },
  {
    name: "analysis",
    files: ["lib/analysis/sparsity.ts", "lib/analysis/intruders.ts"],
    tests: ["tests/analysis/sparsity.test.ts", "tests/analysis/intruders.test.ts"],
  },
  { name: "linalg", files: ["lib/linalg/svd.ts", "lib/linalg/bidiagonal-qr.ts"], tests: ["tests/linalg/linalg.test.ts"] },
  {
    name: "io",
    files: ["lib/io/safetensors-format.ts", "lib/io/safetensors-write.ts"],
    tests: ["tests/io/safetensors.test.ts", "tests/io/safetensors-errors.test.ts"],
  },
  { name: "forgetting", files: ["lib/forgetting/metrics.ts"], tests: ["tests/forgetting/metrics.test.ts"] },
  { name: "model", files: ["lib/model/transformer.ts"], tests: ["tests/model/transformer.test.ts"] },
];

/** The bugs planted by hand in issue 18's audit: each must fail a test with and without torch. */
export const PLANTED: { bug: string; file: string; from: string; to: string; tests: string[] }[] = [
  {
    bug: "batch std over unfiltered (NaN) rewards",
    file: "lib/rl/advantages.ts",
    from: "std(valid(rewards))",
    to: "std(rewards)",
    tests: ["tests/rl/advantages.test.ts"],
  },
  {
    bug: "high-clip metric with the advantage sign flipped",
    file: "lib/rl/policy-loss.ts",
    from: ".greater(1 + c.epsilonHigh)\n            .logicalAnd(adv.greater(0))",
    to: ".greater(1 + c.epsilonHigh)\n            .logicalAnd(adv.less(0))",
    tests: ["tests/rl/policy-loss.test.ts", "tests/rl/losses-reference.test.ts"],
  },
  {
    bug: "ε_low and ε_high swapped in the clip",
    file: "lib/rl/policy-loss.ts",
    from: "clipByValue(1 - c.epsilonLow, 1 + c.epsilonHigh)",
    to: "clipByValue(1 - c.epsilonHigh, 1 + c.epsilonLow)",
    tests: ["tests/rl/policy-loss.test.ts", "tests/rl/losses-reference.test.ts"],
  },
  {
    bug: "intruder similarity against W₀'s top-k singular vectors only",
    file: "lib/analysis/intruders.ts",
    from: "for (let j = 0; j < r0; j++)\n            best",
    to: "for (let j = 0; j < Math.min(k, r0); j++)\n            best",
    tests: ["tests/analysis/intruders.test.ts"],
  },
  {
    bug: "RMSNorm eps 1e-6 instead of the config's",
    file: "lib/model/transformer.ts",
    from: "rmsNorm)(x, w, eps)",
    to: "rmsNorm)(x, w, 1e-6)",
    tests: ["tests/model/transformer.test.ts"],
  },
  {
    bug: "header-length check off by the 8-byte prefix",
    file: "lib/io/safetensors-format.ts",
    from: "if (8 + len > fileSize)",
    to: "if (len > fileSize)",
    tests: ["tests/io/safetensors.test.ts", "tests/io/safetensors-errors.test.ts"],
  },
  {
    bug: "reader takes header keys in offset order (no sort)",
    file: "lib/io/safetensors-format.ts",
    from: "raw.sort((a, b) => a.begin - b.begin || a.end - b.end);",
    to: ";",
    tests: ["tests/io/safetensors.test.ts", "tests/io/safetensors-errors.test.ts"],
  },
  {
    bug: "scalar shape [] counted as 0 elements",
    file: "lib/io/safetensors-format.ts",
    from: "shape.reduce((a, b) => a * b, 1)",
    to: "(shape.length ? shape.reduce((a, b) => a * b, 1) : 0)",
    tests: ["tests/io/safetensors.test.ts", "tests/io/safetensors-errors.test.ts"],
  },
];

const compiled = (src: string) => path.join(DIST, src.replace(/\.ts$/, ".js"));

/**
 * Runs test files one by one against the current dist/ (cheap hand-worked tests first, so a killed mutant
 * usually costs one file); stops at the first failing file. Pass, time and the names of the failing tests.
 */
async function testsPass(
  tests: string[],
  timeoutMs: number,
  env: NodeJS.ProcessEnv = {},
): Promise<{ pass: boolean; ms: number; failed: string[] }> {
  const t0 = Date.now();
  for (const test of tests) {
    const child = spawn(process.execPath, ["--test", "--test-reporter=spec", compiled(test)], {
      env: { ...process.env, RFTLAB_QUIET: "1", ...env },
      stdio: ["ignore", "pipe", "ignore"],
    });
    running = child;
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), Math.max(0, timeoutMs - (Date.now() - t0)));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearTimeout(timer);
    running = undefined;
    if (code !== 0) {
      const failed = [...new Set([...out.matchAll(/^\s*✖ (.*?) \(\d/gm)].map((m) => m[1]))].filter((n) => n !== "failing tests:");
      return { pass: false, ms: Date.now() - t0, failed: code === null ? ["(timed out)"] : failed };
    }
  }
  return { pass: true, ms: Date.now() - t0, failed: [] };
}

/** Restores every edited file, also on Ctrl-C, so an interrupted run never leaves a mutant in dist/. */
const originals = new Map<string, string>();
function restoreAll(): void {
  for (const [file, text] of originals) fs.writeFileSync(file, text);
}
let running: ChildProcess | undefined;
process.on("exit", restoreAll);
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.on(sig, () => {
    running?.kill("SIGKILL");
    process.exit(130);
  });

async function withEdit<T>(file: string, text: string, f: () => Promise<T>): Promise<T> {
  if (!originals.has(file)) originals.set(file, fs.readFileSync(file, "utf8"));
  fs.writeFileSync(file, text);
  try {
    return await f();
  } finally {
    fs.writeFileSync(file, originals.get(file)!);
  }
}

interface Mutant {
  file: string;
  line: number;
  op: string;
  at: number;
  from: string;
  to: string;
}

/** Marks the characters that are code (not comments, strings or template literals). */
function codeMask(js: string): Uint8Array {
  const mask = new Uint8Array(js.length).fill(1);
  let i = 0;
  while (i < js.length) {
    const c = js[i];
    const two = js.slice(i, i + 2);
    let end: number | undefined;
    if (two === "//") end = js.indexOf("\n", i);
    else if (two === "/*") end = js.indexOf("*/", i) + 2;
    else if (c === '"' || c === "'" || c === "`") {
      end = i + 1;
      while (end < js.length && js[end] !== c) end += js[end] === "\\" ? 2 : 1;
      end += 1;
    }
    if (end === undefined) {
      i += 1;
      continue;
    }
    if (end < i + 2 || end > js.length) end = js.length; // an unterminated comment or string runs to the end
    mask.fill(0, i, end);
    i = end;
  }
  return mask;
}

const SWAPS: [RegExp, (m: string) => string, string][] = [
  [
    /===|!==|<=|>=|(?<![=<>-])<(?![<=])|(?<![=<>-])>(?![>=])/g,
    (m) => ({ "===": "!==", "!==": "===", "<=": "<", ">=": ">", "<": "<=", ">": ">=" })[m]!,
    "comparison",
  ],
  [
    / [+\-*/]=? /g,
    (m) => ({ " + ": " - ", " - ": " + ", " * ": " / ", " / ": " * ", " += ": " -= ", " -= ": " += ", " *= ": " /= ", " /= ": " *= " })[m]!,
    "arithmetic",
  ],
  [/ && | \|\| /g, (m) => (m === " && " ? " || " : " && "), "logical"],
  [
    /\.(add|sub|mul|div|less|greater|lessEqual|greaterEqual|maximum|minimum|max|min|sum|mean)\(/g,
    (m) =>
      `.${({ add: "sub", sub: "add", mul: "div", div: "mul", less: "greater", greater: "less", lessEqual: "less", greaterEqual: "greater", maximum: "minimum", minimum: "maximum", max: "min", min: "max", sum: "mean", mean: "sum" } as Record<string, string>)[m.slice(1, -1)]}(`,
    "method",
  ],
  [
    /(?<![\w.$])\d+(\.\d+)?(e-?\d+)?(?![\w.])/g,
    (m) => (m === "0" ? "1" : m === "1" ? "0" : /^\d+$/.test(m) ? String(Number(m) + 1) : String(Number(m) * 10)),
    "constant",
  ],
];

// Error messages, module plumbing and tsc's emitted helpers (__importStar & co.) are not the code under test.
const SKIP_LINE =
  /throw |Error\(|require\(|exports\.|__esModule|__import|__create|__setModule|ownKeys|console\.|sourceMappingURL|^\s*(import|export) /;
const STATEMENT_START = /^\s*(?!const |let |var |return|function|class|if |if\(|for |while |else|case |break|continue|\}|\)|\]|\.)\S/;

/** Every mutant of one compiled file, in file order. */
function mutantsOf(src: string, js: string): Mutant[] {
  const mask = codeMask(js);
  const lines = js.split("\n");
  const out: Mutant[] = [];
  let offset = 0;
  const body = lines.findIndex((l) => l.includes('"__esModule"')); // tsc's helpers come before this line
  lines.forEach((text, li) => {
    if (li > body && !SKIP_LINE.test(text)) {
      for (const [re, to, op] of SWAPS) {
        for (const m of text.matchAll(re)) {
          const at = offset + m.index!;
          if (mask[at]) out.push({ file: src, line: li + 1, op, at, from: m[0], to: to(m[0]) });
        }
      }
      const prev =
        lines
          .slice(0, li)
          .reverse()
          .find((l) => l.trim() !== "") ?? "";
      if (text.trim().endsWith(";") && STATEMENT_START.test(text) && /[;{}]\s*$/.test(prev) && mask[offset + text.search(/\S/)]) {
        out.push({ file: src, line: li + 1, op: "drop statement", at: offset, from: text, to: "" });
      }
    }
    offset += text.length + 1;
  });
  return out;
}

function syntaxOk(file: string): boolean {
  return spawnSync(process.execPath, ["--check", file]).status === 0;
}

async function runModule(mod: Module, perModule: number, seed: number): Promise<void> {
  const base = await testsPass(mod.tests, 600_000);
  if (!base.pass) throw new Error(`mutation: ${mod.name}: the tests fail before any mutation (${mod.tests.join(", ")})`);
  const timeout = Math.max(60_000, 3 * base.ms);
  const all = mod.files.flatMap((src) => mutantsOf(src, fs.readFileSync(compiled(src), "utf8")));
  const rng = createRng(seed);
  const order = rng.shuffle(all.map((_, i) => i));
  let killed = 0;
  let total = 0;
  for (const i of order) {
    if (total === perModule) break;
    const m = all[i];
    const file = compiled(m.file);
    const js = fs.readFileSync(file, "utf8");
    const mutated = js.slice(0, m.at) + m.to + js.slice(m.at + m.from.length);
    // The mutated file's own test first (policy-loss.ts → policy-loss.test.ts): most kills then cost one file.
    const own = (t: string) => path.basename(t).startsWith(`${path.basename(m.file, ".ts")}.`);
    const tests = [...mod.tests.filter(own), ...mod.tests.filter((t) => !own(t))];
    const result = await withEdit(file, mutated, async () => (syntaxOk(file) ? testsPass(tests, timeout) : undefined));
    if (!result) continue; // not valid JS: not a mutant
    total += 1;
    if (!result.pass) killed += 1;
    const line = mutated.split("\n")[m.line - 1].trim().slice(0, 100);
    console.log(
      `  ${result.pass ? "SURVIVED" : "killed  "} ${m.file}:${m.line} ${m.op} ${JSON.stringify(m.from.trim().slice(0, 40))} → ${JSON.stringify(m.to.trim())}: ${line}`,
    );
  }
  console.log(
    `${mod.name}: ${killed}/${total} killed (${((100 * killed) / Math.max(1, total)).toFixed(0)}%) of ${all.length} candidate mutants, baseline ${(base.ms / 1000).toFixed(0)} s`,
  );
}

async function runPlanted(): Promise<void> {
  for (const p of PLANTED) {
    const file = compiled(p.file);
    const js = fs.readFileSync(file, "utf8");
    const n = js.split(p.from).length - 1;
    if (n !== 1) throw new Error(`mutation --planted: "${p.from}" occurs ${n} times in ${file}; update PLANTED to the compiled text`);
    const verdicts = await withEdit(file, js.replace(p.from, p.to), async () => {
      const out: string[] = [];
      for (const env of [{}, { RFTLAB_PYTHON: "/bin/false" }]) {
        const r = await testsPass(p.tests, 600_000, env);
        out.push(r.pass ? "SURVIVED" : `killed by ${r.failed.map((n) => JSON.stringify(n)).join(", ")}`);
      }
      return out;
    });
    console.log(`${p.bug}\n  with torch: ${verdicts[0]}\n  without torch: ${verdicts[1]}`);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : dflt;
  };
  if (args.includes("--planted")) return runPlanted();
  const perModule = Number(opt("per-module", "20"));
  const seed = Number(opt("seed", "1"));
  const only = opt("module", "");
  for (const mod of MODULES.filter((m) => !only || only.split(",").includes(m.name))) await runModule(mod, perModule, seed);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
