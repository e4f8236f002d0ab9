// The hot loops of the SVD as WebAssembly SIMD (f64x2) kernels over one wasm memory: bidiagonalisation's
// trailing update A −= W·Cᵀ in 4×4 tiles (per inner step two loads of W, four splats of C, eight f64x2
// multiply-adds) and its two matrix-vector passes Aᵀu, Av eight columns at a time; and the QR sweeps on
// U, V two rows per lane pair. f64x2 arithmetic is IEEE binary64: results are those of scalar code up to
// the order of sums.
import { asm, i32x4Const, mem, op, v128Load, v128Store, wasmModule, type WasmFunction } from "../tensor/wasm/asm";
import { axpyColumns, dotColumns } from "./dense-kernels";

const { get, set, i32 } = asm;
const I32_MUL = op("i32.mul");
const f64Load = (offset: number) => mem("f64.load", offset);
const f64Store = (offset: number) => mem("f64.store", offset);

// Params: a (byte address of the block's top-left), lda8 (bytes per column), rows4, cols4, w, c, k, and C's
// layout: cBlock (bytes from one 4-column block to the next) and cStep (bytes from one p to the next). Packed C
// has cBlock = 32·k, cStep = 32; a row-major matrix read in place has cBlock = 32, cStep = its row's bytes.
const A = 0,
  LDA8 = 1,
  ROWS4 = 2,
  COLS4 = 3,
  W = 4,
  C = 5,
  K = 6,
  CBLOCK = 7,
  CSTEP = 8;
// Locals: cb, rb, p, wp, cp, colAddr, addr (i32); acc0…acc7, w0, w1, cv (v128).
const CB = 9,
  RB = 10,
  P = 11,
  WP = 12,
  CP = 13,
  COL = 14,
  ADDR = 15,
  ACC = 16,
  W0 = 24,
  W1 = 25,
  CV = 26;

const add = (local: number, by: number[]) => [...get(local), ...by, ...op("i32.add"), ...set(local)];
/** Leaves the enclosing block (depth `depth`) when local `x` equals local `y`. */
const breakIfEqual = (x: number, y: number, depth: number) => [
  ...get(x),
  ...get(y),
  ...op("i32.sub"),
  ...op("i32.eqz"),
  ...asm.brIf(depth),
];

const subtractProductBody = [
  ...i32(0),
  ...set(CB),
  ...asm.block,
  ...asm.loop,
  ...breakIfEqual(CB, COLS4, 1),
  ...get(A),
  ...get(CB),
  ...get(LDA8),
  ...I32_MUL,
  ...i32(4),
  ...I32_MUL,
  ...op("i32.add"),
  ...set(COL),
  ...i32(0),
  ...set(RB),
  ...asm.block,
  ...asm.loop,
  ...breakIfEqual(RB, ROWS4, 1),
  ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((t) => [...i32x4Const(0), ...set(ACC + t)]),
  // W is packed [row block][p][4 rows], C [column block][p][4 columns]: 32 bytes per step each.
  ...get(W),
  ...get(RB),
  ...get(K),
  ...I32_MUL,
  ...i32(32),
  ...I32_MUL,
  ...op("i32.add"),
  ...set(WP),
  ...get(C),
  ...get(CB),
  ...get(CBLOCK),
  ...I32_MUL,
  ...op("i32.add"),
  ...set(CP),
  ...get(K),
  ...set(P),
  ...asm.block,
  ...asm.loop,
  ...get(P),
  ...op("i32.eqz"),
  ...asm.brIf(1),
  ...get(WP),
  ...v128Load(0),
  ...set(W0),
  ...get(WP),
  ...v128Load(16),
  ...set(W1),
  ...[0, 1, 2, 3].flatMap((j) => [
    ...get(CP),
    ...f64Load(8 * j),
    ...op("f64x2.splat"),
    ...set(CV),
    ...get(ACC + 2 * j),
    ...get(W0),
    ...get(CV),
    ...op("f64x2.mul"),
    ...op("f64x2.add"),
    ...set(ACC + 2 * j),
    ...get(ACC + 2 * j + 1),
    ...get(W1),
    ...get(CV),
    ...op("f64x2.mul"),
    ...op("f64x2.add"),
    ...set(ACC + 2 * j + 1),
  ]),
  ...add(WP, i32(32)),
  ...add(CP, get(CSTEP)),
  ...add(P, i32(-1)),
  ...asm.br(0),
  ...asm.end,
  ...asm.end,
  ...get(COL),
  ...get(RB),
  ...i32(32),
  ...I32_MUL,
  ...op("i32.add"),
  ...set(ADDR),
  ...[0, 1, 2, 3].flatMap((j) => [
    ...get(ADDR),
    ...get(ADDR),
    ...v128Load(0),
    ...get(ACC + 2 * j),
    ...op("f64x2.sub"),
    ...v128Store(0),
    ...get(ADDR),
    ...get(ADDR),
    ...v128Load(16),
    ...get(ACC + 2 * j + 1),
    ...op("f64x2.sub"),
    ...v128Store(16),
    ...add(ADDR, get(LDA8)),
  ]),
  ...add(RB, i32(1)),
  ...asm.br(0),
  ...asm.end,
  ...asm.end,
  ...add(CB, i32(1)),
  ...asm.br(0),
  ...asm.end,
  ...asm.end,
];

const subtractProduct: WasmFunction = {
  name: "subtractProduct",
  params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
  locals: [...Array<"i32">(7).fill("i32"), ...Array<"v128">(11).fill("v128")],
  body: subtractProductBody,
};

// Matrix-vector kernels over `groups` blocks of 8 columns and `pairs` row pairs. Params: a (byte address
// of the first column's first row), lda8, pairs, groups, x (dot: the vector; axpy: the 8·groups
// coefficients), y (dot: the 8·groups results; axpy: the vector added to).
const MA = 0,
  MLDA8 = 1,
  PAIRS = 2,
  GROUPS = 3,
  MX = 4,
  MY = 5,
  G = 6,
  R = 7,
  OFF = 8,
  COLS = 9,
  V = 17,
  T = 25;
const matvecLocals: WasmFunction["locals"] = [...Array<"i32">(11).fill("i32"), ...Array<"v128">(9).fill("v128")];
const eight = [0, 1, 2, 3, 4, 5, 6, 7];

/** Loops g over the groups (column pointers COLS+j), running beforeRows, perPair for each row pair (byte offset OFF), afterRows. */
function overGroups(beforeRows: number[], perPair: number[], afterRows: number[]): number[] {
  return [
    ...i32(0),
    ...set(G),
    ...get(MA),
    ...set(COLS),
    ...asm.block,
    ...asm.loop,
    ...breakIfEqual(G, GROUPS, 1),
    ...eight.slice(1).flatMap((j) => [...get(COLS + j - 1), ...get(MLDA8), ...op("i32.add"), ...set(COLS + j)]),
    ...beforeRows,
    ...i32(0),
    ...set(R),
    ...i32(0),
    ...set(OFF),
    ...asm.block,
    ...asm.loop,
    ...breakIfEqual(R, PAIRS, 1),
    ...perPair,
    ...add(R, i32(1)),
    ...add(OFF, i32(16)),
    ...asm.br(0),
    ...asm.end,
    ...asm.end,
    ...afterRows,
    ...get(COLS + 7),
    ...get(MLDA8),
    ...op("i32.add"),
    ...set(COLS),
    ...add(G, i32(1)),
    ...asm.br(0),
    ...asm.end,
    ...asm.end,
  ];
}
const column = (j: number) => [...get(COLS + j), ...get(OFF), ...op("i32.add"), ...v128Load(0)];

/** y[8g + j] = Σ_rows a[column 8g + j]·x. */
const dot8: WasmFunction = {
  name: "dot8",
  params: ["i32", "i32", "i32", "i32", "i32", "i32"],
  locals: matvecLocals,
  body: overGroups(
    eight.flatMap((j) => [...i32x4Const(0), ...set(V + j)]),
    [
      ...get(MX),
      ...get(OFF),
      ...op("i32.add"),
      ...v128Load(0),
      ...set(T),
      ...eight.flatMap((j) => [...get(V + j), ...column(j), ...get(T), ...op("f64x2.mul"), ...op("f64x2.add"), ...set(V + j)]),
    ],
    [
      ...eight.flatMap((j) => [
        ...get(MY),
        ...get(V + j),
        ...asm.lane("f64x2.extract_lane", 0),
        ...get(V + j),
        ...asm.lane("f64x2.extract_lane", 1),
        ...op("f64.add"),
        ...f64Store(8 * j),
      ]),
      ...add(MY, i32(64)),
    ],
  ),
};

/** y += Σ_j a[column 8g + j]·x[8g + j] over all groups. */
const axpy8: WasmFunction = {
  name: "axpy8",
  params: ["i32", "i32", "i32", "i32", "i32", "i32"],
  locals: matvecLocals,
  body: overGroups(
    [...eight.flatMap((j) => [...get(MX), ...f64Load(8 * j), ...op("f64x2.splat"), ...set(V + j)]), ...add(MX, i32(64))],
    [
      ...get(MY),
      ...get(OFF),
      ...op("i32.add"),
      ...get(MY),
      ...get(OFF),
      ...op("i32.add"),
      ...v128Load(0),
      ...eight.flatMap((j) => [...column(j), ...get(V + j), ...op("f64x2.mul"), ...op("f64x2.add")]),
      ...v128Store(0),
    ],
    [],
  ),
};

// One QR sweep on 8 rows of a column-major matrix: for t < count, columns (j, j+1) = (k+t, k+t+1) get
// (x, y) ← (c·x + s·y, c·y − s·x), with column j's 8 values carried in four registers so each value is
// loaded and stored once per sweep. Params: u (byte address of the first row in column k), lda8, count,
// cs, sn (byte addresses of the cosines and sines, each stored twice: one v128 per rotation).
const RU = 0,
  RLDA8 = 1,
  RCOUNT = 2,
  RCS = 3,
  RSN = 4,
  RADDR = 5,
  RNEXT = 6,
  VC = 7,
  VS = 8,
  VY = 9,
  VX = 10;
const four = [0, 1, 2, 3];
const rotateSweep: WasmFunction = {
  name: "rotateSweep",
  params: ["i32", "i32", "i32", "i32", "i32"],
  locals: ["i32", "i32", ...Array<"v128">(8).fill("v128")],
  body: [
    ...four.flatMap((h) => [...get(RU), ...v128Load(16 * h), ...set(VX + h)]),
    ...get(RU),
    ...set(RADDR),
    ...asm.block,
    ...asm.loop,
    ...get(RCOUNT),
    ...op("i32.eqz"),
    ...asm.brIf(1),
    ...get(RCS),
    ...v128Load(0),
    ...set(VC),
    ...get(RSN),
    ...v128Load(0),
    ...set(VS),
    ...get(RADDR),
    ...get(RLDA8),
    ...op("i32.add"),
    ...set(RNEXT),
    ...four.flatMap((h) => [
      ...get(RNEXT),
      ...v128Load(16 * h),
      ...set(VY),
      ...get(RADDR),
      ...get(VC),
      ...get(VX + h),
      ...op("f64x2.mul"),
      ...get(VS),
      ...get(VY),
      ...op("f64x2.mul"),
      ...op("f64x2.add"),
      ...v128Store(16 * h),
      ...get(VC),
      ...get(VY),
      ...op("f64x2.mul"),
      ...get(VS),
      ...get(VX + h),
      ...op("f64x2.mul"),
      ...op("f64x2.sub"),
      ...set(VX + h),
    ]),
    ...get(RNEXT),
    ...set(RADDR),
    ...add(RCS, i32(16)),
    ...add(RSN, i32(16)),
    ...add(RCOUNT, i32(-1)),
    ...asm.br(0),
    ...asm.end,
    ...asm.end,
    ...four.flatMap((h) => [...get(RADDR), ...get(VX + h), ...v128Store(16 * h)]),
  ],
};

/** The module of the four kernels, its memory imported as env.mem. */
export const bidiagonalModuleBytes = () => wasmModule([subtractProduct, dot8, axpy8, rotateSweep], { import: 1 });

let compiled: WebAssembly.Module | null = null;

export type Kernel = (...args: number[]) => void;

/** The kernels over `memory` (the module is compiled on first use). */
export function instantiate(memory: WebAssembly.Memory): Record<string, Kernel> {
  compiled ??= new WebAssembly.Module(bidiagonalModuleBytes());
  return new WebAssembly.Instance(compiled, { env: { mem: memory } }).exports as unknown as Record<string, Kernel>;
}

export const byteOf = (view: Float64Array, index: number) => view.byteOffset + 8 * index;

/**
 * Float64 arrays in one wasm memory for bidiagonalising an m×n column-major matrix (m ≥ n) with
 * panels of nb columns, and the kernels over them. `a` has five columns of slack that the
 * zero-padded tiles of `subtractProduct` load and store back unchanged.
 */
export class BidiagonalWorkspace {
  /** The matrix, column-major, lda = m. */
  readonly a: Float64Array;
  /** X [m, nb] and Y [n, nb] of the panel (column-major). */
  readonly x: Float64Array;
  readonly y: Float64Array;
  /** The row reflector v (indexed by column). */
  readonly v: Float64Array;
  /** W packed [⌈rows/4⌉][k][4] and C packed [⌈cols/4⌉][k][4], zero past the block's edge. */
  readonly w: Float64Array;
  readonly c: Float64Array;
  private readonly kernels: Record<"subtractProduct" | "dot8" | "axpy8", Kernel>;

  constructor(
    readonly m: number,
    readonly n: number,
    nb: number,
  ) {
    const lens = [m * (n + 5), m * nb, n * nb, n, Math.ceil(m / 4) * 4 * 2 * nb, Math.ceil(n / 4) * 4 * 2 * nb];
    const total = lens.reduce((s, l) => s + l, 0);
    const memory = new WebAssembly.Memory({ initial: Math.ceil((8 * total) / 65536) });
    this.kernels = instantiate(memory) as BidiagonalWorkspace["kernels"];
    let at = 0;
    const [a, x, y, v, w, c] = lens.map((len) => {
      const view = new Float64Array(memory.buffer, 8 * at, len);
      at += len;
      return view;
    });
    this.a = a;
    this.x = x;
    this.y = y;
    this.v = v;
    this.w = w;
    this.c = c;
  }

  /** a[r0:r0+rows, c0:c0+cols] −= W·Cᵀ for the packed w, c (inner dimension k). */
  subtractProduct(r0: number, c0: number, rows: number, cols: number, k: number): void {
    this.kernels.subtractProduct(
      byteOf(this.a, c0 * this.m + r0),
      8 * this.m,
      Math.ceil(rows / 4),
      Math.ceil(cols / 4),
      byteOf(this.w, 0),
      byteOf(this.c, 0),
      k,
      32 * k,
      32,
    );
  }

  /** y[yOff + j] = Σ_{r ∈ [r0, r1)} a[j·m + r]·a[xOff + r] for j ∈ [c0, c1): Aᵀu with u a column of `a`. */
  dotColumns(r0: number, r1: number, c0: number, c1: number, xOff: number, yOff: number): void {
    const { a, m } = this;
    const pairs = (r1 - r0) >> 1;
    const groups = (c1 - c0) >> 3;
    this.kernels.dot8(byteOf(a, c0 * m + r0), 8 * m, pairs, groups, byteOf(a, xOff + r0), byteOf(this.y, yOff + c0));
    const rEnd = r0 + 2 * pairs;
    if (rEnd < r1) for (let j = c0; j < c0 + 8 * groups; j++) this.y[yOff + j] += a[j * m + rEnd] * a[xOff + rEnd];
    dotColumns(a, m, r0, r1, c0 + 8 * groups, c1, a, xOff, this.y, yOff);
  }

  /** x[xOff + r] += Σ_{j ∈ [c0, c1)} a[j·m + r]·v[j] for r ∈ [r0, r1): Av. */
  axpyColumns(r0: number, r1: number, c0: number, c1: number, xOff: number): void {
    const { a, m, v } = this;
    const pairs = (r1 - r0) >> 1;
    const groups = (c1 - c0) >> 3;
    this.kernels.axpy8(byteOf(a, c0 * m + r0), 8 * m, pairs, groups, byteOf(v, c0), byteOf(this.x, xOff + r0));
    const rEnd = r0 + 2 * pairs;
    if (rEnd < r1) for (let j = c0; j < c0 + 8 * groups; j++) this.x[xOff + rEnd] += a[j * m + rEnd] * v[j];
    axpyColumns(a, m, r0, r1, c0 + 8 * groups, c1, v, 0, this.x, xOff);
  }
}

/** Sweeps queued before they are applied to each block of 8 rows (8·cols doubles, in L2) in turn. */
const QUEUED_SWEEPS = 16;

/**
 * A column-major [rows, cols] matrix in wasm memory that accumulates the rotations of bidiagonal QR
 * (U or V). Sweeps are queued and applied QUEUED_SWEEPS at a time, 8 rows by 8 rows, by the SIMD
 * kernel, so the matrix streams through memory once per batch instead of once per sweep.
 * Sign flips and the final column order apply when the result is read (toRowMajor).
 */
export class RotatedColumns {
  /** Column j at data[j·lda …]; lda is rows padded off a power of two (a 2^k stride maps a row's
   * values in all columns onto a few cache sets). */
  readonly data: Float64Array;
  private readonly lda: number;
  private readonly cs: Float64Array;
  private readonly sn: Float64Array;
  private readonly queued: { k: number; count: number }[] = [];
  private readonly sign: Float64Array;
  private order: ArrayLike<number> | null = null;
  private readonly sweep: Kernel;

  /** Copies `columnMajor` ([rows, cols]). */
  constructor(
    columnMajor: Float64Array,
    readonly rows: number,
    readonly cols: number,
  ) {
    const table = 2 * QUEUED_SWEEPS * cols;
    const lda = (this.lda = rows + 8);
    const memory = new WebAssembly.Memory({ initial: Math.ceil((8 * (lda * cols + 2 * table)) / 65536) });
    this.sweep = instantiate(memory).rotateSweep;
    this.data = new Float64Array(memory.buffer, 0, lda * cols);
    this.cs = new Float64Array(memory.buffer, 8 * lda * cols, table);
    this.sn = new Float64Array(memory.buffer, 8 * (lda * cols + table), table);
    for (let j = 0; j < cols; j++) this.data.set(columnMajor.subarray(j * rows, (j + 1) * rows), j * lda);
    this.sign = new Float64Array(cols).fill(1);
  }

  /** (x_j, x_q) ← (c·x_j + s·x_q, −s·x_j + c·x_q) on columns j, q. */
  rotate(j: number, q: number, c: number, s: number): void {
    this.flush();
    const { data: x, rows, lda } = this;
    for (let r = 0, oj = j * lda, oq = q * lda; r < rows; r++) {
      const xj = x[oj + r];
      const xq = x[oq + r];
      x[oj + r] = c * xj + s * xq;
      x[oq + r] = -s * xj + c * xq;
    }
  }

  /** Queues the rotations (cs[t], sn[t]) on columns (k+t, k+t+1) for t = 0 … count−1, in order. */
  rotateSweep(k: number, count: number, cs: Float64Array, sn: Float64Array): void {
    const at = 2 * this.queued.length * this.cols;
    for (let t = 0; t < count; t++) {
      this.cs[at + 2 * t] = this.cs[at + 2 * t + 1] = cs[t];
      this.sn[at + 2 * t] = this.sn[at + 2 * t + 1] = sn[t];
    }
    this.queued.push({ k, count });
    if (this.queued.length === QUEUED_SWEEPS) this.flush();
  }

  /** Negates column j once all rotations are applied (j must take no further rotations). */
  negate(j: number): void {
    this.sign[j] = -this.sign[j];
  }

  /** Output column c is column order[c] (set once, after the last rotation). */
  permute(order: ArrayLike<number>): void {
    this.order = order;
  }

  /** The matrix row-major [rows, cols], with the sign flips and column order applied. */
  toRowMajor(): Float64Array {
    this.flush();
    const { data: x, rows, cols, lda, sign } = this;
    const out = new Float64Array(rows * cols);
    for (let c = 0; c < cols; c++) {
      const j = this.order ? this.order[c] : c;
      for (let r = 0; r < rows; r++) out[r * cols + c] = sign[j] * x[j * lda + r];
    }
    return out;
  }

  private flush(): void {
    const { data: x, rows, cols, lda, queued } = this;
    const full = rows - (rows % 8);
    for (let r0 = 0; r0 < full; r0 += 8) {
      queued.forEach(({ k, count }, q) =>
        this.sweep(byteOf(x, k * lda + r0), 8 * lda, count, byteOf(this.cs, 2 * q * cols), byteOf(this.sn, 2 * q * cols)),
      );
    }
    for (let r = full; r < rows; r++) {
      queued.forEach(({ k, count }, q) => {
        let o = k * lda + r;
        let u = x[o];
        for (let t = 0; t < count; t++, o += lda) {
          const c = this.cs[2 * (q * cols + t)];
          const s = this.sn[2 * (q * cols + t)];
          const y = x[o + lda];
          x[o] = c * u + s * y;
          u = c * y - s * u;
        }
        x[o] = u;
      });
    }
    queued.length = 0;
  }
}
