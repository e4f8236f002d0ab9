import { tf } from "../tensor/tf";
import { fillNormals, mulberry32 } from "../base/random";
import type { ModelConfig } from "./config";
import { paramSpecs, type ParamSpec } from "./params";
import { Transformer } from "./transformer";
import { checkFits } from "../tensor/memory";
import { paramCount } from "./memory";

/** FNV-1a hash of a parameter name: each tensor's stream depends on (seed, name), not on creation order. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function initValues(s: ParamSpec, c: ModelConfig, seed: number): Float32Array {
  const n = s.shape.reduce((a, b) => a * b, 1);
  switch (s.init) {
    case "zeros":
      return new Float32Array(n);
    case "ones":
      return new Float32Array(n).fill(1);
    case "normal":
    case "residual": {
      // GPT-2: N(0, 0.02²); projections into the residual stream scaled by 1/√(2L) (two per layer).
      const std = s.init === "residual" ? 0.02 / Math.sqrt(2 * c.nLayers) : 0.02;
      return fillNormals(new Float32Array(n), mulberry32(hashName(s.name) ^ Math.imul(seed, 0x9e3779b1)), std);
    }
  }
}

/** A freshly initialised model (GPT-2 scheme), deterministic for a given seed (default 0). */
export function createModel(config: ModelConfig, opts: { seed?: number } = {}): Transformer {
  const seed = opts.seed ?? 0;
  const n = paramCount(config);
  checkFits(
    `createModel: ${n.toExponential(2)} parameters (dModel ${config.dModel}, nLayers ${config.nLayers}, vocabSize ${config.vocabSize})`,
    4 * n,
    "make dModel, dFF, nLayers or vocabSize smaller",
  );
  const params = new Map<string, tf.Variable>();
  for (const s of paramSpecs(config)) {
    const t = tf.tensor(initValues(s, config, seed), s.shape, "float32");
    params.set(s.name, tf.variable(t, true));
    t.dispose();
  }
  return new Transformer(config, params);
}
