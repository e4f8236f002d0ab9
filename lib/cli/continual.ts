import path from "node:path";
import type { Command } from "./command";
import { checkOutFolder, emit, formatTable, UsageError } from "./command";
import { formatForgetting } from "./forgetting";
import { openModelSource } from "./model-source";
import { initBackend, BACKEND_CHOICES } from "../tensor";
import { readJsonFile, readCorpus, textCodec } from "../io";
import { bundledDatasetsDir } from "../io/corpus";
import { FPF_SELECT, HFT_FREEZE, resolveContinualConfig, runContinual, type ContinualConfig, type ContinualEvent } from "../continual";

const f4 = (x: number | null | undefined) => (typeof x === "number" ? x.toFixed(4) : "-");

function progress(e: ContinualEvent, T: number): void {
  if (e.kind === "stage-start") process.stderr.write(`stage ${e.stage}/${T}: training on ${e.task}\n`);
  else if (e.kind === "step")
    process.stderr.write(
      `stage ${e.stage}/${T} step ${e.step} loss ${f4(e.metrics.loss)}${e.metrics.reward !== undefined ? ` reward ${f4(e.metrics.reward)}` : ""}\n`,
    );
  else {
    const r = e.record;
    process.stderr.write(
      `stage ${r.step}/${T} evaluated: accuracy ${r.accuracy.map(f4).join(" ")}` +
        (r.retention ? `, corpus loss ${f4(r.retention.corpusLoss)}, KL to base ${f4(r.retention.klToBase)}` : "") +
        ` (${r.seconds.toFixed(1)} s)\n`,
    );
  }
}

const continual: Command = {
  name: "continual",
  summary:
    "Continual post-training: train a task sequence from a model with one method (sft, rft, rif-rft, multitask, lora, hft, fpf), " +
    "evaluating every task and retention after every stage; writes the accuracy matrix (matrix.json/.csv), per-stage records and " +
    "checkpoints under --out. Progress goes to stderr. Method options in the config: " +
    `hft.freeze ${HFT_FREEZE.join("|")} (entries: as many frozen entries at random, the control), ` +
    `fpf.select ${FPF_SELECT.join("|")} (all: full replay; random: as many module types at random, the control).`,
  positionals: [],
  flags: {
    config: { type: "string", help: "continual config JSON file (ContinualConfig fields; model: a folder, a run folder or a zoo name)" },
    out: { type: "string", help: "run folder" },
    resume: { type: "boolean", help: "continue a killed run in --out (same config)" },
    corpus: { type: "string", help: "corpus folder whose test.jsonl is the held-out retention corpus (default: the bundled tiny-corpus)" },
    backend: { type: "string", help: "tensor backend (else RFTLAB_BACKEND, else auto)", choices: BACKEND_CHOICES },
    json: { type: "boolean", help: "print the summary as JSON" },
  },
  async run(args) {
    const file = args.flags.config as string | undefined;
    const out = args.flags.out as string | undefined;
    if (!file) throw new UsageError("rftlab continual: --config <file.json> is required");
    if (!out) throw new UsageError("rftlab continual: --out <run-dir> is required");
    checkOutFolder("continual", "out", out);
    const raw = readJsonFile<Partial<ContinualConfig>>(file, "continual config");
    if (typeof raw !== "object" || raw === null || Array.isArray(raw))
      throw new UsageError(`rftlab continual: ${file} must hold a JSON object of ContinualConfig fields`);
    resolveContinualConfig({ ...(raw as ContinualConfig), lora: {} }); // all but lora (its modules depend on the model) before the backend starts
    await initBackend(args.flags.backend as string | undefined);
    const { model, tokenizer } = await openModelSource(
      raw.model as string,
      path.dirname(path.resolve(file)),
      "rftlab continual: config field model",
    );
    try {
      const config = resolveContinualConfig(raw as ContinualConfig, model.config.family);
      const corpus = config.retention
        ? readCorpus(path.resolve((args.flags.corpus as string | undefined) ?? path.join(bundledDatasetsDir(), "tiny-corpus"))).test
        : undefined;
      const codec = textCodec(tokenizer);
      const r = await runContinual({
        config,
        base: model,
        codec,
        corpus,
        out,
        resume: Boolean(args.flags.resume),
        onEvent: (e) => progress(e, config.tasks.length),
      });
      const value = { out, method: config.method, ...r.summary, stages: r.stages };
      emit(
        Boolean(args.flags.json),
        value,
        () =>
          formatForgetting(r.matrix, r.summary) +
          "\n\n" +
          formatTable(
            ["stage", "task", "corpus loss", "KL to base", "seconds"],
            r.stages.map((s) => [s.step, s.task ?? "base", f4(s.retention?.corpusLoss), f4(s.retention?.klToBase), s.seconds.toFixed(1)]),
          ),
      );
    } finally {
      model.dispose();
    }
  },
};
export default continual;
