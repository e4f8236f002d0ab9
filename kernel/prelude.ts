// Before the first cell: load rftlab and expose it as globals (`lab` plus common names), and tell
// tslab's compiler about them with a declarations module so completion and type checks work at once.
import path from "node:path";

/** Names that cells use often enough to be globals besides `lab`; only those rftlab exports are set. */
export const COMMON_NAMES = [
  "tf",
  "initBackend",
  "backendInfo",
  "resolveModelConfig",
  "createModel",
  "display",
  "show",
  "lineFigure",
  "barFigure",
  "scatterFigure",
  "heatmapFigure",
  "histogramFigure",
  "progress",
] as const;

export interface Prelude {
  /** The names set on globalThis (always includes `lab` when rftlab loaded). */
  names: string[];
  /** The TypeScript source of the ambient declarations for those names. */
  declarations: string;
}

/** Loads rftlab from `mainJs` (its dist/lib/index.js) and sets the globals; throws if it cannot load. */
export function installRftlabGlobals(mainJs: string): Prelude {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const api = require(mainJs) as Record<string, unknown>;
  const g = globalThis as Record<string, unknown>;
  g.lab = api;
  const names = COMMON_NAMES.filter((n) => api[n] !== undefined);
  for (const n of names) g[n] = api[n];
  return { names: ["lab", ...names], declarations: globalsDeclaration(mainJs, names) };
}

/**
 * `declare global { var lab: typeof import("<dist>/lib/index"); var tf: typeof import(...).tf; ... }`:
 * the import path is absolute so it resolves from a notebook in any folder.
 */
export function globalsDeclaration(mainJs: string, names: readonly string[]): string {
  const spec = JSON.stringify(mainJs.replace(/\.js$/, "").split(path.sep).join("/"));
  const lines = [`  var lab: typeof import(${spec});`, ...names.map((n) => `  var ${n}: typeof import(${spec}).${n};`)];
  return `declare global {\n${lines.join("\n")}\n}\n`;
}
