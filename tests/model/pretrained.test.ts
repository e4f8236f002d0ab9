import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { PRETRAIN_CODE_FILES, pretrainedTinyConfig, pretrainedTinyKey } from "../../lib/model/pretrained";
import { tmpDir } from "../helpers/tmp";

const LIB = path.join(__dirname, "..", "..", "lib");

/** A copy of the hashed compiled files in a fresh folder laid out like dist/lib. */
function copyCode(): string {
  const root = tmpDir("rftlab-pretrained-key-");
  for (const rel of PRETRAIN_CODE_FILES) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.copyFileSync(path.join(LIB, `${rel}.js`), path.join(root, `${rel}.js`));
  }
  return root;
}

test("the pretrained-tiny cache key changes with the config and with the code that trains the model", () => {
  const config = pretrainedTinyConfig(true);
  const root = copyCode();
  const key = pretrainedTinyKey(config, root);
  assert.match(key, /^pretrained-tiny-[0-9a-f]{12}$/);
  assert.equal(pretrainedTinyKey(config, LIB), key, "same config and code: same key");
  assert.notEqual(pretrainedTinyKey(pretrainedTinyConfig(false), root), key, "config");
  fs.appendFileSync(path.join(root, "tensor/optim.js"), "\n");
  assert.notEqual(pretrainedTinyKey(config, root), key, "a changed optimiser");
  fs.rmSync(path.join(root, "model/create.js"));
  assert.throws(() => pretrainedTinyKey(config, root), /model\/create\.js does not exist; build first/);
});
