/**
 * Householder reflectors: generating one (dlarfg) and multiplying a sequence out in blocks (dorgqr with
 * dlarft/dlarfb): NB reflectors at a time as one compact-WY block H = I − V·T·Vᵀ, applied with two
 * f64x2 GEMMs (bidiagonal-simd.ts) instead of one reflector at a time.
 */
import { byteOf, instantiate, type Kernel } from "./bidiagonal-simd";

/** Reflectors per WY block: the GEMMs' inner dimension (multiple of 4, the kernel's tile). */
const NB = 32;

/**
 * LAPACK dlarfg: chooses H = I − τ·w·wᵀ with w = [1; w₂] such that H·[α; x₂] = [β; 0], where α is
 * x[off] and x₂ the len−1 entries at stride `stride` after it. Overwrites α with β, x₂ with w₂; returns τ.
 */
export function householder(x: Float64Array, off: number, len: number, stride: number): number {
  const end = off + len * stride;
  let scale = 0;
  for (let i = off + stride; i < end; i += stride) scale = Math.max(scale, Math.abs(x[i]));
  if (scale === 0) return 0;
  let ss = 0;
  for (let i = off + stride; i < end; i += stride) {
    const t = x[i] / scale;
    ss += t * t;
  }
  const alpha = x[off];
  const norm = Math.hypot(alpha, scale * Math.sqrt(ss));
  const beta = alpha >= 0 ? -norm : norm;
  const inv = 1 / (alpha - beta);
  for (let i = off + stride; i < end; i += stride) x[i] *= inv;
  x[off] = beta;
  return (beta - alpha) / beta;
}

/**
 * M = H_0·H_1·…·H_{count−1}·I[:, :cols] (LAPACK dorgqr), where H_k = I − tau[k]·w·wᵀ with w[k+offset] = 1,
 * w[r] = refl[k·ld + r] for r > k+offset and 0 above. Returns M column-major [rows, cols].
 */
export function reflectorProduct(
  refl: Float64Array,
  ld: number,
  rows: number,
  count: number,
  offset: number,
  tau: Float64Array,
  cols: number,
): Float64Array {
  // A reflector whose 1 sits at row ≥ cols touches no column of I[:, :cols].
  const used = Math.max(0, Math.min(count, cols - offset));
  const ws = new WyWorkspace(rows, cols);
  // Blocks last to first: the columns ≥ h0 hold the later blocks' product, those < h0 are still e_j (zero on rows ≥ h0).
  for (let k0 = Math.floor((used - 1) / NB) * NB; k0 >= 0; k0 -= NB) ws.applyBlock(refl, ld, k0, Math.min(NB, used - k0), offset, tau);
  return ws.columnMajor();
}

/**
 * The product M row-major in wasm memory (3 rows and columns of zero slack for the kernel's 4×4 tiles) and
 * the packed operands of one WY block. Row-major lets the first GEMM read M in place as its right operand.
 */
class WyWorkspace {
  private readonly q: Float64Array;
  private readonly ldq: number;
  /** V packed [q/4][row][4] (left operand of VᵀV and VᵀM). */
  private readonly vq: Float64Array;
  /** V packed [row/4][q][4] (right operand of the update). */
  private readonly vr: Float64Array;
  /** −Vᵀ·M (NB × cols, column-major) and −VᵀV (NB × NB). */
  private readonly w: Float64Array;
  private readonly g: Float64Array;
  /** Z = T·Vᵀ·M packed [column/4][q][4]. */
  private readonly z: Float64Array;
  private readonly t = new Float64Array(NB * NB);
  private readonly subtractProduct: Kernel;

  constructor(
    private readonly rows: number,
    private readonly cols: number,
  ) {
    const ldq = (this.ldq = cols + 4);
    const rows4 = Math.ceil(rows / 4) * 4;
    const lens = [(rows + 4) * ldq, NB * rows, rows4 * NB, NB * (ldq + 4), NB * NB, ldq * NB];
    const memory = new WebAssembly.Memory({ initial: Math.ceil((8 * lens.reduce((s, l) => s + l, 0)) / 65536) });
    this.subtractProduct = instantiate(memory).subtractProduct;
    let at = 0;
    [this.q, this.vq, this.vr, this.w, this.g, this.z] = lens.map((len) => {
      const view = new Float64Array(memory.buffer, 8 * at, len);
      at += len;
      return view;
    });
    for (let j = 0; j < Math.min(rows, cols); j++) this.q[j * ldq + j] = 1;
  }

  /** M[h0:, h0:] ← (H_k0·…·H_{k0+nb−1})·M[h0:, h0:] with h0 = k0 + offset, as M − V·(T·(Vᵀ·M)). */
  applyBlock(refl: Float64Array, ld: number, k0: number, nb: number, offset: number, tau: Float64Array): void {
    const { q, ldq, vq, vr, w, g, z, t } = this;
    const h0 = k0 + offset;
    const len = this.rows - h0;
    const width = this.cols - h0;
    const nb4 = Math.ceil(nb / 4);
    // V[i, c] (row h0 + i, reflector k0 + c): 0 above its diagonal, 1 on it, the stored entries below; zero columns pad to 4.
    vq.fill(0, 0, nb4 * 4 * len);
    vr.fill(0, 0, Math.ceil(len / 4) * 4 * nb);
    for (let c = 0; c < nb; c++) {
      const src = (k0 + c) * ld + h0;
      const qBase = (c >> 2) * 4 * len + (c & 3);
      for (let i = c; i < len; i++) {
        const x = i === c ? 1 : refl[src + i];
        vq[qBase + 4 * i] = x;
        vr[(i >> 2) * 4 * nb + 4 * c + (i & 3)] = x;
      }
    }
    // g = −VᵀV, w = −Vᵀ·M[h0:, h0:] (M read in place: 4 columns per block, one row per step).
    g.fill(0);
    this.subtractProduct(byteOf(g, 0), 8 * NB, nb4, nb4, byteOf(vq, 0), byteOf(vq, 0), len, 32 * len, 32);
    w.fill(0, 0, NB * (Math.ceil(width / 4) * 4));
    this.subtractProduct(byteOf(w, 0), 8 * NB, nb4, Math.ceil(width / 4), byteOf(vq, 0), byteOf(q, h0 * ldq + h0), len, 32, 8 * ldq);
    // dlarft: T upper triangular with H = I − V·T·Vᵀ; column c is −τ_c·T[:c, :c]·(V[:, :c]ᵀ·v_c) above τ_c.
    t.fill(0);
    for (let c = 0; c < nb; c++) {
      const tc = tau[k0 + c];
      for (let p = 0; p < c; p++) {
        let s = 0;
        for (let r = p; r < c; r++) s += t[p * NB + r] * g[c * NB + r];
        t[p * NB + c] = tc * s;
      }
      t[c * NB + c] = tc;
    }
    // z = T·(Vᵀ·M) = −T·w, packed for the update M −= V·z.
    z.fill(0, 0, Math.ceil(width / 4) * 4 * nb);
    for (let j = 0; j < width; j++) {
      const base = (j >> 2) * 4 * nb + (j & 3);
      for (let p = 0; p < nb; p++) {
        let s = 0;
        for (let r = p; r < nb; r++) s += t[p * NB + r] * w[j * NB + r];
        z[base + 4 * p] = -s;
      }
    }
    // Mᵀ[h0:, h0:] −= zᵀ·Vᵀ: M row-major is Mᵀ column-major.
    this.subtractProduct(
      byteOf(q, h0 * ldq + h0),
      8 * ldq,
      Math.ceil(width / 4),
      Math.ceil(len / 4),
      byteOf(z, 0),
      byteOf(vr, 0),
      nb,
      32 * nb,
      32,
    );
  }

  /** M column-major [rows, cols]. */
  columnMajor(): Float64Array {
    const { q, ldq, rows, cols } = this;
    const out = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[j * rows + r] = q[r * ldq + j];
    return out;
  }
}
