// Seeded mutation testing of the core (issue 18), on demand and not part of `npm test`. Each mutant edits one
// compiled file under dist/lib (no recompile per mutant) and runs only the leaf tests whose coverage reaches
// the mutated offset (tests/mutation/coverage.ts): the cheapest alone, then the rest one process per test file,
// stopping at the first failure. A mutant is killed when a test fails or runs past its limit (4× its
// unmutated time, at least 30 s). Every verdict is appended to tests/mutation/results/<module>.jsonl at once,
// so a stopped run resumes where it was; the same seed and code give the same sample.
//
//   npx tsc -p tsconfig.json && nice -n 10 node dist/tests/mutation/run.js --module rl [--per-module 20] [--seed 1]
//   node dist/tests/mutation/run.js --recheck --module rl   (judge the survivors again, after new tests)
//   node dist/tests/mutation/run.js --report [--per-module 20] (the score table from the result files)
//   nice -n 10 node dist/tests/mutation/run.js --planted      (the planted bugs of issue 18, with and without torch)
//
// Scores and survivors: tests/MUTATION.md; equivalent mutants, with the reason: tests/mutation/equivalent.json.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { coverageMap, executes, type TestUnit } from "./coverage";
import { MODULES, type Module, PLANTED } from "./modules";
import { applyMutant, type Mutant, mutantId, mutantsOf, seededOrder } from "./mutants";
import { appendResult, type Result, readResults, type Status, score } from "./results";
import { runTestFile } from "./test-process";

const DIST = path.join(__dirname, "..", "..");
const ROOT = path.join(DIST, "..");
const compiled = (src: string) => path.join(DIST, src.replace(/\.ts$/, ".js"));
const resultsFile = (mod: Module) => path.join(ROOT, "tests", "mutation", "results", `${mod.name}.jsonl`);
const hashOf = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);

function equivalents(): Map<string, string> {
  const file = path.join(ROOT, "tests", "mutation", "equivalent.json");
  const list = JSON.parse(fs.readFileSync(file, "utf8")).equivalent as { id: string; why: string }[];
  return new Map(list.map((e) => [e.id, e.why]));
}

/** Restores every edited file, also on Ctrl-C, so an interrupted run never leaves a mutant in dist/. */
const originals = new Map<string, string>();
process.on("exit", () => {
  for (const [file, text] of originals) fs.writeFileSync(file, text);
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

/** Runs the tests that execute the mutant's offset; the mutated file is in place. */
async function judge(m: Mutant, units: TestUnit[]): Promise<{ status: Status; by?: string }> {
  const probe = m.at + (m.from.length - m.from.trimStart().length); // a dropped statement: its first character
  const executing = units.filter((u) => executes(u.ranges[m.file] ?? [], probe));
  // Code that never runs may still be read: arquero compiles its expression callbacks from their source text.
  // Unexecuted mutants are tried on every test that loads the file; a survivor among them is "uncovered".
  const covering = (executing.length > 0 ? executing : units.filter((u) => executes(u.ranges[m.file] ?? [], 0))).sort(
    (a, b) => a.ms - b.ms,
  );
  const unexecuted = executing.length === 0;
  const rest = covering.slice(1);
  const cost = (stage: TestUnit[]) => stage.reduce((s, u) => s + u.ms, 0);
  const stages = [
    [covering[0]],
    ...[
      ...rest.filter((u) => u.name === null).map((u) => [u]),
      ...[...new Set(rest.map((u) => u.test))].map((t) => rest.filter((u) => u.test === t && u.name !== null)),
    ]
      .filter((stage) => stage.length > 0)
      .sort((a, b) => cost(a) - cost(b)),
  ];
  for (const stage of stages) {
    const ms = cost(stage);
    const names = stage[0].name === null ? undefined : stage.map((u) => u.name!);
    const r = await runTestFile(compiled(stage[0].test), { names, timeoutMs: Math.max(30_000, 4 * ms) });
    if (!r.pass) return { status: "killed", by: `${stage[0].test}: ${r.timedOut ? "(timed out)" : (r.failed[0] ?? "(exit status)")}` };
  }
  return { status: unexecuted ? "uncovered" : "survived" };
}

/** The module's first `perModule` valid mutants in seeded order, judging those without a current result. */
async function runModule(mod: Module, perModule: number, seed: number, options: { recheck: boolean; judge: boolean }): Promise<Result[]> {
  const file = resultsFile(mod);
  const known = readResults(file);
  const texts = new Map(mod.files.map((src) => [src, fs.readFileSync(compiled(src), "utf8")]));
  const all = seededOrder(
    mod.files.flatMap((src) => mutantsOf(src, texts.get(src)!)),
    seed,
  );
  let units: TestUnit[] | undefined;
  const sample: Result[] = [];
  for (const m of all) {
    if (sample.length === perModule) break;
    const js = texts.get(m.file)!;
    const prev = known.get(mutantId(m));
    const current = prev?.hash === hashOf(js);
    const rejudge = !current || (options.recheck && (prev.status === "survived" || prev.status === "uncovered"));
    if (!rejudge || !options.judge) {
      if (current && prev.status !== "invalid") sample.push(prev);
      continue;
    }
    units ??= await coverageMap({
      name: mod.name,
      sources: mod.files,
      tests: mod.tests,
      wholeFiles: mod.wholeFiles ?? [],
      compiled,
      cacheDir: path.join(DIST, "mutation"),
      reporter: path.join(ROOT, "tests", "mutation", "leaf-reporter.js"),
      preload: path.join(ROOT, "tests", "mutation", "coverage-preload.js"),
      log: console.log,
    });
    const t0 = Date.now();
    const mutated = applyMutant(js, m);
    const target = compiled(m.file);
    const verdict = await withEdit(target, mutated, async () =>
      spawnSync(process.execPath, ["--check", target]).status === 0 ? judge(m, units!) : { status: "invalid" as const },
    );
    const r: Result = {
      id: mutantId(m),
      hash: hashOf(js),
      module: mod.name,
      ...m,
      code: mutated.split("\n")[m.line - 1].trim().slice(0, 120),
      ...verdict,
      ms: Date.now() - t0,
      date: new Date().toISOString(),
    };
    appendResult(file, r);
    if (r.status !== "invalid") {
      sample.push(r);
      console.log(`  ${r.status.padEnd(9)} ${m.file}:${m.line} ${m.op}: ${r.code}${r.by ? `  [${r.by}]` : ""}`);
    }
  }
  return sample;
}

function table(rows: { mod: Module; sample: Result[] }[]): string {
  const eq = equivalents();
  const lines = ["| module | mutants | killed | equivalent | survivors | score (killed / non-equivalent) |", "|---|---|---|---|---|---|"];
  for (const { mod, sample } of rows) {
    const s = score(sample, eq);
    const pct = s.total > s.equivalent ? `${((100 * s.killed) / (s.total - s.equivalent)).toFixed(0)}%` : "—";
    const surv = s.survivors.map((r) => `${r.file}:${r.line} \`${r.from.trim()}\`→\`${r.to.trim()}\` (${r.status})`).join("; ");
    lines.push(`| ${mod.name} | ${s.total} | ${s.killed} | ${s.equivalent} | ${surv || "—"} | ${pct} |`);
  }
  return lines.join("\n");
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
        let verdict = "SURVIVED";
        for (const test of p.tests) {
          const r = await runTestFile(compiled(test), { timeoutMs: 900_000, env });
          if (!r.pass) {
            verdict = `killed by ${r.failed.map((n) => JSON.stringify(n)).join(", ")}`;
            break;
          }
        }
        out.push(verdict);
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
  const rows: { mod: Module; sample: Result[] }[] = [];
  for (const mod of MODULES.filter((m) => !only || only.split(",").includes(m.name))) {
    const sample = await runModule(mod, perModule, seed, { recheck: args.includes("--recheck"), judge: !args.includes("--report") });
    rows.push({ mod, sample });
  }
  console.log(table(rows));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
