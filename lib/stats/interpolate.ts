// Reading a curve at a matched x (methods compared at equal target accuracy along their trade-off curves).
import { RftlabError } from "../errors";

/**
 * y at `x` along a curve given as points: sorted by x, linear between the two points that bracket `x`.
 * Outside the points' x range the nearest end point's y is returned with `clamped: true` (the curve
 * never reached x there: a comparison that uses it is inconclusive). Equal x: the first point in x order.
 */
export function interpolateAt(points: readonly { x: number; y: number }[], x: number): { y: number; clamped: boolean } {
  if (points.length === 0) throw new RftlabError("interpolateAt: points is empty; pass at least one {x, y} point of the curve");
  if (!Number.isFinite(x) || points.some((p) => !Number.isFinite(p.x) || !Number.isFinite(p.y)))
    throw new RftlabError(`interpolateAt: x and every point must be finite; got x = ${x} and points ${JSON.stringify(points)}`);
  const p = [...points].sort((a, b) => a.x - b.x);
  const [first, last] = [p[0], p[p.length - 1]];
  if (x <= first.x) return { y: first.y, clamped: x < first.x };
  if (x >= last.x) return { y: last.y, clamped: x > last.x };
  const i = p.findIndex((q) => q.x >= x);
  const [l, r] = [p[i - 1], p[i]];
  return { y: l.y + ((r.y - l.y) * (x - l.x)) / (r.x - l.x), clamped: false };
}
