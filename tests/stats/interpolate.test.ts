import { test } from "node:test";
import assert from "node:assert/strict";
import { interpolateAt } from "../../lib/stats";

test("interpolateAt by hand: linear between the bracketing points, clamped outside, order-free", () => {
  // Points (0.2, 3), (0.6, 1), (0.4, 2) sorted by x: at 0.5 halfway between (0.4, 2) and (0.6, 1) → 1.5.
  const pts = [
    { x: 0.2, y: 3 },
    { x: 0.6, y: 1 },
    { x: 0.4, y: 2 },
  ];
  assert.deepEqual(interpolateAt(pts, 0.5), { y: 1.5, clamped: false });
  assert.deepEqual(interpolateAt(pts, 0.3), { y: 2.5, clamped: false });
  assert.deepEqual(interpolateAt(pts, 0.4), { y: 2, clamped: false });
  assert.deepEqual(interpolateAt(pts, 0.2), { y: 3, clamped: false }); // an end point is reached, not clamped
  assert.deepEqual(interpolateAt(pts, 0.6), { y: 1, clamped: false });
  assert.deepEqual(interpolateAt(pts, 0.1), { y: 3, clamped: true });
  assert.deepEqual(interpolateAt(pts, 0.9), { y: 1, clamped: true });
  assert.deepEqual(interpolateAt([{ x: 1, y: 7 }], 1), { y: 7, clamped: false });
});

test("interpolateAt errors name the argument and the fix", () => {
  assert.throws(() => interpolateAt([], 0), /interpolateAt: points is empty; pass at least one \{x, y\} point/);
  assert.throws(() => interpolateAt([{ x: 0, y: NaN }], 0), /interpolateAt: x and every point must be finite; got x = 0/);
  assert.throws(() => interpolateAt([{ x: 0, y: 1 }], NaN), /got x = NaN/);
});
