import path from "node:path";
import type { Command } from "./command";
import { checkOutFolder, emit, formatTable, UsageError } from "./command";
import { initBackend, BACKEND_CHOICES } from "../tensor";
import { readJsonFile } from "../io";
import { pretrain, resolvePretrainConfig, type PretrainConfig } from "../model/pretrain";

const pretrainCommand: Command = {
  name: "pretrain",
  summary:
    "Train a tiny causal LM from scratch on a corpus (default: the bundled one) and save a Hugging Face folder " +
    "(config.json, model.safetensors, tokenizer.json, pretrain_config.json, metrics.jsonl). " +
    "Relative corpus/tokenizer paths in the config file are resolved against the config file's folder.",
  positionals: [],
  flags: {
    config: { type: "string", help: "PretrainConfig JSON file (e.g. datasets/pretrain-tiny.json)" },
    out: { type: "string", help: "output folder" },
    resume: { type: "boolean", help: "continue a killed run from its newest checkpoint in <out>/run" },
    steps: { type: "number", help: "override the config's steps", integer: true, min: 1 },
    backend: { type: "string", help: "tensor backend (else RFTLAB_BACKEND, else auto)", choices: BACKEND_CHOICES },
    json: { type: "boolean", help: "print progress and the result as JSON lines" },
  },
  async run(args) {
    const file = args.flags.config as string | undefined;
    const out = args.flags.out as string | undefined;
    if (!file) throw new UsageError("rftlab pretrain: --config <file.json> is required (try --config datasets/pretrain-tiny.json)");
    if (!out) throw new UsageError("rftlab pretrain: --out <folder> is required");
    checkOutFolder("pretrain", "out", out);
    const config = readJsonFile<PretrainConfig>(file, "pretrain config");
    resolvePretrainConfig(config); // before the backend starts: a typo fails first
    const base = path.dirname(path.resolve(file));
    for (const k of ["corpus", "tokenizer"] as const) if (config[k]) config[k] = path.resolve(base, config[k]!);
    if (args.flags.steps !== undefined) config.steps = args.flags.steps as number;
    await initBackend(args.flags.backend as string | undefined);
    const json = Boolean(args.flags.json);
    const r = await pretrain(config, {
      out,
      resume: Boolean(args.flags.resume),
      progress: false, // the command prints its own lines
      onProgress: (p) => {
        const m = p.metrics;
        if (json) process.stdout.write(JSON.stringify({ ...m, tokens_per_second: p.tokensPerSecond }) + "\n");
        else if (m.eval_loss !== undefined || m.step % 10 === 0) {
          process.stderr.write(
            `step ${m.step}/${p.totalSteps} loss ${m.loss.toFixed(4)}` +
              (m.eval_loss !== undefined ? ` eval_loss ${m.eval_loss.toFixed(4)}` : "") +
              ` ${p.tokensPerSecond.toFixed(0)} tok/s\n`,
          );
        }
      },
    });
    const summary = {
      out,
      params: r.model.numParams(),
      steps: r.config.steps,
      eval_loss: r.evalLoss,
      tokens_per_second: r.tokensPerSecond,
      wall_seconds: r.wallSeconds,
      resumed_from: r.resumedFrom,
    };
    r.model.dispose();
    emit(json, summary, () =>
      formatTable(
        ["key", "value"],
        Object.entries(summary).map(([k, v]) => [k, typeof v === "number" && !Number.isInteger(v) ? v.toFixed(4) : v]),
      ),
    );
  },
};
export default pretrainCommand;
