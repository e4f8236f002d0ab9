// The core modules under mutation testing (issue 18) and the bugs planted by hand in its audit. Each module's
// tests are the test files that exercise its files; run.ts narrows them per mutant to the tests whose
// coverage reaches the mutated code.

export interface Module {
  name: string;
  /** Source files (lib/…ts); their compiled .js under dist/ are mutated. */
  files: string[];
  /** Test files (tests/…ts) run against each mutant. */
  tests: string[];
  /** Test files run whole, as one unit: their tests share one costly fixture (a PyTorch call in before()),
   * which node runs even when a name pattern selects a single test. */
  wholeFiles?: string[];
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
    wholeFiles: ["tests/rl/losses-reference.test.ts"],
  },
  {
    name: "analysis",
    files: ["lib/analysis/sparsity.ts", "lib/analysis/intruders.ts"],
    tests: ["tests/analysis/sparsity.test.ts", "tests/analysis/intruders.test.ts"],
  },
  {
    name: "linalg",
    files: ["lib/linalg/svd.ts", "lib/linalg/bidiagonal-qr.ts"],
    tests: ["tests/linalg/bidiagonal-qr.test.ts", "tests/linalg/linalg.test.ts"],
  },
  {
    name: "io",
    files: ["lib/io/safetensors-format.ts", "lib/io/safetensors-write.ts"],
    tests: ["tests/io/safetensors.test.ts", "tests/io/safetensors-errors.test.ts", "tests/io/safetensors-write.test.ts"],
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
