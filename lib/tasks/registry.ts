import { RftlabError, closestName } from "../errors";
import { addTask, linearTask, mulTask } from "./arithmetic";
import { maxTask, minTask, sortTask } from "./lists";
import { countTask, reverseTask } from "./strings";
import type { TaskSpec } from "./task";

/** Every built-in task, by name. */
export const TASKS: Readonly<Record<string, TaskSpec>> = Object.fromEntries(
  [addTask, mulTask, linearTask, maxTask, minTask, sortTask, countTask, reverseTask].map((t) => [t.name, t]),
);

/** Looks a task up by name; unknown names throw with the list and the closest name. */
export function getTask(name: string): TaskSpec {
  const spec = TASKS[name];
  if (spec) return spec;
  const names = Object.keys(TASKS);
  const closest = closestName(name, names);
  throw new RftlabError(`unknown task "${name}" (did you mean "${closest}"?); tasks: ${names.join(", ")}`);
}

/** Names of the built-in tasks. */
export function taskNames(): string[] {
  return Object.keys(TASKS);
}
