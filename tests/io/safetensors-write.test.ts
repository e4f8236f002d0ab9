// Writer details read back from the raw bytes (8-byte little-endian header length, then the JSON header),
// independently of the reader.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { writeSafetensors } from "../../lib/io";
import { tmpDir } from "../helpers/tmp";

const root = tmpDir("rftlab-io-write-");
const header = (file: string) => {
  const bytes = fs.readFileSync(file);
  return JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString("utf8"));
};
const tensor = (n: number) => ({ name: "w", dtype: "F32" as const, shape: [2], data: new Float32Array(n) });

test("__metadata__ carries format: pt (as PyTorch writes it), also as its only key, plus the keys given", async () => {
  const plain = path.join(root, "plain.safetensors");
  await writeSafetensors(plain, [tensor(2)]);
  assert.deepEqual(header(plain).__metadata__, { format: "pt" });
  const more = path.join(root, "more.safetensors");
  await writeSafetensors(more, [tensor(2)], { step: "3" });
  assert.deepEqual(header(more).__metadata__, { format: "pt", step: "3" });
});

test("data that does not fit the shape, or an unknown dtype, is an error before any file is written", async () => {
  const cases: [Parameters<typeof writeSafetensors>[1][number], RegExp][] = [
    [tensor(1), /shape \[2\] has 2 elements but data has 1/],
    [{ ...tensor(2), dtype: "F128" as never }, /unknown dtype "F128"/],
  ];
  for (const [t, message] of cases) {
    const dir = fs.mkdtempSync(path.join(root, "bad-"));
    await assert.rejects(writeSafetensors(path.join(dir, "model.safetensors"), [t]), message);
    assert.deepEqual(fs.readdirSync(dir), []);
  }
});
