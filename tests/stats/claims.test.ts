import { test } from "node:test";
import assert from "node:assert/strict";
import { Claims, intervalVerdict, gainAboveSe, requirePrecondition, PreconditionError, wilson, meanCI, CLAIMS_MIME } from "../../lib/stats";
import { claimsMarkdown, claimsTable } from "../../lib/display";
import { displayBundle } from "../../lib/display/sink";

const ci = (lo: number, hi: number) => ({ estimate: (lo + hi) / 2, lo, hi, level: 0.95, method: "test" });

test("intervalVerdict: whole CI on the claimed side, on the other side, or straddling", () => {
  assert.deepEqual(intervalVerdict(ci(0.2, 0.4), { above: 0.1 }), {
    verdict: "reproduced",
    reason: "95% CI [0.2, 0.4] lies above 0.1 (claimed > 0.1)",
  });
  assert.deepEqual(intervalVerdict(ci(0.2, 0.4), { above: 0.5 }), {
    verdict: "not reproduced",
    reason: "95% CI [0.2, 0.4] lies at or below 0.5 (claimed > 0.5)",
  });
  assert.equal(intervalVerdict(ci(0.2, 0.4), { above: 0.3 }).verdict, "inconclusive");
  assert.equal(intervalVerdict(ci(-0.3, -0.1), { below: 0 }).verdict, "reproduced");
  assert.equal(intervalVerdict(ci(0, 0.1), { below: 0 }).verdict, "not reproduced"); // lo = threshold: not below
  assert.equal(intervalVerdict(ci(0, 0.1), { above: 0 }).verdict, "inconclusive"); // lo = threshold: not strictly above
  // One seed: no interval, no verdict either way.
  assert.deepEqual(intervalVerdict(meanCI([0.7]), { above: 0.5 }), {
    verdict: "inconclusive",
    reason: "estimate 0.7 has no interval (e.g. one seed); claimed > 0.5",
  });
  assert.equal(intervalVerdict(0.7, { above: 0.5 }).verdict, "inconclusive");
});

test("gainAboveSe and requirePrecondition: +Δ > 3 SE, with the numbers in the message", () => {
  const learned = gainAboveSe(0.1, 0.02);
  assert.deepEqual(learned, { ok: true, message: "the run learned: Δ = 0.1 > 3 SE = 0.06" });
  requirePrecondition(learned);
  const flat = gainAboveSe(0.011, 0.022);
  assert.equal(flat.ok, false);
  assert.throws(
    () => requirePrecondition(flat),
    (e: Error) => e instanceof PreconditionError && e.message === "precondition failed: the run learned: Δ = 0.011 ≤ 3 SE = 0.066",
  );
  assert.throws(() => requirePrecondition(false, "masks are non-empty"), /precondition failed: masks are non-empty/);
});

test("Claims: check, state, a failed precondition makes a claim inconclusive, never an exception", () => {
  const claims = new Claims("arXiv:2505.11711");
  const a = claims.check({
    id: "sparse",
    statement: "RL updates are sparse",
    measured: { sparsity: wilson(70, 100), steps: 40 },
    on: "sparsity",
    claimed: { above: 0.5 },
  });
  assert.equal(a.verdict, "reproduced");
  // Wilson 70/100 by hand: centre (70 + 1.9207)/103.8415 = 0.6926, half 1.96/103.8415·√(21 + 0.9604) = 0.0884.
  assert.equal(a.reason, "sparsity: 95% CI [0.6042, 0.7811] lies above 0.5 (claimed > 0.5)");
  assert.deepEqual(a.measured[1], { name: "steps", estimate: 40, lo: null, hi: null, level: null, method: null });
  const b = claims.check({
    id: "rl-vs-sft",
    statement: "RL sparser than SFT",
    measured: { diff: ci(0.1, 0.2) },
    on: "diff",
    claimed: { above: 0 },
    precondition: gainAboveSe(0.01, 0.02),
  });
  assert.deepEqual([b.verdict, b.reason], ["inconclusive", "precondition failed: the run learned: Δ = 0.01 ≤ 3 SE = 0.06"]);
  const c = claims.state({
    id: "rank",
    statement: "ΔW is full rank",
    measured: { rankFraction: 0.97 },
    verdict: "not reproduced",
    reason: "measured at lr 1e-5 only",
  });
  assert.equal(c.paper, "arXiv:2505.11711");
  assert.equal(String(claims), "Claims arXiv:2505.11711: 3 (1 reproduced, 1 not reproduced, 1 inconclusive)");
  assert.throws(
    () => claims.state({ id: "rank", statement: "x", measured: {}, verdict: "inconclusive", reason: "r" }),
    /id "rank" is already recorded/,
  );
  assert.throws(
    () => claims.state({ id: "v", statement: "x", measured: {}, verdict: "passed" as never, reason: "r" }),
    /verdict must be one of "reproduced", "not reproduced", "inconclusive"; got "passed"/,
  );
  assert.throws(
    () => claims.check({ id: "w", statement: "x", measured: { a: 1 }, on: "b", claimed: { above: 0 } }),
    /on = "b" is not a measured name; measured: a/,
  );
  assert.throws(() => new Claims(""), /paper must be a non-empty id/);
});

test("claimsTable: a table for the reader and the claims as machine-readable JSON", () => {
  const claims = new Claims("arXiv:1");
  claims.check({ id: "x", statement: "accuracy above chance", measured: { acc: wilson(30, 40) }, on: "acc", claimed: { above: 0.5 } });
  const bundle = displayBundle(claimsTable(claims));
  assert.deepEqual(bundle[CLAIMS_MIME], { claims: claims.list });
  assert.equal(CLAIMS_MIME, "application/vnd.rftlab.claims+json");
  const text = String(bundle["text/plain"]);
  assert.match(text, /^Claims: 1 \(1 reproduced, 0 not reproduced, 0 inconclusive\)/);
  assert.match(text, /acc 0\.75 \[0\.598, 0\.858\]/);
  assert.match(String(bundle["text/html"]), /accuracy above chance/);
});

test("claimsMarkdown: one row per claim, pipes and newlines escaped, verdict in bold", () => {
  const claims = new Claims("arXiv:1");
  claims.check({ id: "a", statement: "x | y\nz", measured: { d: ci(0.2, 0.4) }, on: "d", claimed: { above: 0.1 } });
  const md = claimsMarkdown(claims.list).trimEnd().split("\n");
  assert.equal(md.length, 3);
  assert.equal(md[0], "| paper | claim | statement | measured | verdict | reason |");
  assert.equal(
    md[2],
    "| arXiv:1 | a | x \\| y z | d 0.3 [0.2, 0.4] | **reproduced** | d: 95% CI [0.2, 0.4] lies above 0.1 (claimed > 0.1) |",
  );
  assert.equal(claimsMarkdown([]), "No claims.\n");
});
