import type { ModelConfig } from "./config";

/**
 * RoPE inverse frequencies as HF computes them in float32: θ^(−2i/d) for i < d/2, then the optional
 * "linear" (÷ factor) or "llama3" (wavelength-dependent) scaling.
 */
export function ropeInvFreq(c: ModelConfig): Float32Array {
  const half = c.headDim / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.fround(c.ropeTheta ** Math.fround((2 * i) / c.headDim));
  const s = c.ropeScaling;
  if (s?.type === "linear") for (let i = 0; i < half; i++) inv[i] /= s.factor;
  if (s?.type === "llama3") {
    const low = s.lowFreqFactor ?? 1;
    const high = s.highFreqFactor ?? 4;
    const old = s.originalMaxPositions ?? 8192;
    const lowWavelen = old / low;
    const highWavelen = old / high;
    for (let i = 0; i < half; i++) {
      const wavelen = (2 * Math.PI) / inv[i];
      if (wavelen > lowWavelen) inv[i] = inv[i] / s.factor;
      else if (wavelen >= highWavelen) {
        const smooth = (old / wavelen - low) / (high - low);
        inv[i] = (1 - smooth) * (inv[i] / s.factor) + smooth * inv[i];
      }
    }
  }
  return inv;
}

/**
 * cos and signed sin tables for positions start..start+T−1, each [T, d] with the HF layout
 * cat(freqs, freqs). The sin table is negated on its first half so that rotate_half(x)·sin equals
 * swapHalves(x)·sinSigned (rotate_half(x) = cat(−x₂, x₁)).
 */
export function ropeTables(invFreq: Float32Array, start: number, T: number): { cos: Float32Array; sinSigned: Float32Array } {
  const half = invFreq.length;
  const d = 2 * half;
  const cos = new Float32Array(T * d);
  const sinSigned = new Float32Array(T * d);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround((start + t) * invFreq[i]);
      const cv = Math.cos(angle);
      const sv = Math.sin(angle);
      cos[t * d + i] = cv;
      cos[t * d + half + i] = cv;
      sinSigned[t * d + i] = -sv;
      sinSigned[t * d + half + i] = sv;
    }
  }
  return { cos, sinSigned };
}
