import { RftlabError } from "../errors";

/** Throws unless `value` is an integer in [lo, hi], naming the task, the option and the fix. */
export function requireInt(task: string, option: string, value: unknown, lo: number, hi: number): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < lo || value > hi) {
    throw new RftlabError(`task "${task}": option ${option} must be an integer in [${lo}, ${hi}]; got ${JSON.stringify(value)}`);
  }
}
