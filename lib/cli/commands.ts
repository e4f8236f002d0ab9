import type { Command } from "./command";

// One line per command module; each module's default export is its Command.
export const commandLoaders: Record<string, () => Promise<Command>> = {
  info: async () => (await import("./info")).default,
  "make-datasets": async () => (await import("./make-datasets")).default,
};
