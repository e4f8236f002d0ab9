"""PEFT LoRA adapters and their merged weights, for tests/peft/peft-adapter.test.ts.

Writes, per case, what peft's save_pretrained writes (adapter_config.json; adapter_model.safetensors with keys
base_model.model.<module>.lora_A.weight / lora_B.weight, lora_embedding_A / lora_embedding_B) and merged.safetensors
computed as peft's get_delta_weight does (peft/tuners/lora/layer.py): W + transpose(B @ A, fan_in_fan_out) * s,
embeddings W + (B @ A).T * s, s = alpha / r or alpha / sqrt(r) (use_rslora), r and alpha per module from
rank_pattern / alpha_pattern. peft is not installed here, so the adapter layers below restate PEFT's forward
passes; each case also checks that forward(x) through the adapter equals forward(x) with the merged weight.

Input (stdin JSON): {"dir": folder}. Output: {"cases": [{"name", "base", "adapter", "merged", "forwardError"}]}.
Regenerate: node dist/tests/run.js peft-adapter (the test runs this script).
"""
import json
import math
import os
import re
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from safetensors_file import write_safetensors  # noqa: E402

torch.manual_seed(0)
D = 64


def raw(t, dtype):
    t = t.detach().contiguous()
    if dtype == "BF16":
        return t.to(torch.bfloat16).view(torch.int16).numpy().tobytes()
    return t.to(torch.float32).numpy().tobytes()


def save(path, tensors, dtype="F32"):
    write_safetensors(path, [(n, dtype, list(t.shape), raw(t, dtype)) for n, t in tensors.items()])


def pattern(patterns, module, default):
    for key, value in patterns.items():
        if re.match(rf"(.*\.)?({key})$", module):
            return value
    return default


def lora_case(out, name, base, base_path, modules, cfg, factor_dtype="F32", extra=None):
    """modules: {module: kind} with kind "linear", "conv1d" or "embedding"."""
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    adapter, merged = {}, {k: v.clone() for k, v in base.items()}
    worst = 0.0
    for module, kind in modules.items():
        key = next(k for k in base if k.endswith(module + ".weight") or (module + ".weight").endswith("." + k))
        w = base[key]
        r = pattern(cfg.get("rank_pattern", {}), module, cfg["r"])
        alpha = pattern(cfg.get("alpha_pattern", {}), module, cfg["lora_alpha"])
        s = alpha / math.sqrt(r) if cfg.get("use_rslora") else alpha / r
        if kind == "embedding":
            num, dim = w.shape
            a = torch.randn(r, num) * 0.3  # lora_embedding_A [r, num_embeddings]
            b = torch.randn(dim, r) * 0.3  # lora_embedding_B [embedding_dim, r]
        else:
            fan_in, fan_out = (w.shape[0], w.shape[1]) if kind == "conv1d" else (w.shape[1], w.shape[0])
            a = torch.empty(r, fan_in)
            torch.nn.init.kaiming_uniform_(a, a=math.sqrt(5))  # PEFT's init of lora_A
            b = torch.randn(fan_out, r) * 0.05  # "trained" lora_B (PEFT starts it at 0)
        if factor_dtype == "BF16":  # the file holds bf16 factors; the merge uses those values
            a, b = a.to(torch.bfloat16).float(), b.to(torch.bfloat16).float()
        fan_in_fan_out = kind == "conv1d"
        delta = (b @ a).T * s if kind == "embedding" or fan_in_fan_out else (b @ a) * s
        merged[key] = w + delta
        prefix = "base_model.model." + module
        if kind == "embedding":
            adapter[prefix + ".lora_embedding_A"], adapter[prefix + ".lora_embedding_B"] = a, b
            ids = torch.randint(0, w.shape[0], (5,))
            through = torch.nn.functional.embedding(ids, w) + (torch.nn.functional.embedding(ids, a.T) @ b.T) * s
            direct = torch.nn.functional.embedding(ids, merged[key])
        else:
            adapter[prefix + ".lora_A.weight"], adapter[prefix + ".lora_B.weight"] = a, b
            x = torch.randn(3, a.shape[1])
            base_out = x @ w if kind == "conv1d" else x @ w.T  # Conv1D: x @ W; Linear: x @ Wᵀ
            through = base_out + (x @ a.T @ b.T) * s
            direct = x @ merged[key] if kind == "conv1d" else x @ merged[key].T
        worst = max(worst, (through - direct).abs().max().item())
    for k, v in (extra or {}).items():
        adapter[k] = v
    save(os.path.join(folder, "adapter_model.safetensors"), adapter, factor_dtype)
    config = {"peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": base_path, "bias": "none", **cfg}
    with open(os.path.join(folder, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2)
    save(os.path.join(folder, "merged.safetensors"), merged)
    return {"name": name, "base": base_path, "adapter": folder, "merged": os.path.join(folder, "merged.safetensors"), "forwardError": worst}


def main():
    out = json.load(sys.stdin)["dir"]
    llama = {
        "model.embed_tokens.weight": torch.randn(50, D) * 0.02,
        "model.layers.0.input_layernorm.weight": torch.ones(D),
        "model.layers.0.self_attn.q_proj.weight": torch.randn(D, D) * 0.02,
        "model.layers.0.mlp.up_proj.weight": torch.randn(96, D) * 0.02,
        "model.layers.1.self_attn.q_proj.weight": torch.randn(D, D) * 0.02,
    }
    # GPT-2 as GPT2Model saves it: no "transformer." prefix, Conv1D weights [in, out].
    gpt2 = {
        "h.0.ln_1.weight": torch.ones(D),
        "h.0.attn.c_attn.weight": torch.randn(D, 3 * D) * 0.02,
        "h.0.mlp.c_fc.weight": torch.randn(D, 4 * D) * 0.02,
    }
    llama_path, gpt2_path = os.path.join(out, "llama-base.safetensors"), os.path.join(out, "gpt2-base.safetensors")
    save(llama_path, llama)
    save(gpt2_path, gpt2)
    cases = [
        lora_case(
            out,
            "lora",
            llama,
            llama_path,
            {
                "model.embed_tokens": "embedding",
                "model.layers.0.self_attn.q_proj": "linear",
                "model.layers.0.mlp.up_proj": "linear",
                "model.layers.1.self_attn.q_proj": "linear",
            },
            {"r": 4, "lora_alpha": 8, "target_modules": ["embed_tokens", "q_proj", "up_proj"],
             "rank_pattern": {"up_proj": 2}, "alpha_pattern": {"layers.1.self_attn.q_proj": 16}},
        ),
        lora_case(
            out,
            "rslora-bf16",
            llama,
            llama_path,
            {"model.layers.0.self_attn.q_proj": "linear", "model.layers.1.self_attn.q_proj": "linear"},
            {"r": 8, "lora_alpha": 16, "use_rslora": True, "target_modules": ["q_proj"]},
            factor_dtype="BF16",
        ),
        lora_case(
            out,
            "gpt2-fan-in-fan-out",
            gpt2,
            gpt2_path,
            {"transformer.h.0.attn.c_attn": "conv1d", "transformer.h.0.mlp.c_fc": "conv1d"},
            {"r": 4, "lora_alpha": 4, "fan_in_fan_out": True, "target_modules": ["c_attn", "c_fc"], "bias": "lora_only"},
            extra={"base_model.model.transformer.h.0.attn.c_attn.bias": torch.randn(3 * D) * 0.01},
        ),
    ]
    json.dump({"cases": cases}, sys.stdout)


main()
