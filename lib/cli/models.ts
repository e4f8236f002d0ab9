import type { Command } from "./command";
import { emit, formatTable, UsageError } from "./command";
import { initBackend, BACKEND_CHOICES } from "../tensor";
import { zooCard, zooNames, zooRecipe, zooStaleReason } from "../model";
import { buildZooModel } from "../rl/zoo-build";

/** One row of `rftlab models --json`. */
export interface ModelListing {
  name: string;
  kind: string;
  parent: string | null;
  description: string;
  /** Null until built. */
  parameters: number | null;
  recipe: string;
  /** "ok", or why the weights cannot be loaded (not built, stale recipe, hash mismatch). */
  status: string;
  heldOut: {
    evalLoss?: number;
    tasks?: { task: string; accuracy: number; ci95: [number, number]; prompts: number; samples: number }[];
  } | null;
}

function listing(name: string): ModelListing {
  const r = zooRecipe(name);
  const card = zooCard(name);
  return {
    name,
    kind: r.kind,
    parent: r.kind === "sft" ? r.parent : null,
    description: r.description,
    parameters: card?.parameters ?? null,
    recipe: `datasets/zoo/${name}/recipe.json`,
    status: zooStaleReason(name) ?? "ok",
    heldOut: card?.heldOut ?? null,
  };
}

function heldOutText(h: ModelListing["heldOut"]): string {
  if (!h) return "-";
  if (h.tasks) return h.tasks.map((t) => `${t.task} ${t.accuracy.toFixed(2)}`).join(", ");
  return h.evalLoss !== undefined ? `eval loss ${h.evalLoss.toFixed(3)}` : "-";
}

const models: Command = {
  name: "models",
  summary:
    "List the model zoo (name, parameters, recipe, held-out numbers), or `models build <name>` to rebuild one from its " +
    "recipe (datasets/zoo/<name>/) into datasets/zoo/<name>/model and its card.",
  positionals: ["args..."],
  flags: {
    json: { type: "boolean", help: "print JSON" },
    backend: { type: "string", help: "tensor backend for build (else RFTLAB_BACKEND, else auto)", choices: BACKEND_CHOICES },
  },
  async run(args) {
    const [action, name, ...rest] = args.positionals;
    const json = Boolean(args.flags.json);
    if (action === undefined) {
      const rows = zooNames().map(listing);
      emit(json, rows, () =>
        formatTable(
          ["name", "kind", "parameters", "status", "held-out"],
          rows.map((m) => [m.name, m.kind, m.parameters ?? "-", m.status, heldOutText(m.heldOut)]),
        ),
      );
      return;
    }
    if (action !== "build")
      throw new UsageError(`rftlab models: unknown action "${action}"; use \`rftlab models\` or \`rftlab models build <name>\``);
    if (!name || rest.length > 0) throw new UsageError(`rftlab models build: give one zoo model name (${zooNames().join(", ")})`);
    zooRecipe(name); // unknown names fail before the backend starts
    await initBackend(args.flags.backend as string | undefined);
    const card = await buildZooModel(name, { log: (l) => process.stderr.write(l + "\n") });
    emit(json, card, () =>
      formatTable(
        ["key", "value"],
        Object.entries(card).map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : v]),
      ),
    );
  },
};
export default models;
