import path from "node:path";
import type { Command } from "./command";
import { emit, formatTable } from "./command";
import { openCheckpoint } from "../io";

/** 1234567 → "1.23M" */
function humanCount(n: number): string {
  for (const [unit, size] of [
    ["B", 1e9],
    ["M", 1e6],
    ["K", 1e3],
  ] as const)
    if (n >= size) return `${(n / size).toPrecision(3)}${unit}`;
  return String(n);
}

function humanBytes(n: number): string {
  for (const [unit, size] of [
    ["GiB", 2 ** 30],
    ["MiB", 2 ** 20],
    ["KiB", 2 ** 10],
  ] as const)
    if (n >= size) return `${(n / size).toFixed(2)} ${unit}`;
  return `${n} B`;
}

const inspect: Command = {
  name: "inspect",
  summary:
    "List a safetensors checkpoint's tensors (name, dtype, shape, file) and totals. <checkpoint> is a .safetensors file, " +
    "a model folder (single or sharded), a Hugging Face hub cache folder, or an org/name present in the hub cache.",
  positionals: ["checkpoint"],
  flags: { json: { type: "boolean", help: "print JSON" } },
  async run(args) {
    const ckpt = await openCheckpoint(args.positionals[0]);
    try {
      const tensors = ckpt.tensors();
      const rel = (f: string) => path.relative(ckpt.dir, f);
      const totalBytes = tensors.reduce((s, t) => s + t.byteLength, 0);
      const numParams = tensors.reduce((s, t) => s + t.numel, 0);
      const result = {
        path: ckpt.path,
        files: ckpt.files.map(rel),
        metadata: ckpt.metadata,
        tensors: tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, numel: t.numel, file: rel(t.file) })),
        totalBytes,
        numParams,
      };
      emit(Boolean(args.flags.json), result, () => {
        const multi = ckpt.files.length > 1;
        const header = ["name", "dtype", "shape", "numel", ...(multi ? ["file"] : [])];
        const rows = result.tensors.map((t) => [t.name, t.dtype, `[${t.shape.join(", ")}]`, t.numel, ...(multi ? [t.file] : [])]);
        const dtypes = new Map<string, number>();
        for (const t of tensors) dtypes.set(t.dtype, (dtypes.get(t.dtype) ?? 0) + 1);
        const meta = Object.entries(ckpt.metadata)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ");
        const summary =
          `${ckpt.path}: ${tensors.length} tensors, ${humanCount(numParams)} params, ${humanBytes(totalBytes)} in ${ckpt.files.length} file(s); ` +
          `dtypes ${[...dtypes].map(([d, n]) => `${d}×${n}`).join(" ")}${meta ? `; metadata ${meta}` : ""}`;
        return `${formatTable(header, rows)}\n${summary}`;
      });
    } finally {
      await ckpt.close();
    }
  },
};
export default inspect;
