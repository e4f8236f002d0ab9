import type { Command } from "./command";
import { emit, formatTable } from "./command";
import { initBackend, BACKEND_CHOICES } from "../tensor";

const info: Command = {
  name: "info",
  summary: "Show the active tensor backend, versions, thread count and whether a GPU backend is active.",
  positionals: [],
  flags: {
    json: { type: "boolean", help: "print JSON" },
    backend: { type: "string", help: "backend to select (else RFTLAB_BACKEND, else auto)", choices: BACKEND_CHOICES },
  },
  async run(args) {
    const b = await initBackend(args.flags.backend as string | undefined);
    emit(Boolean(args.flags.json), { ...b, node: process.versions.node }, () =>
      formatTable(
        ["key", "value"],
        [
          ["backend", b.backend],
          ["provider", b.provider],
          ["gpu", String(b.gpu)],
          ["threads", b.threads],
          ["simd", String(b.simd)],
          ["node", process.versions.node],
          ...Object.entries(b.versions),
          ...b.skipped.map((s) => ["skipped", s]),
        ],
      ),
    );
  },
};
export default info;
