import { RftlabError } from "../errors";
import { addTask, linearTask, mulTask } from "./arithmetic";
import { maxTask, sortTask } from "./lists";
import { countTask, reverseTask } from "./strings";
import type { TaskSpec } from "./task";

/** Every built-in task, by name. */
export const TASKS: Readonly<Record<string, TaskSpec>> = Object.fromEntries(
  [addTask, mulTask, linearTask, maxTask, sortTask, countTask, reverseTask].map((t) => [t.name, t]),
);

/** Edit distance, for "did you mean" suggestions. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

/** Looks a task up by name; unknown names throw with the list and the closest name. */
export function getTask(name: string): TaskSpec {
  const spec = TASKS[name];
  if (spec) return spec;
  const names = Object.keys(TASKS);
  const closest = names.reduce((best, n) => (editDistance(n, name) < editDistance(best, name) ? n : best));
  throw new RftlabError(`unknown task "${name}" (did you mean "${closest}"?); tasks: ${names.join(", ")}`);
}

/** Names of the built-in tasks. */
export function taskNames(): string[] {
  return Object.keys(TASKS);
}
