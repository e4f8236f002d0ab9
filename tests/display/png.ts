// A small PNG reader for tests: header, IHDR and 8-bit RGB/RGBA pixels (enough to check rendered figures).
import zlib from "node:zlib";

export interface DecodedPng {
  width: number;
  height: number;
  channels: number;
  /** Row-major 8-bit samples, `channels` per pixel. */
  pixels: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const b = Buffer.from(bytes);
  if (!SIGNATURE.every((v, i) => b[i] === v)) throw new Error("not a PNG: bad signature");
  if (b.toString("latin1", 12, 16) !== "IHDR") throw new Error("not a PNG: first chunk is not IHDR");
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

export function decodePng(bytes: Uint8Array): DecodedPng {
  const b = Buffer.from(bytes);
  const { width, height } = pngSize(b);
  const bitDepth = b[24];
  const colourType = b[25];
  const interlace = b[28];
  const channels = colourType === 6 ? 4 : colourType === 2 ? 3 : 0;
  if (bitDepth !== 8 || channels === 0 || interlace !== 0) {
    throw new Error(`decodePng: only 8-bit RGB/RGBA non-interlaced; got depth ${bitDepth}, colour type ${colourType}`);
  }
  const idat: Buffer[] = [];
  for (let off = 8; off < b.length; ) {
    const len = b.readUInt32BE(off);
    const type = b.toString("latin1", off + 4, off + 8);
    if (type === "IDAT") idat.push(b.subarray(off + 8, off + 8 + len));
    if (type === "IEND") break;
    off += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[y * stride + x - channels] : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = up;
      else if (filter === 3) pred = (a + up) >> 1;
      else if (filter === 4) {
        const p = a + up - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - up), Math.abs(p - c)];
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? up : c;
      }
      pixels[y * stride + x] = (line[x] + pred) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

/** Fraction of pixels that are visibly not white, and the variance of their luminance. */
export function inkStats(img: DecodedPng): { nonWhite: number; variance: number } {
  const n = img.width * img.height;
  let dark = 0;
  let sum = 0;
  let sum2 = 0;
  for (let i = 0; i < n; i++) {
    const o = i * img.channels;
    const lum = 0.299 * img.pixels[o] + 0.587 * img.pixels[o + 1] + 0.114 * img.pixels[o + 2];
    if (lum < 240) dark += 1;
    sum += lum;
    sum2 += lum * lum;
  }
  const mean = sum / n;
  return { nonWhite: dark / n, variance: sum2 / n - mean * mean };
}

/** The RGB colour at (x, y). */
export function pixelAt(img: DecodedPng, x: number, y: number): [number, number, number] {
  const o = (y * img.width + x) * img.channels;
  return [img.pixels[o], img.pixels[o + 1], img.pixels[o + 2]];
}
