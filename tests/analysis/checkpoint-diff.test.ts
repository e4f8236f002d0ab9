import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { openCheckpoint, writeSafetensors } from "../../lib/io";
import { diffCheckpoints, updateSparsity, updateRank, weightsFromCheckpoint } from "../../lib/analysis";
import type { DiffPrecision } from "../../lib/analysis";
import { referenceScript, runPython, torchAvailable } from "../helpers/python";
import { tmpDir } from "../helpers/tmp";
import { expectClose } from "../helpers/expect";

interface Counts {
  numel: number;
  unchanged: number;
  exactZero: number;
}
interface Ref {
  paths: Record<"f32" | "bf16", { base: string; tuned: string }>;
  results: { pair: "f32" | "bf16"; tol: number; precision: DiffPrecision; tensors: Record<string, Counts> }[];
  ranks: Record<string, number>;
}

const CASES = [
  { pair: "bf16", tol: 1e-5, precision: "native" },
  { pair: "f32", tol: 1e-5, precision: "native" },
  { pair: "f32", tol: 1e-5, precision: "bf16" },
  { pair: "f32", tol: 1e-5, precision: "fp16" },
  { pair: "f32", tol: 0, precision: "fp32" },
  { pair: "f32", tol: 1e-3, precision: "bf16" },
  { pair: "bf16", tol: 1e-4, precision: "fp16" },
];

describe("diffCheckpoints against torch (bf16 and f32 checkpoints, sharded tuned)", {
  skip: !torchAvailable() && "torch not available",
}, () => {
  let ref: Ref;
  before(() => {
    ref = runPython<Ref>(referenceScript("analysis-metrics.py"), { dir: path.join(tmpDir(), "ckpt"), seed: 1, cases: CASES });
  });

  test("per-tensor counts match exactly; fractions to 1e-6; small chunks give the same", async () => {
    for (const r of ref.results) {
      const base = await openCheckpoint(ref.paths[r.pair].base);
      const tuned = await openCheckpoint(ref.paths[r.pair].tuned);
      for (const chunkBytes of [16 << 20, 100]) {
        const res = await diffCheckpoints(base, tuned, { tol: r.tol, precision: r.precision, chunkBytes });
        const what = `${r.pair} ${r.precision} tol=${r.tol} chunk=${chunkBytes}`;
        assert.equal(res.rows.length, Object.keys(r.tensors).length, what);
        let numel = 0;
        let unchanged = 0;
        for (const row of res.rows) {
          const e = r.tensors[row.name];
          assert.equal(row.status, "ok", `${what} ${row.name}`);
          assert.deepEqual({ numel: row.numel, unchanged: row.unchanged, exactZero: row.exactZero }, e, `${what} ${row.name}`);
          expectClose(row.sparsity, e.unchanged / e.numel, { atol: 1e-6, what: `${what} ${row.name} sparsity` });
          numel += e.numel;
          unchanged += e.unchanged;
        }
        assert.equal(res.overall.numel, numel);
        expectClose(res.overall.sparsity, unchanged / numel, { atol: 1e-6, what: `${what} overall` });
      }
      await base.close();
      await tuned.close();
    }
  });

  test("in-memory updateSparsity on the f32 weights matches the same counts", async () => {
    const base = await openCheckpoint(ref.paths.f32.base);
    const tuned = await openCheckpoint(ref.paths.f32.tuned);
    const wb = await weightsFromCheckpoint(base);
    const wt = await weightsFromCheckpoint(tuned);
    for (const r of ref.results.filter((x) => x.pair === "f32")) {
      const rep = updateSparsity(wb, wt, { tol: r.tol, precision: r.precision });
      for (const row of rep.rows)
        assert.deepEqual(
          { numel: row.numel, unchanged: row.unchanged, exactZero: row.exactZero },
          r.tensors[row.name],
          `${r.precision} ${row.name}`,
        );
    }
    // The precision effect of spec §1: the bf16 cast hides sub-spacing updates, so sparsity rises.
    const fp32 = updateSparsity(wb, wt, { tol: 0, precision: "fp32" }).overall.sparsity;
    const bf16 = updateSparsity(wb, wt, { tol: 0, precision: "bf16" }).overall.sparsity;
    assert.ok(bf16 > fp32 + 0.05, `bf16 sparsity ${bf16} should exceed fp32 sparsity ${fp32}`);
    // Update rank agrees with torch.linalg.matrix_rank.
    const ranks = updateRank(wb, wt).rows;
    for (const row of ranks) assert.equal(row.rank, ref.ranks[row.name], `rank of Δ ${row.name}`);
    await base.close();
    await tuned.close();
  });
});

describe("diffCheckpoints mismatches", () => {
  test("missing, shape and dtype differences are rows, not errors", async () => {
    const dir = tmpDir();
    const a = new Float32Array([0, 1, 2, 3]);
    await writeSafetensors(path.join(dir, "base.safetensors"), [
      { name: "same", dtype: "F32", shape: [4], data: a },
      { name: "reshaped", dtype: "F32", shape: [2, 2], data: a },
      { name: "recast", dtype: "F32", shape: [4], data: new Float32Array([1, 1.001, 2, 3]) },
      { name: "gone", dtype: "F32", shape: [4], data: a },
    ]);
    await writeSafetensors(path.join(dir, "tuned.safetensors"), [
      { name: "same", dtype: "F32", shape: [4], data: new Float32Array([0, 1, 2.5, 3.000001]) },
      { name: "reshaped", dtype: "F32", shape: [4], data: a },
      { name: "recast", dtype: "BF16", shape: [4], data: new Float32Array([1, 1.001, 2, 3]) },
      { name: "added", dtype: "F32", shape: [1], data: new Float32Array([1]) },
    ]);
    const base = await openCheckpoint(path.join(dir, "base.safetensors"));
    const tuned = await openCheckpoint(path.join(dir, "tuned.safetensors"));
    const res = await diffCheckpoints(base, tuned, { chunkBytes: 4 });
    const by = Object.fromEntries(res.rows.map((r) => [r.name, r]));
    // same: Δ = [0, 0, 0.5, ~1e-6] → 3 within 1e-5, 2 exact zeros.
    assert.deepEqual([by.same.status, by.same.unchanged, by.same.exactZero], ["ok", 3, 2]);
    assert.equal(by.reshaped.status, "shape-mismatch");
    assert.ok(Number.isNaN(by.reshaped.sparsity));
    // 1.001 is not representable in bf16: its entry differs by more than 1e-5, the other three match.
    assert.deepEqual([by.recast.status, by.recast.dtype, by.recast.unchanged], ["dtype-mismatch", "F32→BF16", 3]);
    assert.equal(by.gone.status, "missing-in-tuned");
    assert.equal(by.added.status, "missing-in-base");
    assert.equal(res.overall.numel, 8);
    assert.equal(res.overall.unchanged, 6);
    // bf16 precision rounds 1.001 on the base side too: all four agree.
    const asBf16 = await diffCheckpoints(base, tuned, { precision: "bf16" });
    assert.equal(asBf16.rows.find((r) => r.name === "recast")!.unchanged, 4);
    await base.close();
    await tuned.close();
  });

  test("F64/I32 pairs count in plain JS next to SIMD pairs; progress reports every row in order", async () => {
    const dir = tmpDir();
    const f64 = Float64Array.from({ length: 37 }, (_, i) => i / 7);
    const i32 = Float32Array.from({ length: 37 }, (_, i) => i);
    const h = Float32Array.from({ length: 37 }, (_, i) => i / 8);
    await writeSafetensors(path.join(dir, "base.safetensors"), [
      { name: "d", dtype: "F64", shape: [37], data: f64 },
      { name: "gone", dtype: "F32", shape: [1], data: new Float32Array([1]) },
      { name: "i", dtype: "I32", shape: [37], data: i32 },
      { name: "h", dtype: "F16", shape: [37], data: h },
    ]);
    await writeSafetensors(path.join(dir, "tuned.safetensors"), [
      { name: "d", dtype: "F64", shape: [37], data: f64.map((v, i) => (i % 3 ? v : v + 1e-9)) },
      { name: "i", dtype: "I32", shape: [37], data: i32.map((v, i) => (i % 4 ? v : v + 1)) },
      { name: "h", dtype: "F32", shape: [37], data: h.map((v, i) => (i % 5 ? v : v + 1e-3)) },
    ]);
    const base = await openCheckpoint(path.join(dir, "base.safetensors"));
    const tuned = await openCheckpoint(path.join(dir, "tuned.safetensors"));
    const seen: string[] = [];
    const res = await diffCheckpoints(base, tuned, { chunkBytes: 40, onTensor: (name, i, n) => seen.push(`${i}/${n} ${name}`) });
    assert.deepEqual(seen, ["0/4 d", "1/4 gone", "2/4 i", "3/4 h"]);
    const by = Object.fromEntries(res.rows.map((r) => [r.name, r]));
    // F64 is compared after rounding to f32: +1e-9 vanishes except on 0; 10 of 37 ints and 8 of 37 f16 entries changed.
    assert.deepEqual([by.d.unchanged, by.d.exactZero], [37, 36]);
    assert.deepEqual([by.i.unchanged, by.i.exactZero], [27, 27]);
    assert.deepEqual([by.h.status, by.h.unchanged, by.h.exactZero], ["dtype-mismatch", 29, 29]);
    assert.equal(res.bytesRead, 37 * (8 + 8 + 4 + 4 + 2 + 4));
    await base.close();
    await tuned.close();
  });
});
