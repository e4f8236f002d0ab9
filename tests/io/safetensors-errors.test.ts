// Malformed checkpoints must give a CheckpointError naming the file and the problem: never a crash,
// a hang or a huge allocation. One table row per kind of damage.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { CheckpointError, openCheckpoint, writeSafetensors, writeShardedSafetensors, type Checkpoint } from "../../lib/io";
import { tmpDir } from "../helpers/tmp";

const root = tmpDir("rftlab-io-errors-");
let counter = 0;
const fresh = () => {
  const d = path.join(root, `case-${counter++}`);
  fs.mkdirSync(d, { recursive: true });
  return d;
};

/** A safetensors file from a header (object or raw text), with the declared length and data overridable. */
function rawFile(
  file: string,
  header: unknown,
  dataBytes: number,
  opts: { declaredLength?: bigint; headerBytes?: Uint8Array } = {},
): string {
  const hb = opts.headerBytes ?? new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(opts.declaredLength ?? BigInt(hb.length));
  fs.writeFileSync(file, Buffer.concat([prefix, hb, Buffer.alloc(dataBytes)]));
  return file;
}

const st = (d: string, header: unknown, dataBytes: number, opts?: Parameters<typeof rawFile>[3]) =>
  rawFile(path.join(d, "model.safetensors"), header, dataBytes, opts);
const w = (begin: number, end: number, dtype = "F32", shape = [(end - begin) / 4]) => ({ dtype, shape, data_offsets: [begin, end] });
const f32 = (name: string, n: number) => ({ name, dtype: "F32" as const, shape: [n], data: new Float32Array(n) });

async function sharded(d: string): Promise<void> {
  await writeShardedSafetensors(d, [f32("a", 4), f32("b", 4), f32("c", 4)], { maxShardBytes: 16 });
}
const indexOf = (d: string) => path.join(d, "model.safetensors.index.json");
const editIndex = (d: string, edit: (j: { weight_map: Record<string, string> }) => void) => {
  const j = JSON.parse(fs.readFileSync(indexOf(d), "utf8"));
  edit(j);
  fs.writeFileSync(indexOf(d), JSON.stringify(j));
};

interface Case {
  what: string;
  /** Builds the damaged checkpoint in d; returns the path to open. */
  setup: (d: string) => string | Promise<string>;
  /** Optional action on the opened checkpoint (for errors raised after opening). */
  act?: (c: Checkpoint) => Promise<unknown>;
  match: RegExp;
  /** Basename of the file the error must name. */
  file: string;
}

const cases: Case[] = [
  {
    what: "empty file",
    setup: (d) => (fs.writeFileSync(path.join(d, "model.safetensors"), ""), d),
    match: /empty file/,
    file: "model.safetensors",
  },
  {
    what: "shorter than the length prefix",
    setup: (d) => (fs.writeFileSync(path.join(d, "model.safetensors"), Buffer.alloc(5)), d),
    match: /truncated: 5 bytes/,
    file: "model.safetensors",
  },
  {
    what: "header length beyond the file",
    setup: (d) => st(d, { w: w(0, 4) }, 4, { declaredLength: 1000n }),
    match: /header length 1000 goes beyond the end of the file/,
    file: "model.safetensors",
  },
  {
    // 8 + 10 > 14 although 10 < 14: the check must count the length prefix.
    what: "header length beyond the file by less than the 8-byte prefix",
    setup: (d) => st(d, {}, 4, { declaredLength: 10n }),
    match: /header length 10 goes beyond the end of the file \(14 bytes\)/,
    file: "model.safetensors",
  },
  {
    what: "header length absurdly large",
    setup: (d) => st(d, {}, 0, { declaredLength: 1n << 60n }),
    match: /absurdly large/,
    file: "model.safetensors",
  },
  { what: "header length zero", setup: (d) => st(d, "", 8), match: /too small/, file: "model.safetensors" },
  {
    what: "header is not JSON",
    setup: (d) => st(d, '{"w": {"dtype": "F32",, }}', 0),
    match: /not valid JSON: syntax error at line 1, column 23/,
    file: "model.safetensors",
  },
  {
    what: "header is cut short",
    setup: (d) => st(d, '{"w": {"dtype": "F32"', 0),
    match: /not valid JSON: .*near end of input/,
    file: "model.safetensors",
  },
  {
    what: "header not UTF-8",
    setup: (d) => st(d, null, 0, { headerBytes: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }),
    match: /not valid UTF-8/,
    file: "model.safetensors",
  },
  { what: "header is an array", setup: (d) => st(d, [1, 2], 0), match: /must be a JSON object; got an array/, file: "model.safetensors" },
  {
    what: "entry not an object",
    setup: (d) => st(d, { w: 3 }, 0),
    match: /tensor "w": entry must be an object/,
    file: "model.safetensors",
  },
  {
    what: "missing dtype",
    setup: (d) => st(d, { w: { shape: [1], data_offsets: [0, 4] } }, 4),
    match: /tensor "w": missing dtype/,
    file: "model.safetensors",
  },
  {
    what: "unknown dtype",
    setup: (d) => st(d, { w: w(0, 4, "F128", [1]) }, 4),
    match: /tensor "w": unknown dtype "F128"/,
    file: "model.safetensors",
  },
  {
    what: "shape with a fraction",
    setup: (d) => st(d, { w: w(0, 4, "F32", [2.5]) }, 4),
    match: /shape must be an array of integers; got \[2.5\]/,
    file: "model.safetensors",
  },
  {
    what: "shape not an array",
    setup: (d) => st(d, { w: { dtype: "F32", shape: "4", data_offsets: [0, 16] } }, 16),
    match: /shape must be an array of integers; got "4"/,
    file: "model.safetensors",
  },
  {
    what: "negative dimension",
    setup: (d) => st(d, { w: w(0, 4, "F32", [-1, -1]) }, 4),
    match: /negative dimension/,
    file: "model.safetensors",
  },
  {
    what: "data_offsets missing",
    setup: (d) => st(d, { w: { dtype: "F32", shape: [1] } }, 4),
    match: /data_offsets must be \[begin, end\]/,
    file: "model.safetensors",
  },
  {
    what: "data_offsets negative",
    setup: (d) => st(d, { w: { dtype: "F32", shape: [1], data_offsets: [-4, 0] } }, 4),
    match: /data_offsets must be/,
    file: "model.safetensors",
  },
  {
    what: "data_offsets end before begin",
    setup: (d) => st(d, { w: { dtype: "F32", shape: [1], data_offsets: [4, 0] } }, 4),
    match: /end before begin/,
    file: "model.safetensors",
  },
  {
    what: "data beyond the file (truncated data)",
    setup: (d) => st(d, { w: w(0, 400) }, 40),
    match: /out of range: the data region has 40 bytes/,
    file: "model.safetensors",
  },
  {
    what: "size differs from numel × itemsize",
    setup: (d) => st(d, { w: w(0, 12, "F32", [4]) }, 12),
    match: /12 bytes .* needs 16/,
    file: "model.safetensors",
  },
  {
    what: "overlapping tensors",
    setup: (d) => st(d, { a: w(0, 8), b: w(4, 12) }, 12),
    match: /tensor "b".*overlap/,
    file: "model.safetensors",
  },
  {
    what: "gap between tensors",
    setup: (d) => st(d, { a: w(0, 4), b: w(8, 12) }, 12),
    match: /gap of 4 unused bytes/,
    file: "model.safetensors",
  },
  {
    what: "trailing bytes after the last tensor",
    setup: (d) => st(d, { a: w(0, 4) }, 12),
    match: /8 trailing bytes/,
    file: "model.safetensors",
  },
  {
    what: "duplicate tensor names",
    setup: (d) => st(d, '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8),
    match: /duplicate tensor name "a"/,
    file: "model.safetensors",
  },
  {
    what: "non-string metadata",
    setup: (d) => st(d, { __metadata__: { step: 3 }, a: w(0, 4) }, 4),
    match: /__metadata__.step must be a string/,
    file: "model.safetensors",
  },
  {
    what: "index not JSON",
    setup: async (d) => (await sharded(d), fs.writeFileSync(indexOf(d), '{"weight_map": {'), d),
    match: /safetensors index is not valid JSON/,
    file: "model.safetensors.index.json",
  },
  {
    what: "index without weight_map",
    setup: async (d) => (await sharded(d), fs.writeFileSync(indexOf(d), '{"metadata": {}}'), d),
    match: /weight_map must be an object/,
    file: "model.safetensors.index.json",
  },
  {
    what: "missing shard",
    setup: async (d) => (await sharded(d), fs.rmSync(path.join(d, "model-00002-of-00003.safetensors")), d),
    match: /missing shard model-00002-of-00003.safetensors \(holds "b"/,
    file: "model.safetensors.index.json",
  },
  {
    what: "weight_map names a tensor its shard lacks",
    setup: async (d) => (await sharded(d), editIndex(d, (j) => (j.weight_map.ghost = "model-00001-of-00003.safetensors")), d),
    match: /weight_map lists "ghost" in model-00001-of-00003.safetensors, but that shard has no such tensor/,
    file: "model.safetensors.index.json",
  },
  {
    what: "weight_map names the wrong shard",
    setup: async (d) => (
      await sharded(d),
      editIndex(d, (j) => Object.assign(j.weight_map, { a: "model-00003-of-00003.safetensors", b: "model-00001-of-00003.safetensors" })),
      d
    ),
    match: /weight_map puts "a" in model-00003-of-00003.safetensors but it is stored in model-00001-of-00003.safetensors/,
    file: "model.safetensors.index.json",
  },
  {
    what: "weight_map moves a tensor to a shard that lacks it",
    setup: async (d) => (await sharded(d), editIndex(d, (j) => (j.weight_map.a = "model-00003-of-00003.safetensors")), d),
    match: /weight_map lists "a" in model-00003-of-00003.safetensors, but that shard has no such tensor/,
    file: "model.safetensors.index.json",
  },
  {
    what: "a tensor stored in two shards",
    setup: async (d) => {
      await sharded(d);
      await writeSafetensors(path.join(d, "model-00002-of-00003.safetensors"), [f32("a", 4), f32("b", 4)]);
      return d;
    },
    match: /tensor "a" is also stored in model-00001/,
    file: "model-00002-of-00003.safetensors",
  },
  {
    what: "tensor name not found lists close names",
    setup: async (d) => (
      await writeSafetensors(path.join(d, "model.safetensors"), [f32("model.layers.0.mlp.up_proj.weight", 2), f32("model.norm.weight", 2)]),
      d
    ),
    act: (c) => c.readFloat32("model.layers.0.mlp.up_proj.weights"),
    match: /no tensor named "model.layers.0.mlp.up_proj.weights" among 2 tensors; close names: "model.layers.0.mlp.up_proj.weight"/,
    file: "case-",
  },
  {
    what: "read after close",
    setup: async (d) => (await writeSafetensors(path.join(d, "x.safetensors"), [f32("a", 1)]), path.join(d, "x.safetensors")),
    act: async (c) => (await c.close(), c.readBytes("a")),
    match: /closed/,
    file: "x.safetensors",
  },
  {
    what: "hub cache folder without snapshots",
    setup: (d) => (fs.mkdirSync(path.join(d, "models--org--m", "refs"), { recursive: true }), path.join(d, "models--org--m")),
    match: /no snapshots/,
    file: "models--org--m",
  },
  {
    what: "refs/main naming a missing snapshot",
    setup: (d) => {
      const repo = path.join(d, "models--org--m");
      fs.mkdirSync(path.join(repo, "snapshots", "aaa"), { recursive: true });
      fs.mkdirSync(path.join(repo, "refs"));
      fs.writeFileSync(path.join(repo, "refs", "main"), "bbb");
      return repo;
    },
    match: /refs\/main names snapshot bbb, which is missing; snapshots present: aaa/,
    file: "main",
  },
  {
    what: "folder without checkpoint",
    setup: (d) => (fs.writeFileSync(path.join(d, "config.json"), "{}"), d),
    match: /no model.safetensors, model.safetensors.index.json or other .safetensors file/,
    file: "case-",
  },
  {
    what: "two checkpoints, no index",
    setup: async (d) => {
      await writeSafetensors(path.join(d, "a.safetensors"), [f32("a", 1)]);
      await writeSafetensors(path.join(d, "b.safetensors"), [f32("a", 1)]);
      return d;
    },
    match: /ambiguous: several checkpoints \(a.safetensors, b.safetensors\)/,
    file: "case-",
  },
  { what: "no such path", setup: (d) => path.join(d, "nope.safetensors"), match: /no such file or folder/, file: "nope.safetensors" },
  {
    what: "not a safetensors file",
    setup: (d) => (fs.writeFileSync(path.join(d, "w.bin"), "x"), path.join(d, "w.bin")),
    match: /not a .safetensors file/,
    file: "w.bin",
  },
];

describe("malformed checkpoints give CheckpointError", () => {
  test(`table has ≥ 20 cases (${cases.length})`, () => assert.ok(cases.length >= 20));
  for (const c of cases) {
    test(c.what, async () => {
      const p = await c.setup(fresh());
      let err: unknown;
      let ckpt: Checkpoint | undefined;
      try {
        ckpt = await openCheckpoint(p);
        if (!c.act) assert.fail(`opening ${p} should have failed (${c.what})`);
        await c.act(ckpt);
        assert.fail(`${c.what}: expected an error`);
      } catch (e) {
        err = e;
      } finally {
        await ckpt?.close();
      }
      assert.ok(err instanceof CheckpointError, `expected CheckpointError, got ${(err as Error)?.stack}`);
      assert.match(err.message, c.match);
      assert.ok(path.basename(err.file).startsWith(c.file), `error names ${err.file}, expected ${c.file}`);
      assert.ok(err.message.startsWith(err.file), "message starts with the file");
      assert.ok(err.problem.length > 0);
    });
  }
});

test("writeShardedSafetensors: maxShardBytes 0 or below is an error naming it (not one shard per tensor), nothing written", async () => {
  for (const maxShardBytes of [0, -1, Number.NaN]) {
    const d = fresh();
    await assert.rejects(writeShardedSafetensors(d, [f32("a", 4), f32("b", 4)], { maxShardBytes }), /maxShardBytes must be > 0; got/);
    assert.deepEqual(fs.readdirSync(d), []);
  }
});
