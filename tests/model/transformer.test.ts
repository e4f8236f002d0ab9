import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { tf } from "../../lib/tensor/tf";
import { initBackend } from "../../lib/tensor/backend";
import { createModel, loadModel, resolveModelConfig, saveModel, type Transformer, type ModelConfig } from "../../lib/model";
import { formatParamCount } from "../../lib/model/transformer";
import { expectClose, maxAbsDiff } from "../helpers/expect";
import { referenceScript, runPython, torchAvailable } from "../helpers/python";
import { tmpDir } from "../helpers/tmp";
import { REFERENCE_CASES as CASES, clampTokens, logitsOf, makeReferenceCheckpoint } from "../helpers/reference-models";

const SCRIPT = referenceScript("model-forward.py");
const haveTorch = torchAvailable();

/**
 * Logits tolerance vs PyTorch, from measured error: max |rftlab − torch| was 3.7e-6 (gpt2), 4.4e-6 (qwen2),
 * 4.0e-6 (llama) on the wasm backend (logits up to ≈ 13); ≈ 5× the worst. A wrong RMSNorm eps (1e-6 for
 * 1e-5) moves the llama logits by 3.6e-4.
 */
const LOGITS_ATOL = 2.5e-5;

describe("Transformer vs PyTorch reference (tests/reference/model-forward.py)", () => {
  before(async () => {
    await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
  });

  for (const c of CASES) {
    test(`${c.name}: logits match within ${LOGITS_ATOL}`, { skip: !haveTorch && "python3-torch not installed" }, async () => {
      const dir = path.join(tmpDir(), "ckpt");
      const tokens = clampTokens(c.config.vocab_size as number);
      const ref = makeReferenceCheckpoint(c, dir, tokens);
      const m = await loadModel(dir);
      try {
        const got = await logitsOf(m, tokens);
        const want = ref.logits.flat(2);
        const diff = maxAbsDiff(got, want);
        console.log(
          `  ${c.config.model_type}: max |rftlab − torch| = ${diff.toExponential(2)} over ${want.length} logits ` +
            `(max |logit| ${Math.max(...want.map(Math.abs)).toFixed(2)})`,
        );
        expectClose(got, want, { atol: LOGITS_ATOL, what: `${c.config.model_type} logits` });
      } finally {
        m.dispose();
      }
    });
  }

  test("saveModel writes checkpoints the reference reads (f32 exact, bf16 rounded)", {
    skip: !haveTorch && "python3-torch not installed",
  }, async () => {
    const root = tmpDir();
    const src = path.join(root, "src");
    const tokens = clampTokens(67);
    runPython(SCRIPT, { op: "make", dir: src, config: CASES[1].config, seed: 3, dtype: "F32", shards: 1, tokens });
    const m = await loadModel(src);
    try {
      const want = await logitsOf(m, tokens);
      for (const dtype of ["F32", "BF16"] as const) {
        const out = path.join(root, dtype);
        await saveModel(m, out, { dtype });
        const ref = runPython<{ logits: number[][][] }>(SCRIPT, { op: "eval", dir: out, tokens });
        const back = await loadModel(out);
        try {
          const got = await logitsOf(back, tokens);
          console.log(`  reloaded ${dtype}: max |rftlab − torch| = ${maxAbsDiff(got, ref.logits.flat(2)).toExponential(2)}`);
          expectClose(got, ref.logits.flat(2), { atol: LOGITS_ATOL, what: `reloaded ${dtype} vs reference` });
          if (dtype === "F32") expectClose(got, want, { atol: 0, what: "f32 round trip" });
          else expectClose(got, want, { atol: 0.5, what: "bf16 round trip (rounded weights)" });
          assert.deepEqual(back.config, m.config);
        } finally {
          back.dispose();
        }
      }
    } finally {
      m.dispose();
    }
  });
});

// Torch-free: the final RMSNorm against float64 arithmetic, with the eps from the checkpoint's config.json
// (saved and reloaded). The residual's mean square (≈ 4e-4 at init std 0.02) is close enough to eps that
// eps 1e-6 instead of 1e-5 moves the output by ≈ 1%, far above the f32 error (≈ 1e-6).
describe("RMSNorm uses the config's eps (torch-free)", () => {
  before(async () => {
    await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
  });
  for (const [i, eps] of [
    [1, 1e-5],
    [2, 1e-6],
  ] as const) {
    const cfg = resolveModelConfig({ ...tinyConfigs()[i], normEps: eps });
    test(`${cfg.family}, rms_norm_eps ${eps}: ln_final = x / √(mean x² + eps) · w`, async () => {
      const dir = path.join(tmpDir(), "ckpt");
      const made = createModel(cfg, { seed: 9 });
      await saveModel(made, dir, { dtype: "F32" });
      made.dispose();
      const m = await loadModel(dir);
      const D = cfg.dModel;
      const w = Float64Array.from({ length: D }, (_, i) => 0.5 + i / D);
      m.param("model.norm.weight").assign(tf.tensor1d(Array.from(w)));
      const ids = tf.tensor2d([[1, 7, 3, 40]], undefined, "int32");
      const { logits, cache } = m.runWithCache(ids, { names: ["blocks.1.hook_resid_post", "ln_final.hook_normalized"] });
      const x = cache.get("blocks.1.hook_resid_post").dataSync();
      const want = new Float64Array(x.length);
      for (let r = 0; r < x.length / D; r++) {
        let ms = 0;
        for (let i = 0; i < D; i++) ms += x[r * D + i] ** 2 / D;
        for (let i = 0; i < D; i++) want[r * D + i] = (x[r * D + i] / Math.sqrt(ms + eps)) * w[i];
      }
      expectClose(cache.get("ln_final.hook_normalized").dataSync(), want, { atol: 1e-5, what: "ln_final" });
      tf.dispose([ids, logits]);
      cache.dispose();
      m.dispose();
    });
  }
});

function tinyConfigs(): ModelConfig[] {
  return [
    resolveModelConfig({ family: "gpt2", vocabSize: 41, dModel: 16, nLayers: 2, nHeads: 2, maxPositions: 32 }),
    resolveModelConfig({
      family: "llama",
      vocabSize: 41,
      dModel: 16,
      nLayers: 2,
      nHeads: 4,
      nKvHeads: 2,
      dFF: 24,
      maxPositions: 32,
      tieEmbeddings: true,
    }),
    resolveModelConfig({
      family: "qwen2",
      vocabSize: 41,
      dModel: 24,
      nLayers: 2,
      nHeads: 6,
      nKvHeads: 3,
      dFF: 32,
      maxPositions: 32,
      tieEmbeddings: false,
    }),
  ];
}

/** Scales weights up so logits are O(1) and differences are visible (init std 0.02 gives near-uniform logits). */
function sharpen(m: Transformer): void {
  tf.tidy(() => {
    for (const [name, p] of m.params) if (p.rank === 2) p.assign(tf.mul(p, name.includes("wpe") ? 10 : 25));
  });
}

describe("Transformer behaviour", () => {
  before(async () => {
    await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
  });

  test("hand-worked: one layer with zero weights gives logits = ln_f(wte[id] + wpe[pos]) · wteᵀ", () => {
    const c = resolveModelConfig({ family: "gpt2", vocabSize: 3, dModel: 2, nLayers: 1, nHeads: 1, maxPositions: 4 });
    const m = createModel(c);
    tf.tidy(() => {
      for (const [name, p] of m.params) if (name.startsWith("h.0.")) p.assign(tf.zerosLike(p)); // block adds nothing
      m.param("wte.weight").assign(
        tf.tensor2d([
          [1, 0],
          [0, 1],
          [2, 1],
        ]),
      );
      m.param("wpe.weight").assign(tf.zeros([4, 2]));
    });
    // LayerNorm of [a, b] (a ≠ b) is ±[1, −1]·(1/√(1+4ε/(a−b)²)) ≈ ±[1, −1]; logits = that · rows of wte.
    const ids = tf.tensor2d([[0, 1, 2]], undefined, "int32");
    const out = m.forward(ids);
    const s = 1 / Math.sqrt(1 + 4e-5); // ε = 1e-5, (a − b)² = 1
    expectClose(out.dataSync(), [s, -s, s, -s, s, -s, s, -s, s], { atol: 1e-5, what: "logits" });
    ids.dispose();
    out.dispose();
    m.dispose();
  });

  for (const cfg of tinyConfigs()) {
    test(`${cfg.family}: KV-cache decoding equals the full forward (≤ 1e-4), forwardLast equals the last row`, () => {
      const m = createModel(cfg, { seed: 11 });
      sharpen(m);
      const tokens = [
        [1, 5, 9, 2, 7, 3, 30, 11],
        [4, 4, 8, 15, 16, 23, 40, 0],
      ];
      const ids = tf.tensor2d(tokens, undefined, "int32");
      const full = m.forward(ids);
      const fullData = full.arraySync();
      const cache = m.newCache(2, 16);
      const parts: number[][][] = [[], []];
      const steps: [number, number][] = [
        [0, 3],
        [3, 1],
        [4, 2],
        [6, 1],
      ]; // prefill 3, then 1, 2, 1 positions
      for (const [start, len] of steps) {
        const chunk = tf.tensor2d(
          tokens.map((r) => r.slice(start, start + len)),
          undefined,
          "int32",
        );
        const out = m.forward(chunk, { cache });
        out.arraySync().forEach((rows, b) => parts[b].push(...rows));
        chunk.dispose();
        out.dispose();
      }
      assert.equal(cache.length, 7);
      const last = tf.tensor2d(
        tokens.map((r) => [r[7]]),
        undefined,
        "int32",
      );
      const lastLogits = m.forwardLast(last, cache);
      lastLogits.arraySync().forEach((row, b) => parts[b].push(row));
      const diff = maxAbsDiff(parts.flat(2), fullData.flat(2));
      console.log(`  ${cfg.family}: max |cached − full| = ${diff.toExponential(2)}`);
      expectClose(parts.flat(2), fullData.flat(2), { atol: 1e-4, what: "cached logits" });
      const noCache = m.forwardLast(ids);
      expectClose(
        noCache.dataSync(),
        fullData.flatMap((r) => r[7]),
        { atol: 1e-5, what: "forwardLast" },
      );
      for (const t of [ids, full, last, lastLogits, noCache]) t.dispose();
      cache.dispose();
      m.dispose();
    });

    test(`${cfg.family}: no tensors leak across forward, runWithCache and cached decoding`, () => {
      const m = createModel(cfg, { seed: 1 });
      const ids = tf.tensor2d(
        [
          [1, 2, 3, 4],
          [5, 6, 7, 8],
        ],
        undefined,
        "int32",
      );
      const step = tf.tensor2d([[9], [10]], undefined, "int32");
      const round = () => {
        m.forward(ids).dispose();
        const { logits, cache } = m.runWithCache(ids);
        logits.dispose();
        cache.dispose();
        const kv = m.newCache(2);
        m.forward(ids, { cache: kv }).dispose();
        m.forwardLast(step, kv).dispose();
        kv.dispose();
      };
      round(); // first call may create lazily kept state
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) round();
      assert.equal(tf.memory().numTensors, before);
      ids.dispose();
      step.dispose();
      m.dispose();
    });

    test(`${cfg.family}: one SGD step changes every parameter`, () => {
      const m = createModel(cfg, { seed: 2 });
      const ids = tf.tensor2d(
        [
          [1, 2, 3, 4, 5],
          [6, 7, 8, 9, 10],
        ],
        undefined,
        "int32",
      );
      const targets = tf.tensor2d(
        [
          [2, 3, 4, 5, 6],
          [7, 8, 9, 10, 11],
        ],
        undefined,
        "int32",
      );
      const before = new Map([...m.params].map(([n, p]) => [n, p.dataSync().slice()]));
      const vars = [...m.params.values()];
      const { value, grads } = tf.variableGrads(
        () =>
          tf.tidy(() =>
            tf.losses.softmaxCrossEntropy(tf.oneHot(targets.flatten(), cfg.vocabSize), m.forward(ids).reshape([-1, cfg.vocabSize])),
          ) as tf.Scalar,
        vars,
      );
      tf.tidy(() => {
        for (const p of vars) p.assign(tf.sub(p, grads[p.name]));
      });
      for (const [name, p] of m.params) {
        const d = maxAbsDiff(p.dataSync(), before.get(name)!);
        assert.ok(d > 0, `parameter ${name} did not change after one SGD step (gradient is zero)`);
      }
      value.dispose();
      tf.dispose(grads);
      ids.dispose();
      targets.dispose();
      m.dispose();
    });
  }

  test("hooks: identity by default, can replace an activation, reject unknown names with a suggestion", () => {
    const m = createModel(tinyConfigs()[1], { seed: 4 });
    sharpen(m);
    const ids = tf.tensor2d([[1, 2, 3]], undefined, "int32");
    const plain = m.forward(ids);
    const same = m.forward(ids, { hooks: { "blocks.0.hook_resid_pre": () => undefined } });
    expectClose(same.dataSync(), plain.dataSync(), { atol: 0, what: "identity hook" });
    // Zeroing the last residual stream before the final norm makes RMSNorm output 0, so all logits are 0.
    const zeroed = m.forward(ids, { hooks: { "blocks.1.hook_resid_post": (t) => tf.zerosLike(t) } });
    expectClose(zeroed.dataSync(), new Float32Array(3 * 41), { atol: 0, what: "zeroed residual" });
    assert.throws(
      () => m.forward(ids, { hooks: { "blocks.0.hook_resid_pr": () => undefined } }),
      /did you mean "blocks\.0\.hook_resid_pre"/,
    );
    for (const t of [ids, plain, same, zeroed]) t.dispose();
    m.dispose();
  });

  test("runWithCache records TransformerLens activations with documented shapes", () => {
    const m = createModel(tinyConfigs()[1], { seed: 5 });
    const ids = tf.tensor2d(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      undefined,
      "int32",
    );
    const { logits, cache } = m.runWithCache(ids);
    // Every documented hook point is reached by the forward pass under its own name.
    assert.deepEqual([...cache.names()].sort(), m.hookNames().sort());
    assert.deepEqual(cache.get("blocks.1.attn.hook_pattern").shape, [2, 4, 3, 3]);
    assert.deepEqual(cache.get("blocks.0.attn.hook_k").shape, [2, 3, 2, 4]);
    assert.deepEqual(cache.get("blocks.0.mlp.hook_post").shape, [2, 3, 24]);
    assert.deepEqual(cache.get("ln_final.hook_normalized").shape, [2, 3, 16]);
    // Causal softmax: each row sums to 1 and the upper triangle is 0.
    const pat = cache.get("blocks.0.attn.hook_pattern").arraySync() as number[][][][];
    for (const row of pat[1][3])
      expectClose(
        row.reduce((a, b) => a + b, 0),
        1,
        { atol: 1e-6, what: "pattern row sum" },
      );
    assert.equal(pat[0][0][0][1], 0);
    assert.match(cache.toString(), /^ActivationCache: \d+ activations/);
    assert.throws(() => cache.get("blocks.0.hook_resid_pst"), /did you mean "blocks\.0\.hook_resid_post"/);
    logits.dispose();
    cache.dispose();
    const only = m.runWithCache(ids, { names: ["blocks.0.hook_mlp_out"] });
    assert.deepEqual(only.cache.names(), ["blocks.0.hook_mlp_out"]);
    only.logits.dispose();
    only.cache.dispose();
    ids.dispose();
    m.dispose();
  });

  test("GPT-2 MLP with exact gelu (activation_function: gelu): hook_post = x·Φ(x) of hook_pre, by hand", () => {
    const m = createModel(
      resolveModelConfig({ family: "gpt2", vocabSize: 41, dModel: 16, nLayers: 1, nHeads: 2, maxPositions: 8, activation: "gelu" }),
      {
        seed: 6,
      },
    );
    const ids = tf.tensor2d([[1, 7, 3, 40]], undefined, "int32");
    const names = ["blocks.0.mlp.hook_pre", "blocks.0.mlp.hook_post"];
    const { logits, cache } = m.runWithCache(ids, { names });
    const [pre, post] = names.map((n) => cache.get(n).dataSync());
    // erf by Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7), independent of tfjs' erf.
    const erf = (x: number) => {
      const t = 1 / (1 + 0.3275911 * Math.abs(x));
      const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
      return Math.sign(x) * y;
    };
    const want = Float64Array.from(pre, (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)));
    assert.ok(pre.some((x) => x < -0.01) && pre.some((x) => x > 0.01), "pre-activations of both signs");
    expectClose(post, want, { atol: 1e-6, what: "gelu MLP" });
    tf.dispose([ids, logits]);
    cache.dispose();
    m.dispose();
  });

  test("setLinearAdapter adds adapter(input) to that linear's output and can be removed", () => {
    const cfg = tinyConfigs()[1];
    const m = createModel(cfg, { seed: 6 });
    const ids = tf.tensor2d([[1, 2, 3]], undefined, "int32");
    const base = m.forward(ids);
    // An adapter that cancels down_proj of the last layer: the MLP output vanishes.
    const w = m.param("model.layers.1.mlp.down_proj.weight");
    m.setLinearAdapter("model.layers.1.mlp.down_proj.weight", (x) => tf.neg(tf.matMul(x, w, false, true)));
    const { logits, cache } = m.runWithCache(ids, { names: ["blocks.1.hook_mlp_out"] });
    expectClose(cache.get("blocks.1.hook_mlp_out").dataSync(), new Float32Array(3 * 16), { atol: 1e-6, what: "cancelled mlp_out" });
    m.setLinearAdapter("model.layers.1.mlp.down_proj.weight", undefined);
    const again = m.forward(ids);
    expectClose(again.dataSync(), base.dataSync(), { atol: 0, what: "adapter removed" });
    assert.throws(() => m.setLinearAdapter("model.layers.1.mlp.down_pro.weight", () => tf.scalar(0)), /did you mean/);
    for (const t of [ids, base, logits, again]) t.dispose();
    cache.dispose();
    m.dispose();
  });

  test("createModel is deterministic per seed; toString, numParams, param suggestions", () => {
    const cfg = tinyConfigs()[0];
    const a = createModel(cfg, { seed: 9 });
    const b = createModel(cfg, { seed: 9 });
    const c = createModel(cfg, { seed: 10 });
    assert.deepEqual(a.param("h.1.mlp.c_fc.weight").dataSync(), b.param("h.1.mlp.c_fc.weight").dataSync());
    assert.notDeepEqual(a.param("h.1.mlp.c_fc.weight").dataSync(), c.param("h.1.mlp.c_fc.weight").dataSync());
    // GPT-2 init: residual projections have std 0.02/√(2L) = 0.01.
    const proj = Array.from(a.param("h.0.mlp.c_proj.weight").dataSync());
    const std = Math.sqrt(proj.reduce((s, v) => s + v * v, 0) / proj.length);
    assert.ok(Math.abs(std - 0.01) < 0.002, `c_proj std ${std}`);
    // 41·16 + 32·16 + 2·(4·16 + 16·48 + 48 + 16·16 + 16 + 16·64 + 64 + 64·16 + 16) + 2·16
    assert.equal(a.numParams(), 41 * 16 + 32 * 16 + 2 * (4 * 16 + 16 * 48 + 48 + 16 * 16 + 16 + 16 * 64 + 64 + 64 * 16 + 16) + 32);
    assert.match(a.toString(), /^Transformer\(gpt2\): 7\.8K params, 2 layers, d=16, 2 heads/);
    // Millions (GPT-2, d 256, 1 layer, vocab 3000): 3000·256 + 8·256 embeddings + one block (2 norms 4·256, c_attn
    // 256·768 + 768, c_proj 256² + 256, c_fc 256·1024 + 1024, mlp c_proj 1024·256 + 256) + final norm 2·256 = 1,560,320.
    const big = createModel(resolveModelConfig({ family: "gpt2", vocabSize: 3000, dModel: 256, nLayers: 1, nHeads: 4, maxPositions: 8 }));
    assert.equal(big.numParams(), 1_560_320);
    assert.match(big.toString(), /^Transformer\(gpt2\): 1\.56M params, 1 layers/);
    const units = [999_999, 1_000_000, 869_504, 999_999_999, 1_000_000_000, 7_615_616_512].map(formatParamCount);
    assert.deepEqual(units, ["1000.0K", "1.00M", "869.5K", "1000.00M", "1.00B", "7.62B"]);
    big.dispose();
    assert.throws(() => a.param("h.0.attn.c_atn.weight"), /did you mean "h\.0\.attn\.c_attn\.weight"/);
    const ids = tf.tensor2d([[1, 41]], undefined, "int32");
    assert.throws(() => a.forward(ids), /token id 41 .* outside \[0, vocabSize = 41\)/);
    ids.dispose();
    for (const m of [a, b, c]) m.dispose();
  });
});

test("loadModel gives parameters in createModel's order, whatever the file's (trainers iterate it)", async () => {
  await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
  const m = createModel(
    resolveModelConfig({ family: "llama", vocabSize: 32, dModel: 16, nLayers: 2, nHeads: 2, nKvHeads: 1, dFF: 32, maxPositions: 16 }),
    { seed: 1 },
  );
  const dir = path.join(tmpDir(), "ckpt");
  await saveModel(m, dir);
  const back = await loadModel(dir);
  assert.deepEqual(back.paramNames(), m.paramNames());
  assert.notDeepEqual([...m.paramNames()].sort(), m.paramNames(), "the spec order is not alphabetical, so the test can fail");
  back.dispose();
  m.dispose();
});
