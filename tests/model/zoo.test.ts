import { test, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { initBackend } from "../../lib/tensor";
import { loadZooModel, zooCard, zooFolder, zooNames, zooRecipe, zooRecipeHash, zooStaleReason } from "../../lib/model";

before(async () => {
  await initBackend("wasm");
});

test("the zoo lists tiny-base and tiny-instruct; tiny-instruct is SFT from tiny-base", () => {
  assert.deepEqual(
    zooNames().filter((n) => n.startsWith("tiny-")),
    ["tiny-base", "tiny-instruct"],
  );
  const r = zooRecipe("tiny-instruct");
  assert.equal(r.kind, "sft");
  assert.equal(r.kind === "sft" && r.parent, "tiny-base");
});

test("an unknown zoo name fails with the closest name", () => {
  assert.throws(
    () => zooRecipe("tiny-instuct"),
    /unknown zoo model "tiny-instuct" \(did you mean "tiny-instruct"\?\); zoo models: .*tiny-base/,
  );
  return assert.rejects(loadZooModel("tiny-bsae"), /did you mean "tiny-base"/);
});

test("committed weights match their cards: recipe hash (with the parent's), weights sha256, ≤ 8 MB in all", () => {
  let bytes = 0;
  for (const name of zooNames()) {
    const card = zooCard(name);
    assert.ok(card, `${name} has no card.json; run \`rftlab models build ${name}\``);
    assert.equal(card.recipeSha256, zooRecipeHash(name), `${name}: recipe changed since the build; run \`rftlab models build ${name}\``);
    assert.equal(zooStaleReason(name), undefined);
    bytes += fs.statSync(path.join(zooFolder(name), "model", "model.safetensors")).size;
  }
  assert.ok(bytes <= 8 * 1024 * 1024, `committed zoo weights take ${bytes} bytes`);
});

test("loadZooModel returns the model, tokenizer, folder, recipe and card", async () => {
  const z = await loadZooModel("tiny-instruct");
  try {
    assert.equal(z.model.numParams(), z.card.parameters);
    assert.equal(z.recipe.name, "tiny-instruct");
    assert.equal(z.dir, path.join(zooFolder("tiny-instruct"), "model"));
    assert.equal(z.model.config.eosTokenId, z.tokenizer.eosId);
    assert.deepEqual(z.tokenizer.encode("4\n<|endoftext|>").slice(-1), [z.tokenizer.eosId]); // SFT targets end with eos
  } finally {
    z.model.dispose();
  }
});
