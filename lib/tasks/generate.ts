import { RftlabError } from "../errors";
import { createRng } from "../base/random";
import { suggestField } from "../base/strict-config";
import { getTask } from "./registry";
import { TASK_STYLES, type TaskExample, type TaskProblem, type TaskStyle } from "./task";

/** Options of taskStream: seed, target style, then the task's own difficulty options (e.g. digits). */
export interface TaskStreamOptions {
  /** PRNG seed; the same (name, options) always gives the same examples. */
  seed: number;
  /** Target completion format; default "answer". */
  style?: TaskStyle;
  /** Task difficulty options, e.g. `digits` for add; unknown names throw. */
  [option: string]: number | string | undefined;
}

/** Options of generateTask: the number of examples plus TaskStreamOptions. */
export interface GenerateTaskOptions extends TaskStreamOptions {
  n: number;
}

/** The prompt every style shares; the model's completion decides the format. */
export function taskPrompt(question: string): string {
  return `Question: ${question}\n`;
}

/** The gold completion of a problem in one style (see TaskStyle). */
export function renderTarget(p: TaskProblem, style: TaskStyle): string {
  switch (style) {
    case "answer":
      return `<think>\n${p.work}\n</think>\n<answer>\n${p.answer}\n</answer>`;
    case "hash":
      return `${p.work}\n#### ${p.answer}`;
    case "natural":
      return p.natural;
    case "code":
      return `>>> ${p.code.input}\n${p.code.output}`;
    case "terse":
      return p.answer;
  }
}

/** Splits generateTask options into the task's difficulty options, validated against its defaults. */
export function resolveTaskOptions(name: string, options: Record<string, unknown>): Record<string, number> {
  const spec = getTask(name);
  const resolved = { ...spec.defaults };
  for (const [k, v] of Object.entries(options)) {
    if (k === "n" || k === "seed" || k === "style" || v === undefined) continue;
    if (!(k in spec.defaults)) {
      const meant = suggestField(k, { ...spec.defaults, n: 0, seed: 0, style: "" });
      throw new RftlabError(
        `task "${name}": unknown option ${k} (did you mean "${meant}"?); options are ${Object.keys(spec.defaults).join(", ")} (plus n, seed, style)`,
      );
    }
    resolved[k] = v as number;
  }
  spec.validate(resolved);
  return resolved;
}

/** Validates count, seed and style the same way for every entry point. */
function checkCommon(name: string, options: TaskStreamOptions): TaskStyle {
  const style = options.style ?? "answer";
  if (!Number.isInteger(options.seed)) {
    throw new RftlabError(`generateTask("${name}"): seed must be an integer; got ${options.seed}`);
  }
  if (!TASK_STYLES.includes(style)) {
    throw new RftlabError(`generateTask("${name}"): style must be one of ${TASK_STYLES.join(", ")}; got "${style}"`);
  }
  return style;
}

/** An endless seeded stream of examples; generateTask(name, {n, ...}) is its first n items. */
export function* taskStream(name: string, options: TaskStreamOptions): Generator<TaskExample> {
  const spec = getTask(name);
  const style = checkCommon(name, options);
  const resolved = resolveTaskOptions(name, options);
  const rng = createRng(options.seed);
  for (;;) {
    const p = spec.sample(rng, resolved);
    yield {
      prompt: taskPrompt(p.question),
      answer: p.answer,
      target: renderTarget(p, style),
      meta: { task: name, style, options: resolved },
    };
  }
}

/**
 * Generates `n` seeded examples of a task: `generateTask("add", {n: 100, seed: 0, digits: 4})`.
 * Each example has the shared prompt, the canonical answer, a gold target in `style`, and meta.
 */
export function generateTask(name: string, options: GenerateTaskOptions): TaskExample[] {
  const { n } = options;
  if (!Number.isInteger(n) || n < 0) throw new RftlabError(`generateTask("${name}"): n must be an integer ≥ 0; got ${n}`);
  const out: TaskExample[] = [];
  const stream = taskStream(name, options);
  while (out.length < n) out.push(stream.next().value as TaskExample);
  return out;
}
