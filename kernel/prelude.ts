// Before the first cell: rftlab as `lab` plus common names, visible to the compiler (types, completion)
// and at run time in every cell.
import path from "node:path";

/** Names that cells use often enough to be imported besides `lab`; only those rftlab exports are. */
export const COMMON_NAMES = [
  "tf",
  "initBackend",
  "backendInfo",
  "resolveModelConfig",
  "createModel",
  "show",
  "lineFigure",
  "barFigure",
  "scatterFigure",
  "heatmapFigure",
  "histogramFigure",
  "progress",
] as const;

/**
 * The first cell the kernel runs itself: `import * as lab from "<dist>/lib/index"` plus named imports of
 * the common names rftlab exports. Through tslab's declaration carry-over every later cell sees them as
 * values and as namespaces for types (`tf.Tensor2D`, `lab.ModelConfig`), with completion, and may shadow
 * them. The path is absolute so a notebook in any folder gets this build of rftlab.
 */
export function preludeSource(mainJs: string, api: Record<string, unknown>): string {
  const modulePath = (p: string) => JSON.stringify(p.replace(/\.js$/, "").split(path.sep).join("/"));
  const spec = modulePath(mainJs);
  const names = COMMON_NAMES.filter((n) => api[n] !== undefined);
  // `lab.display` is the display namespace; its display() function is a common name of its own.
  const displayFn =
    typeof (api.display as Record<string, unknown> | undefined)?.display === "function"
      ? `import { display } from ${modulePath(path.join(path.dirname(mainJs), "display", "index.js"))};\n`
      : "";
  return `import * as lab from ${spec};\n` + (names.length > 0 ? `import { ${names.join(", ")} } from ${spec};\n` : "") + displayFn;
}
