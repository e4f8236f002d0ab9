// `rftlab inspect` run as a child process through the compiled CLI entry of whichever dist folder holds this test.
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { writeShardedSafetensors } from "../../lib/io";
import { tmpDir } from "../helpers/tmp";

const mainJs = path.join(__dirname, "..", "..", "lib", "cli", "main.js");

function rftlab(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ["-e", `require(${JSON.stringify(mainJs)}).main(${JSON.stringify(args)}).then((c) => process.exit(c))`],
    {
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("rftlab inspect", () => {
  const dir = tmpDir("rftlab-inspect-");
  before(async () => {
    await writeShardedSafetensors(
      dir,
      [
        { name: "model.embed_tokens.weight", dtype: "BF16", shape: [8, 4], data: new Float32Array(32) },
        { name: "model.norm.weight", dtype: "F32", shape: [4], data: new Float32Array(4) },
        { name: "lm_head.weight", dtype: "BF16", shape: [8, 4], data: new Float32Array(32) },
      ],
      { maxShardBytes: 64, metadata: { step: "10" } },
    );
  });

  test("--json lists every tensor with totals", () => {
    const r = rftlab("inspect", dir, "--json");
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.path, dir);
    assert.deepEqual(out.files, [
      "model-00001-of-00003.safetensors",
      "model-00002-of-00003.safetensors",
      "model-00003-of-00003.safetensors",
    ]);
    assert.deepEqual(out.metadata, { format: "pt", step: "10" });
    assert.deepEqual(out.tensors[0], {
      name: "model.embed_tokens.weight",
      dtype: "BF16",
      shape: [8, 4],
      numel: 32,
      file: "model-00001-of-00003.safetensors",
    });
    assert.equal(out.tensors.length, 3);
    assert.equal(out.numParams, 68);
    assert.equal(out.totalBytes, 64 + 16 + 64);
  });

  test("human output: aligned table and a one-line summary", () => {
    const r = rftlab("inspect", dir);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^name\s+dtype\s+shape\s+numel\s+file$/);
    assert.equal(lines[0].indexOf("dtype"), lines[1].indexOf("BF16"));
    assert.match(lines[1], /^model\.embed_tokens\.weight\s+BF16\s+\[8, 4\]\s+32\s+model-00001-of-00003\.safetensors$/);
    assert.match(lines[4], /3 tensors, 68 params, 144 B in 3 file\(s\); dtypes BF16×2 F32×1; metadata format=pt step=10$/);
  });

  test("a bad path exits 2 with a one-line error", () => {
    const r = rftlab("inspect", path.join(dir, "missing.safetensors"));
    assert.equal(r.status, 2);
    assert.match(r.stderr.trim(), /missing\.safetensors: no such file or folder$/);
    assert.equal(r.stderr.trim().split("\n").length, 1);
  });

  test("a FIFO or a symlink loop named *.safetensors: one line, exit 2, no hang", () => {
    const fifo = path.join(dir, "x.safetensors");
    execFileSync("mkfifo", [fifo]);
    const loop = path.join(dir, "loop.safetensors");
    fs.symlinkSync(loop, loop);
    for (const [p, re] of [
      [fifo, /x\.safetensors: not a regular file \(a pipe, socket or device\)/],
      [loop, /loop\.safetensors: a symbolic link loop/],
    ] as const) {
      const r = rftlab("inspect", p);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
    fs.rmSync(fifo);
    fs.rmSync(loop);
  });
});
