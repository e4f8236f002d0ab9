import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { openCheckpoint, writeShardedSafetensors } from "../../lib/io";
import { diffCheckpoints, plantedLlamaLayout, plantedLlamaTensors, resolvePlantedLlamaConfig } from "../../lib/analysis";
import { plantedTensor } from "../../lib/analysis/planted-update";
import { tmpDir } from "../helpers/tmp";

const SMALL = { hiddenSize: 16, intermediateSize: 40, numLayers: 2, vocabSize: 50, fraction: 0.3, seed: 3 };

test("plantedTensor: tuned differs from base in exactly round(fraction·numel) entries, by one bf16 step", () => {
  const cfg = resolvePlantedLlamaConfig(SMALL);
  const b = plantedTensor("w", [7, 11], cfg, "base");
  const t = plantedTensor("w", [7, 11], cfg, "tuned");
  let changed = 0;
  for (let i = 0; i < b.data.length; i++) if (b.data[i] !== t.data[i]) changed++, assert.equal(b.data[i] ^ t.data[i], 1);
  assert.equal(changed, Math.round(0.3 * 77));
  assert.equal(t.planted, changed);
  assert.equal(plantedTensor("norm", [16], cfg, "tuned").planted, 0);
});

test("plantedLlamaLayout: HF Llama names, 2 + 9 per layer tensors", () => {
  const names = plantedLlamaLayout(resolvePlantedLlamaConfig(SMALL)).map((t) => t.name);
  assert.equal(names.length, 3 + 9 * 2);
  assert.ok(names.includes("model.layers.1.mlp.down_proj.weight") && names.includes("lm_head.weight"));
  assert.throws(() => resolvePlantedLlamaConfig({ fraction: 1.5 }), /fraction must be in \[0, 1\]; got 1.5/);
});

test("diffCheckpoints on a planted sharded pair: counts equal the planted ones at tol 1e-5", async () => {
  const dir = tmpDir();
  for (const v of ["base", "tuned"] as const) {
    await writeShardedSafetensors(path.join(dir, v), [...plantedLlamaTensors(SMALL, v)], { maxShardBytes: 4000 });
  }
  const [a, b] = await Promise.all([openCheckpoint(path.join(dir, "base")), openCheckpoint(path.join(dir, "tuned"))]);
  const r = await diffCheckpoints(a, b, { tol: 1e-5, chunkBytes: 256 });
  await Promise.all([a.close(), b.close()]);
  const planted = new Map([...plantedLlamaTensors(SMALL, "base")].map((t) => [t.name, t.planted]));
  for (const row of r.rows) {
    assert.equal(row.status, "ok");
    assert.equal(row.numel - row.unchanged, planted.get(row.name), row.name);
    assert.equal(row.exactZero, row.unchanged, row.name);
  }
});
