// CLI tests for rftlab diff / rank / intruders / merge (lib/cli/{diff,rank,intruders,merge}.ts).
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { openCheckpoint } from "../../lib/io";
import { seededNormals } from "../../lib/linalg/low-rank";
import { runCli } from "../helpers/cli";
import { tensorFiles } from "../helpers/tensor-files";
import { expectClose } from "../helpers/expect";

const Q = "model.layers.0.self_attn.q_proj.weight";
const N = "model.layers.0.input_layernorm.weight";
const U = "model.layers.1.mlp.up_proj.weight";

/** Every file here holds q, a norm and up; only q's and up's values differ. */
function layers(q: Float32Array, u: Float32Array) {
  return [
    { name: Q, dtype: "BF16" as const, shape: [8, 8], data: q },
    { name: N, dtype: "BF16" as const, shape: [8], data: new Float32Array(8).fill(1) },
    { name: U, dtype: "BF16" as const, shape: [12, 8], data: u },
  ];
}

describe("analysis CLI commands", () => {
  const q = Float32Array.from(seededNormals(64, 1), (x) => 0.02 * x);
  const u = Float32Array.from(seededNormals(96, 2), (x) => 0.02 * x);
  // Tuned: q gets a rank-1 update on its first column only; up gets half its entries changed.
  const {
    dir,
    files: { base, tuned, tuned2 },
    write,
  } = tensorFiles({
    base: layers(q, u),
    tuned: layers(
      q.map((x, i) => (i % 8 === 0 ? x + 0.01 : x)),
      u.map((x, i) => (i % 2 === 0 ? x + 0.005 : x)),
    ),
    tuned2: layers(
      q,
      u.map((x) => x + 0.0078125),
    ),
  });
  before(write);

  test("diff --json: per-tensor and overall sparsity", () => {
    const r = runCli(["diff", base, tuned, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const by = Object.fromEntries(out.tensors.map((t: { name: string }) => [t.name, t]));
    assert.deepEqual([by[Q].numel, by[Q].dtype, by[Q].status, by[Q].shape], [64, "BF16", "ok", [8, 8]]);
    expectClose(by[Q].sparsity, 56 / 64, { what: "q sparsity" });
    expectClose(by[N].sparsity, 1, { what: "norm sparsity" });
    expectClose(by[U].sparsity, 0.5, { what: "up sparsity" });
    expectClose(out.overall.sparsity, (56 + 8 + 48) / 168, { what: "overall" });
    assert.equal(out.overall.numel, 168);
    assert.equal(out.overall.exactZero, out.overall.sparsity);
  });

  test("diff human output: aligned table and a summary line; bad flags exit 2", () => {
    const r = runCli(["diff", base, tuned, "--precision", "fp16", "--tol", "0"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^tensor\s+dtype\s+shape/);
    assert.match(r.stdout, /overall: sparsity 0\.666667 \(\|Δ\| ≤ 0, fp16\)/);
    const bad = runCli(["diff", base, tuned, "--precision", "fp8"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--precision must be one of bf16, fp16, fp32, native; got "fp8"/);
    const missing = runCli(["diff", base, path.join(dir, "nope.safetensors")]);
    assert.equal(missing.code, 2, missing.stderr);
  });

  test("rank --json: rank of 2-D updates", () => {
    const r = runCli(["rank", base, tuned, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const [q, u] = out.tensors;
    // q changed in one column only: rank 1. up changed in columns 0,2,4,6 by bf16-rounded amounts: rank ≤ 4.
    assert.deepEqual([q.name, q.rank, q.maxRank, u.name, u.maxRank], [Q, 1, 8, U, 8]);
    assert.ok(u.rank >= 1 && u.rank <= 4, `rank of Δup = ${u.rank}`);
    expectClose(q.rankFraction, 1 / 8, { what: "rank fraction" });
  });

  test("intruders --json: k similarities per matrix", () => {
    const r = runCli(["intruders", base, tuned, "--k", "3", "--eps", "0.5", "--json", "--no-cache"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.tensors.length, 2);
    for (const t of out.tensors) {
      assert.equal(t.similarities.length, 3);
      assert.equal(t.intruders, t.similarities.filter((s: number) => s < 0.5).length);
    }
  });

  test("intruders --cache: a second tuned checkpoint against the same base reads both base SVDs from the cache", () => {
    const cache = path.join(dir, "svd-cache");
    const args = (t: string) => ["intruders", base, t, "--k", "3", "--json", "--cache", cache];
    const first = runCli(args(tuned));
    assert.equal(first.code, 0, first.stderr);
    assert.doesNotMatch(first.stderr, /from the cache/);
    const second = runCli(args(tuned2));
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stderr.match(/base SVD read from the cache/g)?.length, 2);
    const uncached = runCli(["intruders", base, tuned2, "--k", "3", "--json", "--no-cache"]);
    assert.deepEqual(JSON.parse(second.stdout), JSON.parse(uncached.stdout));
  });

  test("merge writes a checkpoint: task arithmetic with λ", async () => {
    const out = path.join(dir, "merged");
    const r = runCli([
      "merge",
      "--base",
      base,
      "--method",
      "task-arithmetic",
      "--tuned",
      `${tuned},${tuned2}`,
      "--lambda",
      "0.5",
      "--out",
      out,
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    assert.equal(info.tensors, 3);
    const [b, t1, t2, m] = await Promise.all([base, tuned, tuned2, info.out].map((p) => openCheckpoint(p)));
    for (const name of [Q, U]) {
      const [x, y, z, got] = await Promise.all([b, t1, t2, m].map((c) => c.readFloat32(name)));
      // Stored as BF16 like the base: expect θ₀ + 0.5(τ1 + τ2) within bf16 rounding (≤ 2⁻⁸ relative).
      const want = Array.from(x, (v, i) => v + 0.5 * (y[i] - v + z[i] - v));
      expectClose(got, want, { atol: 1e-6, rtol: 2 ** -8, what: name });
    }
    assert.equal(m.info(Q)!.dtype, "BF16");
    await Promise.all([b, t1, t2, m].map((c) => c.close()));
    const bad = runCli(["merge", "--base", base, "--method", "ties"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--tuned <checkpoint>/);
  });
});
