import type { Command } from "./command";
import { emit, formatTable, UsageError } from "./command";
import { initBackend, BACKEND_CHOICES } from "../tensor";
import { textCodec } from "../io/tokenizer";
import { getTask } from "../tasks";
import { evaluateTask, type TaskEvaluation } from "../evaluation";
import { openModelSource } from "./model-source";

const evalCommand: Command = {
  name: "eval",
  summary:
    "Accuracy of a model on held-out prompts of a bundled task (exact answer then a newline), with its Wilson 95% interval; " +
    "pass@k when --samples > 1. <model> is a model folder, a run folder (its newest checkpoint) or a zoo name. " +
    "Greedy by default (--temperature 0, one sample per prompt).",
  positionals: ["model"],
  flags: {
    task: { type: "string", help: "bundled task name (add, mul, linear, max, sort, count, reverse)" },
    n: { type: "number", help: "held-out prompts", default: 256, integer: true, min: 1 },
    samples: { type: "number", help: "completions per prompt (k of pass@k)", default: 1, integer: true, min: 1 },
    temperature: { type: "number", help: "0 = greedy; use 1 with --samples > 1", min: 0 },
    seed: { type: "number", help: "seed of the held-out split and of sampling", default: 0, integer: true },
    backend: { type: "string", help: "tensor backend (else RFTLAB_BACKEND, else auto)", choices: BACKEND_CHOICES },
    json: { type: "boolean", help: "print JSON" },
  },
  async run(args) {
    const task = args.flags.task as string | undefined;
    if (!task) throw new UsageError("rftlab eval: --task <name> is required (e.g. --task add)");
    try {
      getTask(task);
    } catch (e) {
      throw new UsageError(`rftlab eval: --task: ${(e as Error).message}`);
    }
    const samples = Number(args.flags.samples);
    // Several samples of a greedy decoder are identical: sampling is the only sensible default then.
    const temperature = (args.flags.temperature as number | undefined) ?? (samples > 1 ? 1 : 0);
    if (temperature === 0 && samples > 1)
      throw new UsageError(`rftlab eval: --samples ${samples} needs --temperature > 0 (greedy samples are identical); got --temperature 0`);
    await initBackend(args.flags.backend as string | undefined);
    const { model, tokenizer } = await openModelSource(args.positionals[0], process.cwd(), "rftlab eval: <model>");
    let r: TaskEvaluation;
    try {
      r = await evaluateTask(model, textCodec(tokenizer), {
        task,
        n: Number(args.flags.n),
        samples,
        temperature,
        seed: Number(args.flags.seed),
      });
    } finally {
      model.dispose();
    }
    const out = {
      task: r.task,
      n: r.n,
      samples: r.samples,
      temperature: r.temperature,
      seed: r.seed,
      accuracy: r.accuracy,
      ci95: r.ci95,
      ...(r.passAtK !== undefined ? { passAtK: r.passAtK, k: r.k } : {}),
    };
    emit(Boolean(args.flags.json), out, () =>
      formatTable(
        ["key", "value"],
        Object.entries(out).map(([k, v]) => [
          k,
          Array.isArray(v)
            ? `[${v.map((x) => x.toFixed(4)).join(", ")}]`
            : typeof v === "number" && !Number.isInteger(v)
              ? v.toFixed(4)
              : v,
        ]),
      ),
    );
  },
};
export default evalCommand;
