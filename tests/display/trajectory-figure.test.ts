import assert from "node:assert/strict";
import { test } from "node:test";
import { trajectoryFigure } from "../../lib/display";

// Two steps, two layers: q (layer 0) and up (layer 1) tensors plus a norm outside the blocks.
const checkpoint = (step: number, sparsity: number, relativeNorm: number, qUnchanged: number, upUnchanged: number) => ({
  step,
  overall: { sparsity, relativeNorm },
  tensors: [
    { module: "q", layer: 0, numel: 100, unchanged: qUnchanged },
    { module: "up", layer: 1, numel: 300, unchanged: upUnchanged },
    { module: "norm", layer: null, numel: 10, unchanged: 10 },
  ],
});
const trajectory = { checkpoints: [checkpoint(10, 0.9, 0.01, 80, 290), checkpoint(20, 0.8, 0.02, 60, 270)] };

const lines = (f: ReturnType<typeof trajectoryFigure>) =>
  Object.fromEntries(f.spec.data.map((t) => [t.name as string, { x: t.x as number[], y: t.y as number[] }]));

test("trajectoryFigure: overall plus one line per module type, pooled over entries", () => {
  const l = lines(trajectoryFigure(trajectory));
  assert.deepEqual(Object.keys(l), ["overall", "q", "up", "norm"]);
  assert.deepEqual(l.overall, { x: [10, 20], y: [0.9, 0.8] });
  assert.deepEqual(l.q.y, [0.8, 0.6]);
  assert.deepEqual(l.up.y, [290 / 300, 270 / 300]);
});

test("trajectoryFigure: per layer (tensors outside blocks left out), overall only, relative norm", () => {
  assert.deepEqual(Object.keys(lines(trajectoryFigure(trajectory, { by: "layer" }))), ["overall", "layer 0", "layer 1"]);
  assert.deepEqual(Object.keys(lines(trajectoryFigure(trajectory, { by: "overall" }))), ["overall"]);
  const norm = trajectoryFigure(trajectory, { metric: "relativeNorm", title: "mine" });
  assert.deepEqual(lines(norm).overall.y, [0.01, 0.02]);
  assert.match(String(norm), /mine/);
});
