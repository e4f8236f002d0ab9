// The two weight sets an analysis command compares: <base> <tuned> checkpoints, or a base and a PEFT LoRA adapter
// (--adapter), whose merged weights W + ΔW stand in for the tuned checkpoint.
import type { FlagSpec, ParsedArgs } from "./command";
import { UsageError } from "./command";
import { openCheckpoint, type Checkpoint } from "../io";
import { openPeftAdapter, type WeightSource } from "../peft";

export const ADAPTER_FLAGS: Record<string, FlagSpec> = {
  adapter: {
    type: "string",
    help: "PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors): compare base with base + ΔW",
  },
  base: { type: "string", help: "with --adapter: the base checkpoint (default: the adapter's base_model_name_or_path)" },
};

export interface AnalysisPair {
  base: Checkpoint;
  tuned: WeightSource;
  /** The two inputs as given, for messages. */
  labels: [string, string];
  /** The tuned checkpoint when two checkpoints were given (streamed reads); absent with --adapter. */
  tunedCheckpoint?: Checkpoint;
  /** With --adapter: the exact ΔW = s·B·A of an adapted tensor (undefined for the others, whose ΔW is 0). */
  delta?: (name: string) => Promise<Float32Array | undefined>;
  close(): Promise<void>;
}

async function openAdapterBase(cmd: string, given: string | undefined, fromConfig: string): Promise<Checkpoint> {
  if (given) return openCheckpoint(given);
  if (!fromConfig) throw new UsageError(`rftlab ${cmd}: --adapter needs the base checkpoint: pass --base <ckpt> (the adapter names none)`);
  return openCheckpoint(fromConfig).catch((e: Error) => {
    throw new UsageError(
      `rftlab ${cmd}: the adapter's base_model_name_or_path "${fromConfig}" is no local checkpoint or hub-cache entry (${e.message.split("\n")[0]}); pass --base <ckpt>`,
    );
  });
}

/** Opens <base> <tuned>, or --adapter <dir> with --base <ckpt> (or one positional base, or the adapter's own base). */
export async function openAnalysisPair(cmd: string, args: ParsedArgs): Promise<AnalysisPair> {
  const pos = args.positionals;
  const adapterDir = args.flags.adapter as string | undefined;
  const baseFlag = args.flags.base as string | undefined;
  if (!adapterDir) {
    if (baseFlag) throw new UsageError(`rftlab ${cmd}: --base goes with --adapter; to compare two checkpoints pass <base> <tuned>`);
    if (pos.length !== 2) throw new UsageError(`rftlab ${cmd}: pass <base> <tuned>, or --adapter <dir> [--base <ckpt>]`);
    const base = await openCheckpoint(pos[0]);
    const tuned = await openCheckpoint(pos[1]).catch(async (e) => {
      await base.close();
      throw e;
    });
    return {
      base,
      tuned,
      tunedCheckpoint: tuned,
      labels: [pos[0], pos[1]],
      close: async () => void (await Promise.all([base.close(), tuned.close()])),
    };
  }
  if (pos.length > 1 || (pos.length === 1 && baseFlag))
    throw new UsageError(`rftlab ${cmd}: with --adapter give the base once (--base <ckpt> or one positional), not a tuned checkpoint`);
  const adapter = await openPeftAdapter(adapterDir);
  try {
    const basePath = baseFlag ?? pos[0];
    const base = await openAdapterBase(cmd, basePath, adapter.config.baseModel);
    try {
      const label = basePath ?? adapter.config.baseModel;
      const tuned = adapter.mergedWith(base, label);
      const targets = adapter.targetsIn(base, label);
      const delta = async (name: string) => {
        const t = targets.get(name);
        return t && adapter.deltaWeight(t);
      };
      for (const name of adapter.ignored.slice(0, 1))
        process.stderr.write(
          `rftlab ${cmd}: ${adapter.ignored.length} adapter tensor(s) are no LoRA factors and are not applied (e.g. ${name})\n`,
        );
      return {
        base,
        tuned,
        labels: [label, adapterDir],
        delta,
        close: async () => void (await Promise.all([base.close(), adapter.close()])),
      };
    } catch (e) {
      await base.close();
      throw e;
    }
  } catch (e) {
    await adapter.close();
    throw e;
  }
}
