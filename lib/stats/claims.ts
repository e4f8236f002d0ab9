// The claims record of a reproduction (issue 9): each notebook states its paper's claims, the numbers it
// measured with their CIs, and a verdict. A claim that fails is a result, never an exception; assertions
// are kept for preconditions (the run learned) and invariants.
import { RftlabError } from "../errors";
import type { Interval, MaybeInterval } from "./interval";

export type Verdict = "reproduced" | "not reproduced" | "inconclusive";
export const VERDICTS: readonly Verdict[] = ["reproduced", "not reproduced", "inconclusive"];

/** Mime type of a claims display bundle: `rftlab reproduce` collects these from executed notebooks. */
export const CLAIMS_MIME = "application/vnd.rftlab.claims+json";

/** One measured number as recorded: bounds and level are null for a bare number or a one-seed mean. */
export interface Measurement {
  name: string;
  estimate: number;
  lo: number | null;
  hi: number | null;
  level: number | null;
  method: string | null;
}

/** What a notebook passes as a measured value: a number, or an interval from lib/stats. */
export type MeasuredValue = number | Interval | MaybeInterval;

export interface Claim {
  /** The paper, e.g. "arXiv:2505.11711" (plus a short title if wanted). */
  paper: string;
  /** Short id unique within the notebook, e.g. "rl-sparser-than-sft". */
  id: string;
  /** The paper's claim in one sentence, as tested here. */
  statement: string;
  measured: Measurement[];
  verdict: Verdict;
  /** Why this verdict: the interval against the threshold, or the stated reason. */
  reason: string;
}

/** The side of a threshold the paper claims the quantity lies on. */
export type ClaimedSide = { above: number } | { below: number };

/** Outcome of a precondition check (see `gainAboveSe`), usable as an assertion or as a claim's guard. */
export interface PreconditionCheck {
  ok: boolean;
  message: string;
}

/** Thrown by requirePrecondition: the experiment did not set up what its claims need (not a failed claim). */
export class PreconditionError extends RftlabError {
  override name = "PreconditionError";
}

const fmt = (x: number) => Number(x.toPrecision(4)).toString();

function measurement(name: string, v: MeasuredValue): Measurement {
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new RftlabError(`claims: measured "${name}" = ${v} is not a finite number`);
    return { name, estimate: v, lo: null, hi: null, level: null, method: null };
  }
  if (!v || typeof v !== "object" || !Number.isFinite(v.estimate)) {
    throw new RftlabError(
      `claims: measured "${name}" must be a number or an interval {estimate, lo, hi, level, method}; got ${JSON.stringify(v)}`,
    );
  }
  return { name, estimate: v.estimate, lo: v.lo, hi: v.hi, level: v.level, method: v.method };
}

/**
 * Verdict of an interval against the claimed side of a threshold: the whole CI on the claimed side →
 * "reproduced"; the whole CI on the other side → "not reproduced"; a CI containing the threshold, or no
 * CI at all (one seed), → "inconclusive". The reason states the interval and the threshold.
 */
export function intervalVerdict(interval: MeasuredValue, claimed: ClaimedSide): { verdict: Verdict; reason: string } {
  const m = measurement("interval", interval);
  const above = "above" in claimed;
  const t = above ? (claimed as { above: number }).above : (claimed as { below: number }).below;
  if (!Number.isFinite(t)) throw new RftlabError(`intervalVerdict: threshold must be a finite number; got ${JSON.stringify(claimed)}`);
  if (m.lo === null || m.hi === null) {
    return {
      verdict: "inconclusive",
      reason: `estimate ${fmt(m.estimate)} has no interval (e.g. one seed); claimed ${above ? ">" : "<"} ${fmt(t)}`,
    };
  }
  const ci = `${m.level !== null ? `${Math.round(m.level * 1000) / 10}% ` : ""}CI [${fmt(m.lo)}, ${fmt(m.hi)}]`;
  const claim = `claimed ${above ? ">" : "<"} ${fmt(t)}`;
  if (above ? m.lo > t : m.hi < t) return { verdict: "reproduced", reason: `${ci} lies ${above ? "above" : "below"} ${fmt(t)} (${claim})` };
  if (above ? m.hi <= t : m.lo >= t)
    return { verdict: "not reproduced", reason: `${ci} lies ${above ? "at or below" : "at or above"} ${fmt(t)} (${claim})` };
  return { verdict: "inconclusive", reason: `${ci} contains ${fmt(t)} (${claim})` };
}

/**
 * Precondition "the run learned": gain Δ > k·SE (default k = 3, issue 9). Returns the check; pass it to
 * requirePrecondition to stop the notebook, or to Claims.check as a guard (failed → "inconclusive").
 */
export function gainAboveSe(delta: number, se: number, k = 3, what = "the run learned"): PreconditionCheck {
  if (!Number.isFinite(delta) || !(se >= 0))
    throw new RftlabError(`gainAboveSe: need a finite delta and se ≥ 0; got delta=${delta}, se=${se}`);
  const ok = delta > k * se;
  return { ok, message: `${what}: Δ = ${fmt(delta)} ${ok ? ">" : "≤"} ${k} SE = ${fmt(k * se)}` };
}

/** Throws PreconditionError with the check's message (or `message`) unless the precondition holds. */
export function requirePrecondition(check: PreconditionCheck | boolean, message?: string): void {
  const ok = typeof check === "boolean" ? check : check.ok;
  if (ok) return;
  const text = message ?? (typeof check === "boolean" ? "a precondition failed" : check.message);
  throw new PreconditionError(`precondition failed: ${text}`);
}

/**
 * The claims of one paper as one notebook tests them. `check` derives the verdict from an interval,
 * `state` records an explicit verdict with its reason; both return the recorded Claim.
 *
 *   const claims = new Claims("arXiv:2505.11711");
 *   claims.check({ id: "sparse", statement: "RL updates leave > 70% of entries unchanged",
 *                  measured: { sparsity: meanCI(sparsities) }, on: "sparsity", claimed: { above: 0.7 } });
 *   lab.claimsTable(claims)   // the notebook's claims cell (lib/display)
 */
export class Claims {
  readonly list: Claim[] = [];

  constructor(readonly paper: string) {
    if (typeof paper !== "string" || paper.trim() === "")
      throw new RftlabError(`Claims: paper must be a non-empty id such as "arXiv:2505.11711"; got ${JSON.stringify(paper)}`);
  }

  /**
   * Verdict from the interval `measured[on]` against `claimed`; with a failed `precondition` the verdict is
   * "inconclusive" with the precondition's message as the reason.
   */
  check(c: {
    id: string;
    statement: string;
    measured: Record<string, MeasuredValue>;
    on: string;
    claimed: ClaimedSide;
    precondition?: PreconditionCheck;
  }): Claim {
    if (!(c.on in c.measured)) {
      throw new RftlabError(
        `Claims.check("${c.id}"): on = "${c.on}" is not a measured name; measured: ${Object.keys(c.measured).join(", ")}`,
      );
    }
    if (c.precondition && !c.precondition.ok) {
      return this.add(c.id, c.statement, c.measured, "inconclusive", `precondition failed: ${c.precondition.message}`);
    }
    const { verdict, reason } = intervalVerdict(c.measured[c.on], c.claimed);
    return this.add(c.id, c.statement, c.measured, verdict, `${c.on}: ${reason}`);
  }

  /** Records an explicit verdict with its reason (e.g. "inconclusive", "precondition failed: the run did not learn"). */
  state(c: { id: string; statement: string; measured: Record<string, MeasuredValue>; verdict: Verdict; reason: string }): Claim {
    if (!VERDICTS.includes(c.verdict))
      throw new RftlabError(
        `Claims.state("${c.id}"): verdict must be one of ${VERDICTS.map((v) => `"${v}"`).join(", ")}; got ${JSON.stringify(c.verdict)}`,
      );
    if (typeof c.reason !== "string" || c.reason.trim() === "")
      throw new RftlabError(`Claims.state("${c.id}"): give the reason for the verdict`);
    return this.add(c.id, c.statement, c.measured, c.verdict, c.reason);
  }

  private add(id: string, statement: string, measured: Record<string, MeasuredValue>, verdict: Verdict, reason: string): Claim {
    if (typeof id !== "string" || id === "") throw new RftlabError(`Claims: id must be a non-empty string; got ${JSON.stringify(id)}`);
    if (this.list.some((x) => x.id === id))
      throw new RftlabError(`Claims: id "${id}" is already recorded for ${this.paper}; give each claim its own id`);
    if (typeof statement !== "string" || statement.trim() === "")
      throw new RftlabError(`Claims("${id}"): statement must say what the paper claims`);
    const claim: Claim = {
      paper: this.paper,
      id,
      statement,
      measured: Object.entries(measured).map(([k, v]) => measurement(k, v)),
      verdict,
      reason,
    };
    this.list.push(claim);
    return claim;
  }

  /** One line: `Claims arXiv:…: 3 (1 reproduced, 1 not reproduced, 1 inconclusive)`. */
  toString(): string {
    const counts = VERDICTS.map((v) => `${this.list.filter((c) => c.verdict === v).length} ${v}`).join(", ");
    return `Claims ${this.paper}: ${this.list.length} (${counts})`;
  }
}
