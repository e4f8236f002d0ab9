// Raw little-endian safetensors bytes → Float32Array, for every dtype.
import { bf16ToF32, f16ToF32 } from "../tensor/dtype";
import { SAFETENSORS_ITEM_SIZE, type SafetensorsDtype } from "./safetensors-format";

/** FP8 E4M3 ("fn" variant used by safetensors/torch: no infinities, 0x7f/0xff are NaN, max 448). */
function e4m3Table(): Float32Array {
  const t = new Float32Array(256);
  for (let b = 0; b < 256; b++) {
    const sign = b & 0x80 ? -1 : 1;
    const exp = (b >>> 3) & 0xf;
    const mant = b & 0x7;
    if (exp === 0xf && mant === 0x7) t[b] = NaN;
    else if (exp === 0) t[b] = sign * mant * 2 ** -9;
    else t[b] = sign * (1 + mant / 8) * 2 ** (exp - 7);
  }
  return t;
}

/** FP8 E5M2 is the top byte of an fp16. */
function e5m2Table(): Float32Array {
  const h = new Uint16Array(256);
  for (let b = 0; b < 256; b++) h[b] = b << 8;
  return f16ToF32(h);
}

const byteTables: Partial<Record<SafetensorsDtype, Float32Array>> = {};
function byteTable(dtype: "F8_E4M3" | "F8_E5M2"): Float32Array {
  return (byteTables[dtype] ??= dtype === "F8_E4M3" ? e4m3Table() : e5m2Table());
}

/** A typed view of bytes; copies when bytes are not aligned for the element size. */
function aligned(bytes: Uint8Array, itemSize: number): ArrayBuffer {
  if (bytes.byteOffset % itemSize === 0) return bytes.buffer as ArrayBuffer;
  return bytes.slice().buffer as ArrayBuffer;
}

/**
 * Decodes `bytes` (a whole number of `dtype` elements) into f32: floats are widened or rounded to f32,
 * integers converted (64-bit integers beyond 2^24 lose precision), BOOL gives 0/1.
 */
export function decodeToFloat32(bytes: Uint8Array, dtype: SafetensorsDtype, out?: Float32Array): Float32Array {
  const size = SAFETENSORS_ITEM_SIZE[dtype];
  if (bytes.byteLength % size !== 0) {
    throw new RangeError(`decodeToFloat32: ${bytes.byteLength} bytes is not a whole number of ${dtype} elements (${size} bytes each)`);
  }
  const n = bytes.byteLength / size;
  const dst = out ?? new Float32Array(n);
  if (dst.length < n) throw new RangeError(`decodeToFloat32: out has ${dst.length} elements, need ${n}`);
  const buf = aligned(bytes, size);
  const off = buf === bytes.buffer ? bytes.byteOffset : 0;
  switch (dtype) {
    case "F32":
      new Uint8Array(dst.buffer, dst.byteOffset, n * 4).set(bytes);
      break;
    case "BF16":
      bf16ToF32(new Uint16Array(buf, off, n), dst);
      break;
    case "F16":
      f16ToF32(new Uint16Array(buf, off, n), dst);
      break;
    case "F8_E4M3":
    case "F8_E5M2": {
      const table = byteTable(dtype);
      for (let i = 0; i < n; i++) dst[i] = table[bytes[i]];
      break;
    }
    case "BOOL":
      for (let i = 0; i < n; i++) dst[i] = bytes[i] ? 1 : 0;
      break;
    case "I64":
    case "U64": {
      const src = dtype === "I64" ? new BigInt64Array(buf, off, n) : new BigUint64Array(buf, off, n);
      for (let i = 0; i < n; i++) dst[i] = Number(src[i]);
      break;
    }
    default: {
      const Ctor = {
        F64: Float64Array,
        I32: Int32Array,
        U32: Uint32Array,
        I16: Int16Array,
        U16: Uint16Array,
        I8: Int8Array,
        U8: Uint8Array,
      }[dtype];
      dst.set(new Ctor(buf, off, n));
    }
  }
  return dst;
}
