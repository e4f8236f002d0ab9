import assert from "node:assert/strict";

/** Two-sided closeness: |actual − expected| ≤ atol + rtol·|expected| elementwise; prints the worst offender. */
export function expectClose(
  actual: ArrayLike<number> | number,
  expected: ArrayLike<number> | number,
  { atol = 1e-6, rtol = 0, what = "value" }: { atol?: number; rtol?: number; what?: string } = {},
): void {
  const a = typeof actual === "number" ? [actual] : Array.from(actual);
  const e = typeof expected === "number" ? [expected] : Array.from(expected);
  assert.equal(a.length, e.length, `${what}: length ${a.length} != expected ${e.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const bothNaN = Number.isNaN(a[i]) && Number.isNaN(e[i]);
    if (bothNaN) continue;
    const excess = Math.abs(a[i] - e[i]) - (atol + rtol * Math.abs(e[i]));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    assert.fail(
      `${what}[${worst}]: got ${a[worst]}, expected ${e[worst]} (|diff| ${Math.abs(a[worst] - e[worst])}, ` +
        `atol ${atol}, rtol ${rtol}, ${a.length} elements)`,
    );
  }
}

/** Max |a − b| over two equal-length arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, `maxAbsDiff: lengths ${a.length} and ${b.length} differ`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
