// Memory estimates checked before allocating (issue 12): pretraining counts weights, gradients, AdamW's
// moments and activations, so a model whose weights fit but whose training does not fails at once.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { initBackend } from "../../lib/tensor/backend";
import { availableTensorBytes } from "../../lib/tensor/memory";
import { resolveModelConfig } from "../../lib/model";
import { activationFloats, paramCount, trainingBytes } from "../../lib/model/memory";
import { pretrain } from "../../lib/model/pretrain";
import { loadTokenizer } from "../../lib/io/tokenizer";
import { bundledDatasetsDir } from "../../lib/io/corpus";
import { RftlabError } from "../../lib/errors";
import { tmpDir } from "../helpers/tmp";

before(async () => {
  await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
});

test("trainingBytes: hand-worked for a one-layer model", () => {
  // D 4, F 8, H 2, V 10, untied, 1 layer. Parameters: embed 40 + norms 4·3 + q,k,v,o 4·16 + gate,up,down 3·32 + head 40 = 252.
  const c = resolveModelConfig({ family: "llama", vocabSize: 10, dModel: 4, nLayers: 1, nHeads: 2, nKvHeads: 2, dFF: 8, maxPositions: 16 });
  assert.equal(paramCount(c), 252);
  // Batch 3 × context 5 = 15 tokens; per token: layer 88·4 + 12·8 + 8·2·5 = 528, logits 16·10 = 160.
  assert.equal(activationFloats(c, 3, 5), 15 * 688);
  assert.equal(trainingBytes(c, 3, 5), 4 * (6 * 252 + 15 * 688));
});

const vocabSize = loadTokenizer(path.join(bundledDatasetsDir(), "tiny-tokenizer")).vocabSize;

async function rejectsBeforeAllocating(model: Record<string, unknown>, over: Record<string, number>) {
  const out = path.join(tmpDir(), "run");
  await assert.rejects(
    pretrain({ model: { family: "llama", ...model }, steps: 2, warmupSteps: 0, ...over }, { out }),
    (e: unknown) =>
      e instanceof RftlabError &&
      /^pretrain: training .* parameters on batches of \d+ × \d+ tokens \(weights, gradients, AdamW moments, activations\) needs ≈ .* GiB \(estimate\) but ≈ .* GiB is available .*; make the model/.test(
        e.message,
      ),
  );
  assert.equal(fs.existsSync(out), false, "no run folder is made");
}

test("pretrain: weights that fit but weights + gradients + AdamW moments that do not are refused before allocating", async () => {
  const model = { dModel: 4096, nLayers: 2, nHeads: 32, dFF: 11008 };
  const c = resolveModelConfig({ family: "llama", vocabSize, maxPositions: 8, ...model });
  const available = availableTensorBytes();
  assert.ok(4 * paramCount(c) < available, "createModel's own check (weights only) would pass");
  assert.ok(6 * 4 * paramCount(c) > available, "weights, moments and gradients do not");
  await rejectsBeforeAllocating(model, { contextLength: 8, batchSize: 1 });
});

test("pretrain: a small model whose activations do not fit is refused before allocating", async () => {
  const model = { dModel: 16, nLayers: 2, nHeads: 2, dFF: 32 };
  const c = resolveModelConfig({ family: "llama", vocabSize, maxPositions: 1024, ...model });
  assert.ok(6 * 4 * paramCount(c) < 2 ** 20, "weights, gradients and moments: under 1 MiB");
  await rejectsBeforeAllocating(model, { contextLength: 1024, batchSize: 4096 });
});
