import type { Command } from "./command";

// One line per command module; each module's default export is its Command.
export const commandLoaders: Record<string, () => Promise<Command>> = {
  info: async () => (await import("./info")).default,
  inspect: async () => (await import("./inspect")).default,
  diff: async () => (await import("./diff")).default,
  rank: async () => (await import("./rank")).default,
  intruders: async () => (await import("./intruders")).default,
  merge: async () => (await import("./merge")).default,
  "make-datasets": async () => (await import("./make-datasets")).default,
  pretrain: async () => (await import("./pretrain")).default,
  kernel: async () => (await import("./kernel")).default,
  reproduce: async () => (await import("./reproduce")).default,
  logits: async () => (await import("./logits")).default,
  train: async () => (await import("./train")).default,
  eval: async () => (await import("./eval")).default,
  forgetting: async () => (await import("./forgetting")).default,
  continual: async () => (await import("./continual")).default,
  models: async () => (await import("./models")).default,
  trajectory: async () => (await import("./trajectory")).default,
  logs: async () => (await import("./logs")).default,
};
