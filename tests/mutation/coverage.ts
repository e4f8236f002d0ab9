// Which leaf tests execute which code: each test of a module's test files is run on its own with V8 block
// coverage (coverage-preload.js), and its coverage of the module's compiled files kept. A mutant then runs only the
// tests that execute its offset, cheapest first. The map is cached under dist/ per test file, keyed by a
// hash of the compiled module files and that test file.
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { runTestFile } from "./test-process";

/** One V8 function's ranges, [start, end, count]; the innermost range around an offset holds its count. */
type Ranges = [number, number, number][];

export interface TestUnit {
  /** Test file (tests/…ts). */
  test: string;
  /** Leaf test name; null for a test file run whole. */
  name: string | null;
  ms: number;
  /** Per source file (lib/…ts): the V8 ranges of its compiled .js that this test's processes reported. */
  ranges: Record<string, Ranges[]>;
}

/** Whether any of the recorded processes executed the code at this offset. */
export function executes(functions: Ranges[], offset: number): boolean {
  let best: [number, number, number] | undefined;
  for (const fn of functions)
    for (const r of fn) if (r[0] <= offset && offset < r[1] && (!best || r[1] - r[0] <= best[1] - best[0])) best = r;
  return best !== undefined && best[2] > 0;
}

/** The coverage a preloaded process wrote (only the wanted scripts), as ranges by source name. */
export function readCoverage(file: string, compiledBySource: Record<string, string>): Record<string, Ranges[]> {
  const byUrl = new Map(Object.entries(compiledBySource).map(([src, js]) => [pathToFileURL(js).href, src]));
  const { result } = JSON.parse(fs.readFileSync(file, "utf8")) as {
    result: { url: string; functions: { ranges: { startOffset: number; endOffset: number; count: number }[] }[] }[];
  };
  const out: Record<string, Ranges[]> = {};
  for (const script of result) {
    const src = byUrl.get(script.url);
    if (src === undefined) continue;
    // Child processes (a CLI test) are not followed: their coverage would only add tests to a mutant's run.
    for (const fn of script.functions)
      (out[src] ??= []).push(fn.ranges.map((r) => [r.startOffset, r.endOffset, r.count] as [number, number, number]));
  }
  return out;
}

const hashFiles = (files: string[]) => {
  const h = createHash("sha256");
  for (const f of files) h.update(f).update(fs.readFileSync(f));
  return h.digest("hex").slice(0, 16);
};

/** Leaf tests of one compiled test file, from a full run; every test must pass unmutated. */
async function leafTests(testJs: string, reporter: string): Promise<{ name: string; ms: number }[]> {
  const r = await runTestFile(testJs, { timeoutMs: 900_000, args: [`--test-reporter=${reporter}`] });
  const leaves = r.stdout
    .split("\n")
    .filter((l) => l.startsWith("rftlab-leaf "))
    .map((l) => JSON.parse(l.slice("rftlab-leaf ".length)) as { name: string; pass: boolean; skipped: boolean; ms: number });
  const failing = leaves.filter((l) => !l.pass).map((l) => l.name);
  if (!r.pass || failing.length > 0)
    throw new Error(`mutation: ${testJs} fails before any mutation (${failing.join(", ") || "exit status"}); fix the tests first`);
  return leaves.filter((l) => !l.skipped);
}

export async function coverageMap(options: {
  name: string;
  sources: string[];
  tests: string[];
  compiled: (src: string) => string;
  cacheDir: string;
  wholeFiles: string[];
  reporter: string;
  preload: string;
  log: (line: string) => void;
}): Promise<TestUnit[]> {
  const { sources, compiled } = options;
  const compiledBySource = Object.fromEntries(sources.map((s) => [s, compiled(s)]));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rftlab-mutation-cov-"));
  const env = {
    RFTLAB_MUTATION_COVERAGE_FILES: JSON.stringify(Object.values(compiledBySource).map((js) => pathToFileURL(js).href)),
    RFTLAB_MUTATION_COVERAGE_OUT: path.join(dir, "coverage.json"),
  };
  const units: TestUnit[] = [];
  // Cached per test file, so a test added to one file re-measures that file only.
  for (const test of options.tests) {
    const cache = path.join(options.cacheDir, `coverage-${options.name}-${hashFiles([...sources, test].map(compiled))}.json`);
    if (fs.existsSync(cache)) {
      units.push(...(JSON.parse(fs.readFileSync(cache, "utf8")) as TestUnit[]));
      continue;
    }
    const measure = async (names: (string | null)[]): Promise<TestUnit[] | undefined> => {
      const out: TestUnit[] = [];
      for (const name of names) {
        const r = await runTestFile(compiled(test), {
          names: name === null ? undefined : [name],
          timeoutMs: 900_000,
          env,
          args: ["-r", options.preload],
        });
        if (!r.pass) {
          if (name === null) throw new Error(`mutation: ${test} fails unmutated; fix it before judging mutants`);
          options.log(`  coverage: ${test} "${name}" fails alone (it needs an earlier test's files): the file runs whole`);
          return undefined;
        }
        out.push({ test, name, ms: r.ms, ranges: readCoverage(env.RFTLAB_MUTATION_COVERAGE_OUT, compiledBySource) });
        options.log(`  coverage: ${test} ${name === null ? "(whole file)" : JSON.stringify(name)} ${(r.ms / 1000).toFixed(1)} s`);
      }
      return out;
    };
    const whole = options.wholeFiles.includes(test);
    const names = whole ? [] : [...new Set((await leafTests(compiled(test), options.reporter)).map((l) => l.name))];
    const fileUnits = (!whole && (await measure(names))) || (await measure([null]))!;
    fs.mkdirSync(options.cacheDir, { recursive: true });
    fs.writeFileSync(cache, JSON.stringify(fileUnits));
    units.push(...fileUnits);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return units;
}
