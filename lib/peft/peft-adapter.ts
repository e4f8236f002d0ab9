// PEFT LoRA adapters as `save_pretrained` writes them (adapter_config.json + adapter_model.safetensors, also inside
// TRL's checkpoint-N/ folders): read them and form the merged update ΔW of each target in the base weight's layout,
// as peft's LoraLayer.get_delta_weight does (peft/tuners/lora/layer.py): ΔW = transpose(B·A, fan_in_fan_out)·s with
// s = α/r, or α/√r with use_rslora; embeddings: ΔW = (B·A)ᵀ·s. r and α per module follow rank_pattern/alpha_pattern.
import path from "node:path";
import { RftlabError } from "../errors";
import { CheckpointError, openCheckpoint, readJsonFile, type Checkpoint } from "../io";
import { isFile } from "../io/file-kind";
import { closeNames } from "../io/checkpoint";

const CONFIG_FILE = "adapter_config.json";
const WEIGHTS_FILE = "adapter_model.safetensors";

/** The fields of adapter_config.json that define ΔW (PEFT's LoraConfig names in comments). */
export interface PeftLoraConfig {
  /** `r`: default rank. */
  r: number;
  /** `lora_alpha`: default α. */
  alpha: number;
  /** `use_rslora`: s = α/√r instead of α/r. */
  rsLora: boolean;
  /** `fan_in_fan_out`: the base stores [in, out] (GPT-2 Conv1D), so ΔW is transposed. */
  fanInFanOut: boolean;
  /** `target_modules`: names, or one regular expression (as saved). */
  targetModules: string[] | string;
  /** `rank_pattern` / `alpha_pattern`: per-module overrides, keys matched as peft's get_pattern_key does. */
  rankPattern: Record<string, number>;
  alphaPattern: Record<string, number>;
  /** `base_model_name_or_path` (may be empty). */
  baseModel: string;
}

/** One adapted weight. */
export interface AdapterTarget {
  /** Module path inside the base model, e.g. "model.layers.0.self_attn.q_proj". */
  module: string;
  kind: "linear" | "embedding";
  r: number;
  alpha: number;
  /** s = α/r (or α/√r with rsLoRA). */
  scaling: number;
  /** ΔW's shape in the base weight's layout. */
  shape: [number, number];
  /** Names of the factors in adapter_model.safetensors. */
  a: string;
  b: string;
}

/** A weight store the analyses read (lib/analysis CheckpointSource, structurally). */
export interface WeightSource {
  tensors(): { name: string; dtype: string; shape: number[]; numel: number }[];
  readFloat32(name: string): Promise<Float32Array>;
}

const FACTOR = /^base_model\.model\.(.+)\.(lora_A|lora_B)\.weight$/;
const EMBEDDING_FACTOR = /^base_model\.model\.(.+)\.(lora_embedding_A|lora_embedding_B)$/;

function bad(file: string, problem: string, fix: string): never {
  throw new CheckpointError(file, problem, fix);
}

/** Reads and checks the LoRA fields of adapter_config.json. */
export function readPeftLoraConfig(file: string): PeftLoraConfig {
  const c = readJsonFile<Record<string, unknown>>(file, "PEFT adapter config");
  if (typeof c !== "object" || c === null || Array.isArray(c))
    bad(file, "not a JSON object", "pass the adapter_config.json that peft wrote");
  if (c.peft_type !== undefined && c.peft_type !== "LORA")
    bad(file, `peft_type is ${JSON.stringify(c.peft_type)}`, 'rftlab reads LoRA adapters only (peft_type "LORA")');
  if (c.use_dora === true)
    bad(
      file,
      "use_dora is true: DoRA's merged weight is not W + s·B·A",
      "merge it with peft's merge_and_unload() and compare the checkpoints",
    );
  const num = (key: string, dflt?: number): number => {
    const v = c[key] ?? dflt;
    if (typeof v !== "number" || !(v > 0))
      bad(file, `"${key}" must be a positive number; got ${JSON.stringify(v)}`, "fix the adapter config");
    return v;
  };
  const pattern = (key: string): Record<string, number> => {
    const v = c[key] ?? {};
    if (typeof v !== "object" || v === null || Array.isArray(v) || Object.values(v).some((x) => typeof x !== "number" || !(x > 0)))
      bad(file, `"${key}" must map module patterns to positive numbers; got ${JSON.stringify(v)}`, "fix the adapter config");
    return v as Record<string, number>;
  };
  const targets = c.target_modules ?? [];
  if (!(typeof targets === "string" || (Array.isArray(targets) && targets.every((t) => typeof t === "string"))))
    bad(file, `"target_modules" must be a list of names or a regular expression; got ${JSON.stringify(targets)}`, "fix the adapter config");
  return {
    r: num("r", 8),
    alpha: num("lora_alpha", 8),
    rsLora: c.use_rslora === true,
    fanInFanOut: c.fan_in_fan_out === true,
    targetModules: targets as string[] | string,
    rankPattern: pattern("rank_pattern"),
    alphaPattern: pattern("alpha_pattern"),
    baseModel: typeof c.base_model_name_or_path === "string" ? c.base_model_name_or_path : "",
  };
}

/** peft's get_pattern_key: the first pattern key that matches the module path's end at a dot boundary. */
function patternValue(patterns: Record<string, number>, module: string, dflt: number): number {
  for (const [key, value] of Object.entries(patterns)) if (new RegExp(`^(.*\\.)?(${key})$`).test(module)) return value;
  return dflt;
}

/** B·A (·s), optionally transposed: B [p, r], A [r, q] → [p, q], or [q, p] when `transpose`. Accumulates in float64. */
function scaledProduct(b: Float32Array, a: Float32Array, p: number, r: number, q: number, s: number, transpose: boolean): Float32Array {
  const out = new Float32Array(p * q);
  const row = new Float64Array(q);
  for (let i = 0; i < p; i++) {
    row.fill(0);
    for (let k = 0; k < r; k++) {
      const bik = b[i * r + k];
      const ak = k * q;
      for (let j = 0; j < q; j++) row[j] += bik * a[ak + j];
    }
    for (let j = 0; j < q; j++) out[transpose ? j * p + i : i * q + j] = row[j] * s;
  }
  return out;
}

/** The base tensor an adapter module updates: `<module>.weight`, or the one name that differs only by a leading prefix. */
function resolveBaseName(module: string, names: Set<string>): string | undefined {
  const want = `${module}.weight`;
  if (names.has(want)) return want;
  const hits = [...names].filter((n) => n.endsWith(`.${want}`) || want.endsWith(`.${n}`));
  return hits.length === 1 ? hits[0] : undefined;
}

/**
 * A LoRA adapter saved by PEFT. `deltaWeight` gives s·B·A per target in the base's layout; `mergedWith(base)`
 * is the merged model W + ΔW as a weight source (read on demand), so every analysis of two checkpoints runs on
 * (base, adapter) as it would on (base, merged checkpoint).
 */
export class PeftAdapter {
  private constructor(
    readonly dir: string,
    readonly config: PeftLoraConfig,
    readonly targets: AdapterTarget[],
    /** Tensors of the adapter file that are no LoRA factors (modules_to_save copies, trained biases): not applied. */
    readonly ignored: string[],
    private readonly weights: Checkpoint,
  ) {}

  /** Opens `dir` (a folder with adapter_config.json and adapter_model.safetensors). */
  static async open(dir: string): Promise<PeftAdapter> {
    const configFile = path.join(dir, CONFIG_FILE);
    const weightsFile = path.join(dir, WEIGHTS_FILE);
    if (!isFile(configFile))
      bad(dir, `no ${CONFIG_FILE}`, "pass the folder that peft's save_pretrained wrote (it holds adapter_config.json)");
    if (!isFile(weightsFile)) {
      const pickle = isFile(path.join(dir, "adapter_model.bin"));
      bad(
        dir,
        pickle ? "only adapter_model.bin, a Python pickle, which rftlab never unpickles" : `no ${WEIGHTS_FILE}`,
        "save the adapter with save_pretrained(dir, safe_serialization=True)",
      );
    }
    const config = readPeftLoraConfig(configFile);
    const weights = await openCheckpoint(weightsFile);
    try {
      const { targets, ignored } = PeftAdapter.targetsOf(weightsFile, weights, config);
      return new PeftAdapter(dir, config, targets, ignored, weights);
    } catch (e) {
      await weights.close();
      throw e;
    }
  }

  private static targetsOf(file: string, weights: Checkpoint, config: PeftLoraConfig): { targets: AdapterTarget[]; ignored: string[] } {
    const factors = new Map<string, { kind: AdapterTarget["kind"]; a?: string; b?: string }>();
    const ignored: string[] = [];
    for (const t of weights.tensors()) {
      if (t.name.includes("lora_magnitude_vector"))
        bad(file, `${t.name} is a DoRA magnitude vector: DoRA's merged weight is not W + s·B·A`, "merge it with peft's merge_and_unload()");
      const m = FACTOR.exec(t.name) ?? EMBEDDING_FACTOR.exec(t.name);
      if (!m) {
        ignored.push(t.name);
        continue;
      }
      const kind = m[2].startsWith("lora_embedding") ? "embedding" : "linear";
      const f = factors.get(m[1]) ?? { kind };
      if (m[2].endsWith("A")) f.a = t.name;
      else f.b = t.name;
      factors.set(m[1], f);
    }
    if (factors.size === 0) {
      bad(
        file,
        `no LoRA factors (keys like base_model.model.<module>.lora_A.weight)${ignored.length ? `; found e.g. ${ignored[0]}` : ""}`,
        "pass an adapter saved by peft's save_pretrained",
      );
    }
    const targets = [...factors].map(([module, f]): AdapterTarget => {
      if (!f.a || !f.b)
        bad(
          file,
          `module ${module} has ${f.a ? "lora_A" : "lora_B"} but no ${f.a ? "lora_B" : "lora_A"}`,
          "the adapter file is incomplete: save it again",
        );
      const a = weights.info(f.a)!.shape;
      const b = weights.info(f.b)!.shape;
      const r = patternValue(config.rankPattern, module, config.r);
      const alpha = patternValue(config.alphaPattern, module, config.alpha);
      if (a.length !== 2 || b.length !== 2 || a[0] !== r || b[1] !== r)
        bad(
          file,
          `module ${module}: A [${a}] and B [${b}] do not fit rank r = ${r} from the config (A is [r, in], B is [out, r])`,
          "pass the adapter_config.json saved with these weights",
        );
      // Linear: ΔW = B·A is [out, in], transposed for fan_in_fan_out; embedding: (B·A)ᵀ is [num_embeddings, dim].
      const transpose = f.kind === "embedding" || config.fanInFanOut;
      return {
        module,
        kind: f.kind,
        r,
        alpha,
        scaling: config.rsLora ? alpha / Math.sqrt(r) : alpha / r,
        shape: transpose ? [a[1], b[0]] : [b[0], a[1]],
        a: f.a,
        b: f.b,
      };
    });
    return { targets, ignored };
  }

  /** ΔW = s·B·A of one target in the base weight's layout (row-major, `target.shape`). */
  async deltaWeight(target: AdapterTarget): Promise<Float32Array> {
    const [a, b] = await Promise.all([this.weights.readFloat32(target.a), this.weights.readFloat32(target.b)]);
    const [r, q] = this.weights.info(target.a)!.shape;
    const p = this.weights.info(target.b)!.shape[0];
    return scaledProduct(b, a, p, r, q, target.scaling, target.kind === "embedding" || this.config.fanInFanOut);
  }

  /** Base tensor name → target, checking that every target exists in `base` with ΔW's shape. */
  targetsIn(base: WeightSource, baseName = "the base checkpoint"): Map<string, AdapterTarget> {
    const infos = new Map(base.tensors().map((t) => [t.name, t]));
    const names = new Set(infos.keys());
    const out = new Map<string, AdapterTarget>();
    for (const t of this.targets) {
      const name = resolveBaseName(t.module, names);
      if (!name) {
        throw new RftlabError(
          `adapter ${this.dir}: module ${t.module} has no weight in ${baseName} (closest: ${closeNames(`${t.module}.weight`, names).join(", ")}); pass the base model the adapter was trained on`,
        );
      }
      const shape = infos.get(name)!.shape;
      if (shape.join("x") !== t.shape.join("x")) {
        const flip = shape.length === 2 && shape[0] === t.shape[1] && shape[1] === t.shape[0];
        throw new RftlabError(
          `adapter ${this.dir}: ΔW of ${t.module} is [${t.shape}] but ${name} is [${shape}] in ${baseName}; ` +
            (flip
              ? `fan_in_fan_out is ${this.config.fanInFanOut} in adapter_config.json but the base stores the transpose: fix fan_in_fan_out`
              : "pass the base model the adapter was trained on"),
        );
      }
      out.set(name, t);
    }
    return out;
  }

  /** The merged model W + ΔW as a weight source with `base`'s tensor list; adapted tensors are computed when read. */
  mergedWith(base: WeightSource, baseName?: string): WeightSource {
    const targets = this.targetsIn(base, baseName);
    return {
      tensors: () => base.tensors(),
      readFloat32: async (name) => {
        const w = await base.readFloat32(name);
        const t = targets.get(name);
        if (!t) return w;
        const d = await this.deltaWeight(t);
        const out = new Float32Array(w.length);
        for (let i = 0; i < w.length; i++) out[i] = w[i] + d[i];
        return out;
      },
    };
  }

  async close(): Promise<void> {
    await this.weights.close();
  }

  toString(): string {
    const c = this.config;
    return `PeftAdapter(${this.targets.length} targets, r=${c.r}, alpha=${c.alpha}${c.rsLora ? ", rsLoRA" : ""}${c.fanInFanOut ? ", fan_in_fan_out" : ""})`;
  }
}

/** Opens a PEFT LoRA adapter folder (see PeftAdapter). */
export function openPeftAdapter(dir: string): Promise<PeftAdapter> {
  return PeftAdapter.open(dir);
}

/**
 * The merged model W + ΔW of the adapter in `dir` over `base`, holding the adapter's file open until close()
 * (lab.analysis.weightTrajectory's openAdapter for adapter-only checkpoints).
 */
export async function openMergedAdapter(
  dir: string,
  base: WeightSource,
  baseName?: string,
): Promise<WeightSource & { close(): Promise<void> }> {
  const adapter = await openPeftAdapter(dir);
  try {
    return { ...adapter.mergedWith(base, baseName), close: () => adapter.close() };
  } catch (e) {
    await adapter.close();
    throw e;
  }
}
