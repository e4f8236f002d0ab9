import { RftlabError } from "../errors";
/**
 * Chooses one token from temperature-scaled log-probs with top-k / top-p filtering.
 * `logp` is one row of log-softmax(logits / T); `u` a uniform draw in [0, 1).
 * Filtering renormalises over the kept set (as HF's TopK/TopP warpers do); the log-prob reported for
 * the sampled token stays the unfiltered one, which is what TRL recomputes in the loss.
 */
export function chooseToken(logp: Float32Array, topK: number, topP: number, u: number): number {
  const V = logp.length;
  if (topK === 0 && topP >= 1) {
    let acc = 0;
    for (let v = 0; v < V; v++) {
      acc += Math.exp(logp[v]);
      if (u < acc) return v;
    }
    if (!(acc > 0)) throw noMass(logp);
    return argmax(logp); // rounding left u ≥ Σp: the mass is at the top anyway
  }
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => logp[b] - logp[a] || a - b);
  let keep = topK > 0 ? Math.min(topK, V) : V;
  if (topP < 1) {
    let acc = 0;
    for (let i = 0; i < keep; i++) {
      acc += Math.exp(logp[order[i]]);
      if (acc >= topP) {
        keep = i + 1;
        break;
      }
    }
  }
  let total = 0;
  for (let i = 0; i < keep; i++) total += Math.exp(logp[order[i]]);
  if (!(total > 0)) throw noMass(logp);
  let acc = 0;
  for (let i = 0; i < keep; i++) {
    acc += Math.exp(logp[order[i]]) / total;
    if (u < acc) return order[i];
  }
  return order[keep - 1];
}

/** NaN logits (a diverged model) or all −∞ leave nothing to sample: returning token 0 would hide it. */
function noMass(logp: Float32Array): RftlabError {
  const nan = logp.filter((x) => Number.isNaN(x)).length;
  return new RftlabError(
    `chooseToken: logp has no probability mass to sample (${nan} of ${logp.length} entries NaN, the rest −∞); check the model's weights and logits for NaN`,
  );
}

export function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}
