import type { Command } from "./command";
import { emit, formatTable, UsageError } from "./command";
import { initBackend, BACKEND_CHOICES, tf } from "../tensor";
import { loadModel } from "../model";
import { readModelConfig } from "../model/checkpoint";

/** "3,17,42" → ids, each an integer in [0, vocab); errors name the flag, the position and the value. */
export function parseTokenList(text: string, vocabSize: number): number[] {
  const parts = text.split(",").map((s) => s.trim());
  if (text.trim() === "" || parts.some((p) => p === "")) {
    throw new UsageError(`rftlab logits: --tokens must be comma-separated token ids like 3,17,42; got "${text}"`);
  }
  return parts.map((p, i) => {
    const n = Number(p);
    if (!/^\d+$/.test(p) || !Number.isSafeInteger(n)) {
      throw new UsageError(`rftlab logits: --tokens item ${i + 1} must be a non-negative integer; got "${p}"`);
    }
    if (n >= vocabSize) throw new UsageError(`rftlab logits: --tokens item ${i + 1} is ${n}, outside the vocabulary [0, ${vocabSize})`);
    return n;
  });
}

const logits: Command = {
  name: "logits",
  summary: "Print the float32 vocabulary logits of a model for each position of a token sequence.",
  positionals: ["model-folder"],
  flags: {
    tokens: { type: "string", help: "comma-separated token ids, e.g. 3,17,42 (required)" },
    json: { type: "boolean", help: 'print {"logits": [[...], ...]}, one row per position' },
    top: { type: "number", help: "human output: highest logits shown per position", default: 5, integer: true, min: 1 },
    backend: { type: "string", help: "backend to select (else RFTLAB_BACKEND, else auto)", choices: BACKEND_CHOICES },
  },
  async run(args) {
    const text = args.flags.tokens as string | undefined;
    if (text === undefined) throw new UsageError("rftlab logits: --tokens is required, e.g. --tokens 3,17,42");
    // The ids are checked against the model's config.json before the backend starts: bad input is one line.
    const ids = parseTokenList(text, (await readModelConfig(args.positionals[0])).vocabSize);
    await initBackend(args.flags.backend as string | undefined);
    const model = await loadModel(args.positionals[0]);
    try {
      const input = tf.tensor2d([ids], [1, ids.length], "int32");
      const out = model.forward(input);
      const rows = ((await out.array()) as number[][][])[0]; // [T, V]
      input.dispose();
      out.dispose();
      const top = args.flags.top as number;
      emit(Boolean(args.flags.json), { logits: rows }, () =>
        formatTable(
          ["pos", "token", `top ${top} (token: logit)`],
          rows.map((row, t) => [
            t,
            ids[t],
            row
              .map((v, i) => [i, v] as const)
              .sort((a, b) => b[1] - a[1])
              .slice(0, top)
              .map(([i, v]) => `${i}: ${v.toFixed(4)}`)
              .join("  "),
          ]),
        ),
      );
    } finally {
      model.dispose();
    }
  },
};
export default logits;
