import type { Command } from "./command";
import { emit, formatTable } from "./command";
import { initBackend, BACKEND_CHOICES, type WebgpuAdapter } from "../tensor";

function adapterRows(a: WebgpuAdapter): [string, string | number][] {
  return [
    ["adapter", `${a.vendor} / ${a.architecture}${a.software ? " (CPU implementation)" : ""}`],
    ["adapter device", a.device || "-"],
    ["adapter description", a.description || "-"],
    ...Object.entries(a.limits).map(([k, v]): [string, number] => [`limit ${k}`, v]),
  ];
}

const info: Command = {
  name: "info",
  summary: "Show the active tensor backend, the WebGPU adapter, versions, thread count and why faster backends were skipped.",
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
          ...(b.adapter ? adapterRows(b.adapter) : []),
          ...Object.entries(b.versions),
          ...b.skipped.map((s) => ["skipped", s]),
        ],
      ),
    );
  },
};
export default info;
