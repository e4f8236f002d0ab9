// Held-out next-token loss on the pretraining corpus: the general-ability measure of forgetting
// (fine-tuning notebooks, lib/forgetting retention).
import { tf } from "../tensor/tf";
import type { Transformer } from "./transformer";
import { nextTokenLoss } from "./pretrain";
import { tokenIds } from "./token-ids";
import { RftlabError } from "../errors";

/** Text → token ids without special tokens (what the trainers use), plus the document separator. */
export interface EvalCodec {
  encode(text: string): number[];
  /** Token placed before every corpus document (GPT-2 convention, as in pretraining). */
  eosId: number;
}

/**
 * Mean next-token loss (nats/token) over consecutive `contextLength` windows of the documents joined
 * as in pretraining: the "pretraining loss" that measures forgetting. At most `maxWindows` windows.
 */
export async function corpusLoss(
  model: Transformer,
  codec: EvalCodec,
  docs: string[],
  opts: { contextLength?: number; maxWindows?: number; batchSize?: number } = {},
): Promise<number> {
  const { contextLength: T = 128, maxWindows = 32, batchSize = 8 } = opts;
  const stream = docs.flatMap((d) => [codec.eosId, ...codec.encode(d)]);
  const n = Math.min(maxWindows, Math.floor((stream.length - 1) / T));
  if (n < 1)
    throw new RftlabError(
      `corpusLoss: the documents hold ${stream.length} tokens, fewer than contextLength + 1 = ${T + 1}; pass more documents or a smaller contextLength`,
    );
  let total = 0;
  for (let i = 0; i < n; i += batchSize) {
    const b = Math.min(batchSize, n - i);
    const x = tokenIds(Int32Array.from(stream.slice(i * T, (i + b) * T)), [b, T]); // [b, T]
    const y = tf.tensor2d(Int32Array.from(stream.slice(i * T + 1, (i + b) * T + 1)), [b, T], "int32"); // [b, T]
    const loss = tf.tidy(() => nextTokenLoss(model.forward(x), y));
    total += (await loss.data())[0] * b;
    tf.dispose([x, y, loss]);
  }
  return total / n;
}
