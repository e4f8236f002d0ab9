// Issue 12's CLI cases: file-system errors as one line naming the path and the fix, --out checked before
// any work, analyses with nothing to compare are errors, negative numbers and long option specs parse and
// print cleanly, and a seeded fuzz of command lines never ends in a stack trace.
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { writeSafetensors } from "../../lib/io";
import { commandLoaders } from "../../lib/cli/commands";
import { fsProblem, helpText, isFsError, parseCommandArgs, UsageError, type Command } from "../../lib/cli/command";
import { createRng } from "../../lib/base/random";
import { runCli } from "../helpers/cli";
import { tensorFiles } from "../helpers/tensor-files";

const oneLine = (r: { stderr: string }) => assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);

describe("bad input on the command line", () => {
  const t = (name: string) => ({ name, dtype: "F32" as const, shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) });
  const {
    dir,
    files: { a, b },
    write,
  } = tensorFiles({ a: [t("model.layers.0.mlp.up_proj.weight")], b: [t("other.weight")] }, "rftlab-bad-input-");
  const file = path.join(dir, "a-file");
  before(async () => {
    fs.writeFileSync(file, "x");
    await write();
  });

  test("--out an existing file (or below one): one line naming it, before any work, exit 2", () => {
    const cases: string[][] = [
      ["pretrain", "--config", "datasets/pretrain-tiny.json", "--out", file],
      ["train", "sft", "--config", path.join(dir, "none.json"), "--out", file],
      ["merge", "--base", a, "--tuned", a, "--out", file],
      ["make-datasets", "--out", path.join(file, "sub")],
      ["kernel", "install", "--prefix", path.join(file, "p")],
    ];
    for (const args of cases) {
      const r = runCli(args, { RFTLAB_BACKEND: "wasm" });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      oneLine(r);
      assert.match(
        r.stderr,
        new RegExp(`^rftlab ${args[0]}: --(out|prefix) .*a-file.* (is an existing file|which is a file), not a folder; choose another`),
      );
      assert.doesNotMatch(r.stderr, /merge: \[1\//); // merge checked --out before merging
    }
  });

  test("a pretrain config typo fails before the backend starts: one line, no backend warnings", () => {
    const cfg = path.join(dir, "pretrain.json");
    fs.writeFileSync(cfg, JSON.stringify({ model: { family: "llama", d_model: 8 } }));
    const r = runCli(["pretrain", "--config", cfg, "--out", path.join(dir, "pt")], { RFTLAB_BACKEND: "" });
    assert.equal(r.code, 2, r.stderr);
    oneLine(r);
    assert.match(r.stderr, /^PretrainConfig\.model\.d_model is not a config field \(did you mean "dModel"\?\)/);
  });

  test("Node file-system errors map to a clause naming the path and the fix", () => {
    let enospc: unknown;
    try {
      fs.writeFileSync("/dev/full", "x");
    } catch (e) {
      enospc = e;
    }
    assert.ok(isFsError(enospc));
    // a write's error carries no path (the syscall has a descriptor): the clause still says what to do
    assert.match(fsProblem(enospc), /^no space left on the device; free space \(or choose another --out\) and run again/);
    let enotdir: unknown;
    try {
      fs.mkdirSync(path.join(file, "x"));
    } catch (e) {
      enotdir = e;
    }
    assert.match(fsProblem(enotdir), /a-file\/x: a part of this path is a file, not a folder/);
    assert.equal(isFsError(new Error("plain")), false);
  });

  test("diff with no tensor in common, rank and intruders with no matrix: non-zero exit and a message", () => {
    const diff = runCli(["diff", a, b]);
    assert.equal(diff.code, 2, diff.stderr);
    assert.match(diff.stderr, /rftlab diff: .* have no tensor of the same name and shape \(2 mismatched\)/);
    assert.equal(diff.stdout, "");
    for (const cmd of ["rank", "intruders"]) {
      const r = runCli([cmd, a, b]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`rftlab ${cmd}: .* have no 2-D matrix of the same name and shape`));
    }
  });

  test("diff of a checkpoint against a NaN one prints its table but exits 1 with a message", async () => {
    const nan = path.join(dir, "nan.safetensors");
    await writeSafetensors(nan, [
      { name: "model.layers.0.mlp.up_proj.weight", dtype: "F32", shape: [2, 2], data: Float32Array.from([1, NaN, 3, NaN]) },
    ]);
    const r = runCli(["diff", a, nan, "--json"]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(JSON.parse(r.stdout).overall.nanDeltaCount, 2);
    assert.match(r.stderr, /rftlab diff: 2 entries in 1 tensor\(s\) \(model\.layers\.0\.mlp\.up_proj\.weight\) have Δ = NaN/);
  });

  test("--k -1 is a range error, not 'argument is ambiguous'; --lambda -0.5 parses", async () => {
    const intruders = await commandLoaders.intruders();
    assert.throws(() => parseCommandArgs(intruders, ["x", "y", "--k", "-1"]), /rftlab intruders: --k must be an integer ≥ 1; got "-1"/);
    const merge = await commandLoaders.merge();
    const args = parseCommandArgs(merge, ["--base", "x", "--tuned", "y", "--lambda", "-0.5"]);
    assert.ok(args !== "help" && args.flags.lambda === -0.5);
  });

  test("help: an option spec longer than the column puts its help on the next line", async () => {
    const cmd: Command = {
      name: "demo",
      summary: "s",
      positionals: [],
      flags: {
        precision: { type: "string", help: "the help", choices: ["native", "bf16", "fp16", "fp32", "fp64"] },
        x: { type: "boolean", help: "short" },
      },
      run: async () => undefined,
    };
    const lines = helpText(cmd).split("\n");
    const i = lines.findIndex((l) => l.startsWith("  --precision"));
    assert.equal(lines[i], "  --precision native|bf16|fp16|fp32|fp64");
    assert.equal(lines[i + 1], `${" ".repeat(34)}the help`);
    assert.equal(lines[i + 2], "  --x".padEnd(34) + "short");
    // every command's options: help two spaces after the spec at least, or on the next line
    for (const load of Object.values(commandLoaders)) {
      const help = helpText(await load()).split("\n");
      help.forEach((l, j) => {
        if (l.startsWith("  --")) assert.ok(/^ {2}--\S+( \S+)? {2,}\S/.test(l) || help[j + 1].startsWith(" ".repeat(34)), l);
      });
    }
  });
});

/** Seeded fuzz of command lines: parsing either succeeds or throws a one-line UsageError, for every command. */
test("command-line fuzz (seeded, bounded): 400 argument lists, only UsageErrors", async () => {
  const rng = createRng(7);
  const commands = await Promise.all(Object.values(commandLoaders).map((load) => load()));
  const values = ["", "-1", "1e9", "NaN", "abc", "--", "-", "0", "3.5", "--x", "=", "🙂", "a,b"];
  for (let i = 0; i < 400; i++) {
    const cmd = rng.choice(commands);
    const names = [...Object.keys(cmd.flags), "help", "nosuch", "k"];
    const argv = Array.from({ length: rng.int(0, 5) }, () =>
      rng.next() < 0.6 ? `--${rng.choice(names)}${rng.next() < 0.2 ? "=" + rng.choice(values) : ""}` : rng.choice(values),
    );
    try {
      parseCommandArgs(cmd, argv);
    } catch (e) {
      assert.ok(e instanceof UsageError, `${cmd.name} ${JSON.stringify(argv)}: ${(e as Error).stack}`);
      assert.ok(!e.message.includes("\n") && e.message.startsWith(`rftlab ${cmd.name}: `), e.message);
    }
  }
});
