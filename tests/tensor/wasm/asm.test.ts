import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { RftlabError } from "../../../lib/errors";
import { asm, leb128, mem, op, sleb128, wasmModule, type Opcode, type WasmFunction } from "../../../lib/tensor/wasm/asm";
import { gemmModuleBytes } from "../../../lib/tensor/wasm/gemm";
import { fusedModuleBytes } from "../../../lib/tensor/wasm/fused-simd";
import { bf16ModuleBytes } from "../../../lib/tensor/wasm/bf16-simd";
import { bidiagonalModuleBytes } from "../../../lib/linalg/bidiagonal-simd";
import { countModuleBytes, type DiffCast, type StoredFloat } from "../../../lib/analysis/update-count-simd";

describe("LEB128", () => {
  test("unsigned: one-byte edge, carries, the spec's example, 2^32 − 1", () => {
    assert.deepEqual(leb128(0), [0x00]);
    assert.deepEqual(leb128(127), [0x7f]);
    assert.deepEqual(leb128(128), [0x80, 0x01]);
    assert.deepEqual(leb128(16383), [0xff, 0x7f]);
    assert.deepEqual(leb128(16384), [0x80, 0x80, 0x01]);
    assert.deepEqual(leb128(624485), [0xe5, 0x8e, 0x26]);
    assert.deepEqual(leb128(2 ** 32 - 1), [0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  test("unsigned rejects negatives, fractions and values past 32 bits", () => {
    for (const n of [-1, 1.5, 2 ** 32])
      assert.throws(
        () => leb128(n),
        (e: Error) => e instanceof RftlabError && e.message.includes(`got ${n}`),
      );
  });

  test("signed: sign bit of the last byte decides, both 32-bit ends", () => {
    assert.deepEqual(sleb128(0), [0x00]);
    assert.deepEqual(sleb128(63), [0x3f]);
    assert.deepEqual(sleb128(64), [0xc0, 0x00]);
    assert.deepEqual(sleb128(-1), [0x7f]);
    assert.deepEqual(sleb128(-64), [0x40]);
    assert.deepEqual(sleb128(-65), [0xbf, 0x7f]);
    assert.deepEqual(sleb128(-123456), [0xc0, 0xbb, 0x78]);
    assert.deepEqual(sleb128(2 ** 31 - 1), [0xff, 0xff, 0xff, 0xff, 0x07]);
    assert.deepEqual(sleb128(-(2 ** 31)), [0x80, 0x80, 0x80, 0x80, 0x78]);
    // i32.const takes bit patterns: 0xffffffff is −1.
    assert.deepEqual(asm.i32(0xffffffff), [0x41, 0x7f]);
  });
});

describe("opcode table", () => {
  test("core opcodes are one byte; SIMD ones the 0xfd prefix and a LEB128 number", () => {
    assert.deepEqual(op("i32.add"), [0x6a]);
    assert.deepEqual(op("v128.load"), [0xfd, 0x00]);
    assert.deepEqual(op("f64x2.add"), [0xfd, 0xf0, 0x01]);
    assert.deepEqual(op("f32x4.relaxed_madd"), [0xfd, 0x85, 0x02]);
  });

  test("memargs default to the natural alignment; an explicit one overrides it", () => {
    assert.deepEqual(mem("v128.load", 16), [0xfd, 0x00, 0x04, 0x10]);
    assert.deepEqual(mem("v128.load", 200, 2), [0xfd, 0x00, 0x02, 0xc8, 0x01]);
    assert.deepEqual(mem("f64.store", 8), [0x39, 0x03, 0x08]);
  });

  test("an unknown opcode names itself and the closest known one", () => {
    assert.throws(
      () => op("f32x4.mull" as Opcode),
      (e: Error) => e instanceof RftlabError && e.message.includes('"f32x4.mull"') && e.message.includes('did you mean "f32x4.mul"'),
    );
    assert.throws(
      () => mem("i32.add", 0),
      (e: Error) => e instanceof RftlabError && e.message.includes('"i32.add" is not a memory instruction'),
    );
  });
});

describe("module encoding", () => {
  test("a memoryless one-function module, byte by byte", () => {
    const f = { name: "p", params: [], locals: [], body: [...asm.i32(0), ...op("i8x16.splat"), ...op("drop")] };
    const bytes = wasmModule([f], null);
    const expected = [
      [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
      [0x01, 0x04, 0x01, 0x60, 0x00, 0x00], // type section: () → ()
      [0x03, 0x02, 0x01, 0x00], // function section: type 0
      [0x07, 0x05, 0x01, 0x01, 0x70, 0x00, 0x00], // export "p" = function 0
      [0x0a, 0x09, 0x01, 0x07, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0x1a, 0x0b], // code: i32.const 0, i8x16.splat, drop, end
    ];
    assert.deepEqual(Array.from(bytes), expected.flat());
    assert.ok(WebAssembly.validate(bytes));
  });

  test("an exported memory and a function that runs", () => {
    const add: WasmFunction = {
      name: "add",
      params: ["i32", "i32"],
      locals: [],
      body: [...asm.get(0), ...asm.get(1), ...op("i32.add")],
      results: ["i32"],
    };
    const inst = new WebAssembly.Instance(new WebAssembly.Module(wasmModule([add], { export: 1 })));
    assert.equal((inst.exports.add as (a: number, b: number) => number)(-3, 10), 7);
    assert.equal((inst.exports.mem as WebAssembly.Memory).buffer.byteLength, 65536);
  });
});

// sha256 of every kernel's module, recorded from the builders at main eec082d (before this assembler owned the
// opcode table) by intercepting WebAssembly.Module: the kernels' bytes must not change with their source.
// After a deliberate kernel change, put the new hash from the failure message here.
describe("kernel modules are byte-identical to the recorded ones", () => {
  const sha = (bytes: Uint8Array | Uint8Array[]) =>
    [bytes]
      .flat()
      .reduce((h, b) => h.update(b), createHash("sha256"))
      .digest("hex");
  const floats: StoredFloat[] = ["BF16", "F16", "F32"];
  const casts: DiffCast[] = ["bf16", "fp16", null];
  const cases: [string, () => Uint8Array | Uint8Array[], string][] = [
    ["gemm", () => gemmModuleBytes(false), "1a4508b15b4781d24c2dd42939b9ba8c0f1ba1975b33663fd47863979c4cc0c4"],
    ["gemm (shared memory)", () => gemmModuleBytes(true), "26510869024de5aa40e27e6a912f012178936cffbece504d58c02ad0cd2df85b"],
    ["fused", () => fusedModuleBytes(false), "8e8673c737e46bf30790a5d405bcb795e53407d452f99d3ba2658ef1eb4d0858"],
    ["fused (shared memory)", () => fusedModuleBytes(true), "49a91ed7a2af1929b0a143256f599bb16adbe814c19321b84f3c87e7a04e8a3f"],
    ["bf16 decode", bf16ModuleBytes, "35db0fa6017c4e532aebc9a161342f6f6d487569b9ee0c08a07fca4f8243483d"],
    ["bidiagonal", bidiagonalModuleBytes, "6b70641756dffc7f2cae1c04e08252a9149a0a18f2ad9294369910668b6f2c9d"], // since subtractProduct takes C's layout (issue 17)
    // all 81 (dtype, cast) combinations, concatenated in this loop order
    [
      "update count",
      () => floats.flatMap((b) => casts.flatMap((cb) => floats.flatMap((t) => casts.map((ct) => countModuleBytes(b, cb, t, ct))))),
      "acf5eff78f48080684437c826832368b07c36c32cda89e67a50b82e59650d1ce", // since the NaN-Δ count (issue 12)
    ],
  ];
  for (const [what, build, expected] of cases) test(what, () => assert.equal(sha(build()), expected));
});
