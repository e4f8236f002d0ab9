import { RftlabError } from "../errors";
import type { RewardFn } from "./types";

/** One tool call: `{"name": ..., "arguments"|"parameters": {...}}` (both spellings accepted). */
export interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

/** Thrown by `parseToolCalls` for a line that is not a tool-call JSON object. */
export class ToolCallParseError extends RftlabError {
  override name = "ToolCallParseError";
}

function toToolCall(v: unknown, where: string): ToolCall {
  if (typeof v !== "object" || v === null || Array.isArray(v) || typeof (v as { name?: unknown }).name !== "string") {
    throw new ToolCallParseError(`${where}: expected {"name": string, "arguments": object}; got ${JSON.stringify(v)}`);
  }
  const o = v as { name: string; arguments?: unknown; parameters?: unknown };
  const args = o.arguments ?? o.parameters ?? {};
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    throw new ToolCallParseError(`${where}: "arguments" of tool "${o.name}" must be an object; got ${JSON.stringify(args)}`);
  }
  return { name: o.name, arguments: args as Record<string, unknown> };
}

const TOOL_CALL_BLOCK = /<tool_call>([\s\S]*?)<\/tool_call>/g;

/**
 * Tool calls of a completion (ToolRL format): every `<tool_call>…</tool_call>` block holds one JSON
 * object per non-empty line. Throws ToolCallParseError on any line that does not parse.
 */
export function parseToolCalls(text: string): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const block of text.matchAll(TOOL_CALL_BLOCK)) {
    for (const line of block[1].split("\n")) {
      const t = line.trim();
      if (t === "") continue;
      let v: unknown;
      try {
        v = JSON.parse(t);
      } catch (e) {
        throw new ToolCallParseError(`tool call line ${JSON.stringify(t)} is not JSON: ${(e as Error).message}`);
      }
      calls.push(toToolCall(v, "tool call"));
    }
  }
  return calls;
}

/** Multiset Jaccard |A∩B| / (|A| + |B| − |A∩B|) with multiplicities; two empty multisets → 1. */
export function multisetJaccard(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 1;
  const count = new Map<string, number>();
  for (const x of a) count.set(x, (count.get(x) ?? 0) + 1);
  let inter = 0;
  for (const x of b) {
    const k = count.get(x) ?? 0;
    if (k > 0) (inter += 1), count.set(x, k - 1);
  }
  return inter / (a.length + b.length - inter);
}

/** JSON deep equality (object key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length && ka.every((k) => k in b && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

/**
 * ToolRL's correctness term R_correct ∈ [−3, 3] (Qian et al. 2025; spec/algorithms.md "Rewards"):
 * exact match of the call lists (same calls, same order) → 3; otherwise
 * S = J(names) + Σ_gt max over same-name predictions [J(param keys) + #params with exactly equal values],
 * S_max = 1 + Σ_gt (1 + |params|), R_correct = 6·S/S_max − 3. A ground-truth call with no same-name
 * prediction contributes 0.
 */
export function toolCallCorrectness(predicted: readonly ToolCall[], truth: readonly ToolCall[]): number {
  if (
    predicted.length === truth.length &&
    predicted.every((p, i) => p.name === truth[i].name && jsonEqual(p.arguments, truth[i].arguments))
  ) {
    return 3;
  }
  let s = multisetJaccard(
    predicted.map((p) => p.name),
    truth.map((g) => g.name),
  );
  let sMax = 1;
  for (const g of truth) {
    const gKeys = Object.keys(g.arguments);
    sMax += 1 + gKeys.length;
    let best = 0;
    for (const p of predicted) {
      if (p.name !== g.name) continue;
      const equal = gKeys.filter((k) => k in p.arguments && jsonEqual(p.arguments[k], g.arguments[k])).length;
      best = Math.max(best, multisetJaccard(Object.keys(p.arguments), gKeys) + equal);
    }
    s += best;
  }
  return (6 * s) / sMax - 3;
}

// ToolRL's format check: a think block, then tool calls (when the truth has any), nothing after.
const FORMAT_WITH_CALLS = /^\s*<think>[\s\S]*?<\/think>\s*<tool_call>[\s\S]*?<\/tool_call>\s*$/;
const FORMAT_NO_CALLS = /^\s*<think>[\s\S]*?<\/think>(?![\s\S]*<tool_call>)[\s\S]*$/;

/** R_format ∈ {0, 1}: `<think>…</think>` followed by exactly one `<tool_call>…</tool_call>` block when calls are expected, none otherwise. */
export function toolCallFormat(completion: string, expectsCalls: boolean): number {
  if (expectsCalls) return FORMAT_WITH_CALLS.test(completion) && completion.split("<tool_call>").length === 2 ? 1 : 0;
  return FORMAT_NO_CALLS.test(completion) ? 1 : 0;
}

/** Ground truth of one row: an array of tool calls, a JSON string of one, or `<tool_call>` text. */
function truthCalls(v: unknown, row: number): ToolCall[] {
  const where = `toolCallReward: row ${row} ground truth`;
  if (typeof v === "string") {
    if (v.includes("<tool_call>")) return parseToolCalls(v);
    const parsed: unknown = JSON.parse(v);
    return (Array.isArray(parsed) ? parsed : [parsed]).map((c) => toToolCall(c, where));
  }
  if (Array.isArray(v)) return v.map((c) => toToolCall(c, where));
  return [toToolCall(v, where)];
}

export interface ToolCallRewardOptions {
  /** Column with each row's expected calls (array of {name, arguments}, JSON, or `<tool_call>` text); default "tool_calls". */
  referenceColumn?: string;
}

/**
 * ToolRL reward R = R_format + R_correct: R_format ∈ {0, 1} (`toolCallFormat`), R_correct ∈ [−3, 3]
 * (`toolCallCorrectness`), and R_correct = −3 when a predicted `<tool_call>` line fails to parse.
 */
export function toolCallReward({ referenceColumn = "tool_calls" }: ToolCallRewardOptions = {}): RewardFn {
  return (ctx) => {
    const col = ctx[referenceColumn];
    if (!Array.isArray(col)) {
      throw new RftlabError(
        `toolCallReward: dataset column "${referenceColumn}" is ${col === undefined ? "missing" : typeof col}; pass the expected tool calls per row in that column or set referenceColumn`,
      );
    }
    return ctx.completions.map((comp, i) => {
      if (col[i] === null || col[i] === undefined) return null;
      const truth = truthCalls(col[i], i);
      const format = toolCallFormat(comp, truth.length > 0);
      let predicted: ToolCall[];
      try {
        predicted = parseToolCalls(comp);
      } catch (e) {
        if (e instanceof ToolCallParseError) return format - 3;
        throw e;
      }
      return format + toolCallCorrectness(predicted, truth);
    });
  };
}
