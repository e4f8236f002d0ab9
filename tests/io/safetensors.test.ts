// Reader and writer against PyTorch-written files (header + bytes by hand, as the safetensors package does),
// both ways, single and sharded, plus layout details the reference writer fixes (order, padding, metadata).
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { openCheckpoint, writeSafetensors, writeShardedSafetensors, type TensorToWrite } from "../../lib/io";
import { decodeToFloat32 } from "../../lib/io/decode";
import { f32ToBf16, f32ToF16 } from "../../lib/tensor/dtype";
import { referenceScript, runPython, torchAvailable } from "../helpers/python";
import { tmpDir } from "../helpers/tmp";

const root = tmpDir("rftlab-io-st-");
const script = referenceScript("io-safetensors.py");

interface RefTensor {
  dtype: "F32" | "F16" | "BF16" | "I64";
  shape: number[];
  bits: number[];
  values?: (number | null)[];
}
interface RefRead {
  metadata: Record<string, string>;
  tensors: Record<string, RefTensor>;
  order?: string[];
  header_len?: number;
  header_text?: string;
  index?: { metadata: { total_size: number }; weight_map: Record<string, string> };
}

/** Raw elements as integers, the way the reference script reports them. */
function bitsOf(bytes: Uint8Array, dtype: RefTensor["dtype"]): number[] {
  const buf = bytes.slice().buffer;
  if (dtype === "F32") return Array.from(new Uint32Array(buf));
  if (dtype === "I64") return Array.from(new BigInt64Array(buf), Number);
  return Array.from(new Uint16Array(buf));
}

const SPECS = [
  { name: "model.embed_tokens.weight", dtype: "BF16", shape: [7, 5], seed: 1 },
  { name: "model.layers.0.self_attn.q_proj.weight", dtype: "F16", shape: [5, 5], seed: 2 },
  { name: "model.layers.0.input_layernorm.weight", dtype: "F32", shape: [5], seed: 3 },
  { name: "position_ids", dtype: "I64", shape: [2, 3], seed: 4 },
  { name: "scalar", dtype: "F32", shape: [], seed: 5 },
  { name: "empty", dtype: "BF16", shape: [0, 4], seed: 6 },
  { name: "lm_head.weight", dtype: "BF16", shape: [3, 5, 2], seed: 7 },
];

const withTorch = { skip: !torchAvailable() && "python3-torch not installed" };

describe("reading files written by PyTorch", withTorch, () => {
  for (const shards of [1, 3]) {
    test(`${shards === 1 ? "single file" : "3 shards"}: exact bytes and f32 values for F32/F16/BF16/I64`, async () => {
      const dir = path.join(root, `torch-${shards}`);
      const ref = runPython<RefRead>(script, { mode: "write", dir, tensors: SPECS, shards });
      const ckpt = await openCheckpoint(dir);
      try {
        assert.equal(ckpt.files.length, shards);
        assert.deepEqual(ckpt.metadata, { format: "pt", source: "torch" });
        assert.deepEqual(
          ckpt
            .tensors()
            .map((t) => t.name)
            .sort(),
          SPECS.map((s) => s.name).sort(),
        );
        for (const [name, r] of Object.entries(ref.tensors)) {
          const info = ckpt.info(name)!;
          assert.equal(info.dtype, r.dtype);
          assert.deepEqual(info.shape, r.shape);
          assert.equal(
            info.numel,
            r.shape.reduce((a, b) => a * b, 1),
          );
          assert.deepEqual(bitsOf(await ckpt.readBytes(name), r.dtype), r.bits, `${name} bytes`);
          const f = await ckpt.readFloat32(name);
          const want = r.values ?? r.bits.map((b) => Math.fround(b));
          assert.deepEqual(Array.from(f), want, `${name} values`);
        }
      } finally {
        await ckpt.close();
      }
    });
  }

  test("tensors() streams file by file, in offset order", async () => {
    const ckpt = await openCheckpoint(path.join(root, "torch-3"));
    const ts = ckpt.tensors();
    for (let i = 1; i < ts.length; i++) {
      const [a, b] = [ts[i - 1], ts[i]];
      assert.ok(a.file < b.file || (a.file === b.file && a.offset + a.byteLength === b.offset), `${a.name} then ${b.name}`);
    }
    await ckpt.close();
  });
});

/** Tensors of every dtype the writer converts, from Float32Array and from raw bits. */
function tensorsToWrite(): TensorToWrite[] {
  const vals = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + k) * 10 ** ((i % 7) - 3));
  return [
    { name: "b.bf16", dtype: "BF16", shape: [4, 3], data: vals(12, 1) },
    { name: "a.f16", dtype: "F16", shape: [2, 5], data: vals(10, 2) },
    { name: "c.f32", dtype: "F32", shape: [3], data: vals(3, 3) },
    { name: "raw.bf16", dtype: "BF16", shape: [2], data: new Uint16Array([0x3f80, 0xc020]) },
    { name: "ids", dtype: "I64", shape: [3], data: new BigInt64Array([1n, -(2n ** 40n), 7n]) },
    { name: "ids.f32", dtype: "I64", shape: [2], data: new Float32Array([3, -4]) },
    { name: "0", dtype: "F32", shape: [1, 1], data: new Float32Array([0.5]) },
  ];
}

describe("files written here, read by PyTorch", withTorch, () => {
  test("single file: same bits, HF order (dtype size, then name), header padded to 8 bytes", async () => {
    const file = path.join(root, "ours", "w.safetensors");
    const tensors = tensorsToWrite();
    await writeSafetensors(file, tensors, { step: "3" });
    const ref = runPython<RefRead>(script, { mode: "read", path: file });
    assert.deepEqual(ref.metadata, { format: "pt", step: "3" });
    assert.equal(ref.header_len! % 8, 0);
    assert.deepEqual(ref.order, ["ids", "ids.f32", "0", "c.f32", "b.bf16", "raw.bf16", "a.f16"]);
    assert.ok(
      ref.header_text!.startsWith('{"__metadata__":{"format":"pt","step":"3"},"ids":{"dtype":"I64","shape":[3],"data_offsets":[0,24]},'),
      ref.header_text,
    );
    const expectBits: Record<string, number[]> = {
      "b.bf16": Array.from(f32ToBf16(tensors[0].data as Float32Array)),
      "a.f16": Array.from(f32ToF16(tensors[1].data as Float32Array)),
      "c.f32": Array.from(new Uint32Array((tensors[2].data as Float32Array).buffer)),
      "raw.bf16": [0x3f80, 0xc020],
      ids: [1, -(2 ** 40), 7],
      "ids.f32": [3, -4],
      "0": [0x3f000000],
    };
    for (const t of tensors) {
      assert.deepEqual(ref.tensors[t.name].shape, t.shape);
      assert.equal(ref.tensors[t.name].dtype, t.dtype);
      assert.deepEqual(ref.tensors[t.name].bits, expectBits[t.name], t.name);
    }
    const ckpt = await openCheckpoint(file);
    for (const t of tensors) assert.deepEqual(bitsOf(await ckpt.readBytes(t.name), t.dtype as RefTensor["dtype"]), expectBits[t.name]);
    await ckpt.close();
  });

  test("sharded: model-0000i-of-0000n files, index with total_size and weight_map", async () => {
    const dir = path.join(root, "ours-sharded");
    const tensors = tensorsToWrite();
    const files = await writeShardedSafetensors(dir, tensors, { maxShardBytes: 40 });
    const names = files.map((f) => path.basename(f));
    // Filled in order: [b.bf16 24 B] [a.f16 20, c.f32 12, raw.bf16 4] [ids 24, ids.f32 16] ["0" 4]
    assert.deepEqual(names, [1, 2, 3, 4].map((i) => `model-0000${i}-of-00004.safetensors`).concat("model.safetensors.index.json"));
    const ref = runPython<RefRead>(script, { mode: "read", path: dir });
    const total = tensors.reduce((s, t) => s + t.data.length * ({ BF16: 2, F16: 2, F32: 4, I64: 8 } as Record<string, number>)[t.dtype], 0);
    assert.equal(ref.index!.metadata.total_size, total);
    assert.deepEqual(Object.keys(ref.index!.weight_map), tensors.map((t) => t.name).sort());
    assert.deepEqual(
      [ref.index!.weight_map["b.bf16"], ref.index!.weight_map["raw.bf16"], ref.index!.weight_map["0"]],
      [1, 2, 4].map((i) => `model-0000${i}-of-00004.safetensors`),
    );
    const ckpt = await openCheckpoint(dir);
    for (const t of tensors) {
      assert.deepEqual(bitsOf(await ckpt.readBytes(t.name), t.dtype as RefTensor["dtype"]), ref.tensors[t.name].bits, t.name);
    }
    await ckpt.close();
  });
});

describe("writer", () => {
  test("a checkpoint that fits one shard is model.safetensors without index; stale shards are removed", async () => {
    const dir = path.join(root, "reshard");
    const t = tensorsToWrite();
    await writeShardedSafetensors(dir, t, { maxShardBytes: 40 });
    const files = await writeShardedSafetensors(dir, t, { maxShardBytes: 1 << 20 });
    assert.deepEqual(
      files.map((f) => path.basename(f)),
      ["model.safetensors"],
    );
    assert.deepEqual(fs.readdirSync(dir), ["model.safetensors"]);
    const again = await writeShardedSafetensors(dir, t, { maxShardBytes: 64 });
    assert.deepEqual(fs.readdirSync(dir).sort(), again.map((f) => path.basename(f)).sort());
  });

  test("leaves no temp file behind and replaces the target atomically", async () => {
    const dir = path.join(root, "atomic");
    await writeSafetensors(path.join(dir, "a.safetensors"), [tensorsToWrite()[2]]);
    await writeSafetensors(path.join(dir, "a.safetensors"), [tensorsToWrite()[0]]);
    assert.deepEqual(fs.readdirSync(dir), ["a.safetensors"]);
    const ckpt = await openCheckpoint(path.join(dir, "a.safetensors"));
    assert.deepEqual(
      ckpt.tensors().map((x) => x.name),
      ["b.bf16"],
    );
    await ckpt.close();
  });

  const bad: [string, TensorToWrite[], RegExp][] = [
    [
      "length ≠ numel",
      [{ name: "w", dtype: "F32", shape: [2, 2], data: new Float32Array(3) }],
      /shape \[2,2\] has 4 elements but data has 3/,
    ],
    [
      "wrong element width",
      [{ name: "w", dtype: "BF16", shape: [2], data: new Int32Array(2) }],
      /Int32Array has 4-byte elements but BF16 needs 2/,
    ],
    [
      "non-integer for an integer dtype",
      [{ name: "w", dtype: "I32", shape: [2], data: new Float32Array([1, 1.5]) }],
      /needs integer values; element 1 is 1.5/,
    ],
    [
      "duplicate names",
      [
        { name: "w", dtype: "F32", shape: [1], data: new Float32Array(1) },
        { name: "w", dtype: "F32", shape: [1], data: new Float32Array(1) },
      ],
      /duplicate tensor name "w"/,
    ],
    ["unknown dtype", [{ name: "w", dtype: "F128" as never, shape: [1], data: new Float32Array(1) }], /unknown dtype "F128"/],
    ["negative shape", [{ name: "w", dtype: "F32", shape: [-1], data: new Float32Array(1) }], /shape must be non-negative integers/],
  ];
  for (const [what, tensors, match] of bad) {
    test(`rejects ${what} and writes nothing`, async () => {
      const file = path.join(root, "bad", `${what.replace(/\W+/g, "-")}.safetensors`);
      await assert.rejects(writeSafetensors(file, tensors), match);
      assert.ok(!fs.existsSync(file));
    });
  }
});

// Torch-free twins of the PyTorch tests above: the layout facts they check, stated by hand.
describe("layout without PyTorch", () => {
  /** Header keys listed z, s, a while the data lies a, s, z: a scalar (shape []) and an empty tensor among them. */
  function handBuilt(file: string): void {
    const header = {
      z: { dtype: "BF16", shape: [0, 4], data_offsets: [12, 12] },
      s: { dtype: "F32", shape: [], data_offsets: [8, 12] },
      a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
    };
    const hb = Buffer.from(JSON.stringify(header));
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(hb.length));
    fs.writeFileSync(file, Buffer.concat([prefix, hb, Buffer.from(new Float32Array([1.5, -2, 3.25]).buffer)]));
  }

  test("header keys out of offset order: each tensor reads its own bytes; tensors() is in offset order", async () => {
    const file = path.join(root, "hand-order.safetensors");
    handBuilt(file);
    const ckpt = await openCheckpoint(file);
    try {
      assert.deepEqual(
        ckpt.tensors().map((t) => t.name),
        ["a", "s", "z"],
      );
      assert.deepEqual(Array.from(await ckpt.readFloat32("a")), [1.5, -2]);
      assert.deepEqual(Array.from(await ckpt.readFloat32("s")), [3.25]);
      assert.deepEqual(Array.from(await ckpt.readFloat32("z")), []);
    } finally {
      await ckpt.close();
    }
  });

  test("scalar shape [] has one element; shape [0, 4] has none", async () => {
    const file = path.join(root, "hand-scalar.safetensors");
    handBuilt(file);
    const ckpt = await openCheckpoint(file);
    try {
      const s = ckpt.info("s")!;
      assert.deepEqual([s.shape, s.numel, s.byteLength], [[], 1, 4]);
      const z = ckpt.info("z")!;
      assert.deepEqual([z.shape, z.numel, z.byteLength], [[0, 4], 0, 0]);
    } finally {
      await ckpt.close();
    }
  });

  test("writer: HF order (dtype size, then name), contiguous offsets, header padded to 8, scalar written as shape []", async () => {
    const file = path.join(root, "ours-raw", "w.safetensors");
    const tensors = [...tensorsToWrite(), { name: "s", dtype: "F32" as const, shape: [], data: new Float32Array([7]) }];
    await writeSafetensors(file, tensors, { step: "3" });
    const buf = fs.readFileSync(file);
    const n = Number(buf.readBigUInt64LE(0));
    assert.equal(n % 8, 0);
    const text = buf.subarray(8, 8 + n).toString("utf8");
    assert.ok(text.startsWith('{"__metadata__":{"format":"pt","step":"3"},"ids":{"dtype":"I64","shape":[3],"data_offsets":[0,24]},'), text);
    const { __metadata__: _, ...header } = JSON.parse(text) as Record<string, { shape: number[]; data_offsets: [number, number] }>;
    const order = Object.keys(header).sort((p, q) => header[p].data_offsets[0] - header[q].data_offsets[0]);
    assert.deepEqual(order, ["ids", "ids.f32", "0", "c.f32", "s", "b.bf16", "raw.bf16", "a.f16"]);
    order.reduce((end, k) => (assert.equal(header[k].data_offsets[0], end, k), header[k].data_offsets[1]), 0);
    assert.deepEqual(header.s, { dtype: "F32", shape: [], data_offsets: [56, 60] });
    assert.equal(buf.length, 8 + n + header["a.f16"].data_offsets[1]);
    assert.equal(buf.readFloatLE(8 + n + 56), 7);
  });
});

describe("reading", () => {
  test("readChunks yields element-aligned chunks that concatenate to readBytes", async () => {
    const file = path.join(root, "chunks.safetensors");
    const data = Float32Array.from({ length: 1001 }, (_, i) => i);
    await writeSafetensors(file, [{ name: "w", dtype: "F16", shape: [1001], data }]);
    const ckpt = await openCheckpoint(file);
    const chunks: Uint8Array[] = [];
    for await (const c of ckpt.readChunks("w", 301)) chunks.push(c);
    assert.ok(chunks.every((c) => c.byteLength % 2 === 0 && c.byteLength <= 301));
    assert.deepEqual(chunks.map((c) => c.byteLength).slice(0, 2), [300, 300]);
    assert.deepEqual(Buffer.concat(chunks), Buffer.from(await ckpt.readBytes("w")));
    await assert.rejects(async () => {
      for await (const _ of ckpt.readChunks("w", 1)) void _;
    }, /chunkBytes must be ≥ 2/);
    await ckpt.close();
  });

  test("readInto fills a caller buffer from a byte offset inside the tensor", async () => {
    const file = path.join(root, "into.safetensors");
    await writeSafetensors(file, [
      { name: "a", dtype: "F32", shape: [3], data: new Float32Array([9, 9, 9]) },
      { name: "w", dtype: "F32", shape: [10], data: Float32Array.from({ length: 10 }, (_, i) => i) },
    ]);
    const ckpt = await openCheckpoint(file);
    const dst = new Float32Array(8).fill(-1);
    await ckpt.readInto("w", 12, new Uint8Array(dst.buffer, 4, 16));
    assert.deepEqual([...dst], [-1, 3, 4, 5, 6, -1, -1, -1]);
    await assert.rejects(ckpt.readInto("w", 36, new Uint8Array(8)), /bytes 36\.\.44 are outside the tensor's 40 bytes/);
    await ckpt.close();
  });

  test("readFloat32 decodes a BF16 tensor larger than its 64 MiB scratch buffer", async () => {
    const n = 33_000_001; // 66 MB of bf16: two scratch pieces, the second partial
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = ((i * 37) % 512) - 256;
    const file = path.join(root, "big.safetensors");
    await writeSafetensors(file, [{ name: "big", dtype: "BF16", shape: [n], data }]);
    const ckpt = await openCheckpoint(file);
    const got = await ckpt.readFloat32("big");
    await ckpt.close();
    fs.rmSync(file);
    for (const i of [0, 1, 33_554_431, 33_554_432, 33_554_433, n - 1]) if (i < n) assert.equal(got[i], data[i], `element ${i}`);
    assert.deepEqual(got, data); // integers of magnitude ≤ 256 are exact in bf16
  });

  test("decodeToFloat32 covers every dtype, including unaligned input", () => {
    const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    assert.deepEqual(decodeToFloat32(bytes(new Float64Array([1.5, -2])), "F64"), new Float32Array([1.5, -2]));
    assert.deepEqual(decodeToFloat32(bytes(new Int32Array([-3, 4])), "I32"), new Float32Array([-3, 4]));
    assert.deepEqual(decodeToFloat32(bytes(new Uint32Array([4e9])), "U32"), new Float32Array([4e9]));
    assert.deepEqual(decodeToFloat32(bytes(new Int16Array([-3])), "I16"), new Float32Array([-3]));
    assert.deepEqual(decodeToFloat32(bytes(new Uint16Array([65535])), "U16"), new Float32Array([65535]));
    assert.deepEqual(decodeToFloat32(bytes(new Int8Array([-128])), "I8"), new Float32Array([-128]));
    assert.deepEqual(decodeToFloat32(new Uint8Array([255, 0]), "U8"), new Float32Array([255, 0]));
    assert.deepEqual(decodeToFloat32(new Uint8Array([2, 0]), "BOOL"), new Float32Array([1, 0]));
    assert.deepEqual(decodeToFloat32(bytes(new BigUint64Array([2n ** 63n])), "U64"), new Float32Array([2 ** 63]));
    // FP8: E4M3 0x38 = 1, 0x7e = 448 (max), 0x01 = 2^-9, 0x7f = NaN; E5M2 is an fp16's top byte.
    const e4 = decodeToFloat32(new Uint8Array([0x38, 0x7e, 0x01, 0xb8, 0x7f]), "F8_E4M3");
    assert.deepEqual(Array.from(e4.subarray(0, 4)), [1, 448, 2 ** -9, -1]);
    assert.ok(Number.isNaN(e4[4]));
    assert.deepEqual(Array.from(decodeToFloat32(new Uint8Array([0x3c, 0x7c, 0x01]), "F8_E5M2")), [1, Infinity, 2 ** -16]);
    // A view at an odd offset must still decode (copied to an aligned buffer).
    const odd = new Uint8Array(9);
    odd.set(bytes(new Float32Array([3, -7])), 1);
    assert.deepEqual(decodeToFloat32(odd.subarray(1), "F32"), new Float32Array([3, -7]));
    assert.deepEqual(decodeToFloat32(odd.subarray(1, 5).slice(0, 4), "F32"), new Float32Array([3]));
    const oddBf = new Uint8Array(5);
    oddBf.set([0x80, 0x3f, 0x20, 0xc0], 1);
    assert.deepEqual(decodeToFloat32(oddBf.subarray(1), "BF16"), new Float32Array([1, -2.5]));
    assert.throws(() => decodeToFloat32(new Uint8Array(3), "F16"), /3 bytes is not a whole number of F16 elements/);
  });
});
