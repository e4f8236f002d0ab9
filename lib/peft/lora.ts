import { tf } from "../tensor/tf";
import type { Transformer } from "../model";
import { RftlabError } from "../errors";
import { createRng } from "../base/random";
import { writeFileAtomic, writeSafetensors } from "../io";
import { loraScaling, resolveLoraConfig, type LoraConfig } from "./lora-config";
import path from "node:path";

/** GPT-2's Conv1D stores weights [in, out]; Llama/Qwen2 Linear stores [out, in]. */
function isConv1D(model: Transformer, weightName: string): boolean {
  return model.config.family === "gpt2" && /\.(c_attn|c_proj|c_fc)\.weight$/.test(weightName);
}

interface LoraModule {
  weightName: string;
  A: tf.Variable; // [r, in]
  B: tf.Variable; // [out, r]
  inFeatures: number;
  outFeatures: number;
}

/**
 * A LoRA adapter attached to a model: y = W x + s·B(A(dropout(x))), s = α/r (PEFT semantics).
 * A ~ U(±1/√in) (kaiming-uniform with a = √5), B = 0, so a fresh adapter leaves the model unchanged.
 * The reference policy for a fresh adapter is the base model with the adapter disabled (`withDisabled`).
 */
export class LoraAdapter {
  readonly config: LoraConfig;
  readonly scaling: number;
  readonly modules: LoraModule[];
  private attached = false;
  private merged = false;
  /** Dropout is applied only while training is true. */
  training = false;

  constructor(
    readonly model: Transformer,
    partial: Partial<LoraConfig> = {},
  ) {
    this.config = resolveLoraConfig(model.config.family, partial);
    this.scaling = loraScaling(this.config);
    const rng = createRng(this.config.seed);
    const targets = model
      .paramNames()
      .filter((n) => n.endsWith(".weight") && this.config.targetModules.some((m) => n.endsWith(`.${m}.weight`)));
    if (targets.length === 0) {
      throw new RftlabError(
        `LoRA: no parameter matches targetModules ${JSON.stringify(this.config.targetModules)} in this ${model.config.family} model`,
      );
    }
    const r = this.config.r;
    this.modules = targets.map((weightName) => {
      const [d0, d1] = model.param(weightName).shape;
      const [inF, outF] = isConv1D(model, weightName) ? [d0, d1] : [d1, d0];
      const bound = 1 / Math.sqrt(inF);
      const a = Float32Array.from({ length: r * inF }, () => (2 * rng.next() - 1) * bound);
      return {
        weightName,
        inFeatures: inF,
        outFeatures: outF,
        // tidy frees the initial values (a variable holds its own reference; tidy never disposes variables).
        A: tf.tidy(() => tf.variable(tf.tensor2d(a, [r, inF]), true)),
        B: tf.tidy(() => tf.variable(tf.zeros([outF, r]), true)),
      };
    });
    this.attach();
  }

  /** Trainable adapter parameters keyed by PEFT's names (base_model.model.<module>.lora_A.weight). */
  params(): Map<string, tf.Variable> {
    const m = new Map<string, tf.Variable>();
    for (const mod of this.modules) {
      const base = `base_model.model.${mod.weightName.replace(/\.weight$/, "")}`;
      m.set(`${base}.lora_A.weight`, mod.A);
      m.set(`${base}.lora_B.weight`, mod.B);
    }
    return m;
  }

  /** Routes each target linear through its adapter. */
  attach(): void {
    if (this.merged) throw new RftlabError("LoRA: cannot attach while merged; call unmerge() first");
    for (const mod of this.modules) {
      this.model.setLinearAdapter(mod.weightName, (x) => this.delta(mod, x));
    }
    this.attached = true;
  }

  detach(): void {
    for (const mod of this.modules) this.model.setLinearAdapter(mod.weightName, undefined);
    this.attached = false;
  }

  get isAttached(): boolean {
    return this.attached;
  }

  /** Runs fn on the base model (adapter off): the reference policy for KL terms. */
  withDisabled<T>(fn: () => T): T {
    const was = this.attached;
    if (was) this.detach();
    try {
      return fn();
    } finally {
      if (was) this.attach();
    }
  }

  /** s·B(A(dropout(x))) for x [..., in] → [..., out]. */
  private delta(mod: LoraModule, x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const shape = x.shape;
      let h = x.reshape([-1, mod.inFeatures]); // [N, in]
      if (this.training && this.config.dropout > 0) h = tf.dropout(h, this.config.dropout);
      const out = h.matMul(mod.A, false, true).matMul(mod.B, false, true).mul(this.scaling); // [N, out]
      return out.reshape([...shape.slice(0, -1), mod.outFeatures]);
    });
  }

  /** ΔW = s·B·A in the base weight's own layout ([out, in], or [in, out] for GPT-2 Conv1D). */
  deltaWeight(weightName: string): tf.Tensor2D {
    const mod = this.modules.find((m) => m.weightName === weightName);
    if (!mod) throw new RftlabError(`LoRA: ${weightName} is not adapted; adapted: ${this.modules.map((m) => m.weightName).join(", ")}`);
    return tf.tidy(() => {
      const d = mod.B.matMul(mod.A).mul(this.scaling) as tf.Tensor2D; // [out, in]
      return isConv1D(this.model, weightName) ? d.transpose() : d;
    });
  }

  /** W += s·B·A for every module and detaches the adapter (forward then costs nothing extra). */
  merge(): void {
    if (this.merged) return;
    this.detach();
    for (const mod of this.modules) {
      const w = this.model.param(mod.weightName);
      this.shiftWeight(w, mod.weightName, 1);
    }
    this.merged = true;
  }

  /** PEFT's merge_and_unload: W += s·B·A for good, then frees the adapter's tensors (it cannot be used again). */
  mergeAndUnload(): void {
    this.merge();
    for (const m of this.modules) {
      m.A.dispose();
      m.B.dispose();
    }
    this.merged = false;
  }

  /** W ← W + sign·ΔW; assign keeps its argument, so the sum is freed here. */
  private shiftWeight(w: tf.Variable, weightName: string, sign: 1 | -1): void {
    const next = tf.tidy(() => {
      const d = this.deltaWeight(weightName);
      return sign > 0 ? w.add(d) : w.sub(d);
    });
    w.assign(next);
    next.dispose();
  }

  /** Subtracts the merged update again and re-attaches the adapter. */
  unmerge(): void {
    if (!this.merged) return;
    for (const mod of this.modules) {
      const w = this.model.param(mod.weightName);
      this.shiftWeight(w, mod.weightName, -1);
    }
    this.merged = false;
    this.attach();
  }

  /** Saves adapter_model.safetensors + adapter_config.json in PEFT's layout (loadable by peft.PeftModel). */
  async save(folder: string, baseModel = ""): Promise<void> {
    const tensors = await Promise.all(
      [...this.params()].map(async ([name, v]) => ({
        name,
        dtype: "F32" as const,
        shape: v.shape,
        data: (await v.data()) as Float32Array,
      })),
    );
    await writeSafetensors(path.join(folder, "adapter_model.safetensors"), tensors, { format: "pt" });
    const c = this.config;
    const peftConfig = {
      peft_type: "LORA",
      task_type: "CAUSAL_LM",
      base_model_name_or_path: baseModel,
      r: c.r,
      lora_alpha: c.alpha,
      lora_dropout: c.dropout,
      use_rslora: c.rsLora,
      target_modules: c.targetModules,
      fan_in_fan_out: this.model.config.family === "gpt2",
      bias: "none",
      init_lora_weights: true,
    };
    await writeFileAtomic(path.join(folder, "adapter_config.json"), JSON.stringify(peftConfig, null, 2) + "\n");
  }

  /** Number of trainable adapter parameters. */
  numParams(): number {
    return this.modules.reduce((s, m) => s + m.A.size + m.B.size, 0);
  }

  dispose(): void {
    if (this.merged) this.unmerge();
    this.detach();
    for (const m of this.modules) {
      m.A.dispose();
      m.B.dispose();
    }
  }

  toString(): string {
    return `LoraAdapter(r=${this.config.r}, alpha=${this.config.alpha}${this.config.rsLora ? ", rsLoRA" : ""}, ${this.modules.length} modules, ${this.numParams()} params${this.merged ? ", merged" : ""})`;
  }
}

/** Attaches a fresh LoRA adapter to `model` (see LoraAdapter). */
export function attachLora(model: Transformer, config: Partial<LoraConfig> = {}): LoraAdapter {
  return new LoraAdapter(model, config);
}
