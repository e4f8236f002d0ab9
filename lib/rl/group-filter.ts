// DAPO dynamic sampling (zero-variance filtering): keep groups whose rewards differ, refill from more rollouts.
import type { Rollout } from "./rollout";

/** Indices of the groups (G consecutive rewards each) whose rewards are not all equal; NaN rewards are ignored. */
export function varyingGroups(total: number[], G: number): number[] {
  const keep: number[] = [];
  for (let g = 0; g * G < total.length; g++) {
    const xs = total.slice(g * G, (g + 1) * G).filter((x) => !Number.isNaN(x));
    if (xs.some((x) => x !== xs[0])) keep.push(g);
  }
  return keep;
}

/** Concatenates the kept groups of several rollouts into one batch of at most `maxGroups` groups. */
export function keepGroups(parts: { r: Rollout; groups: number[] }[], G: number, maxGroups: number) {
  const picked = parts.flatMap(({ r, groups }) => groups.map((g) => ({ r, g }))).slice(0, maxGroups);
  const rowsOf = <T>(get: (r: Rollout) => T[]) => picked.flatMap(({ r, g }) => get(r).slice(g * G, (g + 1) * G));
  return {
    groups: picked.length,
    promptIds: rowsOf((r) => r.promptIds),
    completionIds: rowsOf((r) => r.generation.completionIds),
    logprobs: rowsOf((r) => r.generation.logprobs),
    completions: rowsOf((r) => r.generation.completions!),
    truncated: rowsOf((r) => r.generation.truncated),
    total: rowsOf((r) => r.scores.total),
    perFunction: Object.keys(parts[0].r.scores.perFunction).map((name) => [name, rowsOf((r) => r.scores.perFunction[name])] as const),
    prompts: picked.flatMap(({ r, g }) => Array<string>(G).fill(r.rows[g].prompt)),
  };
}
