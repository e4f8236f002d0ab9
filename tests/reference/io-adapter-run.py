"""A TRL run whose checkpoints hold only a PEFT LoRA adapter (checkpoint-<step>/adapter_model.safetensors +
adapter_config.json + trainer_state.json, as transformers' Trainer saves a PeftModel), over a bf16 base, with
the reference trajectory of the merged weights computed in PyTorch.

Each step's adapter holds float32 factors A [r, in] and B [out, r] of q_proj and down_proj (up_proj adapted in
the config's rank_pattern at r = 2); B grows with the step, so the update grows. The merged weight is PEFT's
W + (B @ A) * s with s = alpha / r, ΔW formed in float64 and rounded to float32, the sum in float32 (W read as
float32 from bf16). Reference per step and precision ("native": merged float32 vs W as float32; "bf16": both
cast to bf16 first): per tensor numel, |Δ| <= tol and Δ == 0 counts (Δ in float32), and the relative update norm
sqrt(ΣΔ²)/sqrt(Σθ₀²) in float64.

stdin: {"dir": folder, "seed": int, "steps": [int], "tol": float}
stdout: {"base": path, "run": path, "checkpoints": [{"step", "native"|"bf16": {"tensors": {name: {"numel","unchanged","exactZero"}}, "relativeNorm"}}]}
Run: echo '{"dir":"/tmp/x","seed":0,"steps":[10,20,30],"tol":1e-5}' | /usr/bin/python3 tests/reference/io-adapter-run.py
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from safetensors_file import write_safetensors  # noqa: E402
from tiny_llama_shapes import SHAPES  # noqa: E402
from trajectory_reference import measure  # noqa: E402

req = json.load(sys.stdin)
out = req["dir"]
tol = torch.tensor(req["tol"], dtype=torch.float32)
g = torch.Generator().manual_seed(req.get("seed", 0))
R, ALPHA, PATTERN = 4, 8, {"up_proj": 2}
TARGETS = ["q_proj", "up_proj", "down_proj"]


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(value, f)


base = {n: (torch.ones(s) if len(s) == 1 else torch.randn(s, generator=g) * 0.02).to(torch.bfloat16) for n, s in SHAPES.items()}
base_dir = os.path.join(out, "base")
os.makedirs(base_dir, exist_ok=True)
write_safetensors(
    os.path.join(base_dir, "model.safetensors"),
    [(n, "BF16", list(x.shape), x.contiguous().view(torch.int16).numpy().tobytes()) for n, x in base.items()],
)
write_json(os.path.join(base_dir, "config.json"), {"architectures": ["LlamaForCausalLM"], "model_type": "llama"})

targets = [n for n in base if any(f".{t}." in n for t in TARGETS)]
factors = {}
for n in targets:
    out_f, in_f = base[n].shape
    r = next((v for k, v in PATTERN.items() if f".{k}." in n), R)
    factors[n] = (r, torch.rand(r, in_f, generator=g) * 2 / in_f**0.5 - 1 / in_f**0.5, torch.randn(out_f, r, generator=g))

run = os.path.join(out, "trl-lora")
checkpoints = []
for k, step in enumerate(req["steps"]):
    ck = os.path.join(run, f"checkpoint-{step}")
    entries, merged = [], {}
    for n in base:
        w = base[n].float()
        if n not in factors:
            merged[n] = w
            continue
        r, a, b0 = factors[n]
        b = b0 * 1e-3 * (k + 1)  # lora_B starts at 0 in PEFT and grows with training
        module = "base_model.model." + n[: -len(".weight")]
        entries += [(module + ".lora_A.weight", "F32", list(a.shape), a.numpy().tobytes()),
                    (module + ".lora_B.weight", "F32", list(b.shape), b.contiguous().numpy().tobytes())]
        delta = ((b.double() @ a.double()) * (ALPHA / r)).float()
        merged[n] = w + delta
    os.makedirs(ck, exist_ok=True)
    write_safetensors(os.path.join(ck, "adapter_model.safetensors"), entries)
    write_json(os.path.join(ck, "adapter_config.json"), {
        "peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": base_dir, "r": R, "lora_alpha": ALPHA,
        "target_modules": TARGETS, "rank_pattern": PATTERN, "bias": "none"})
    write_json(os.path.join(ck, "trainer_state.json"), {"global_step": step, "log_history": [{"step": step, "loss": 1.0 / (k + 1)}]})

    checkpoints.append({"step": step, "native": measure(base, merged, tol), "bf16": measure(base, merged, tol, torch.bfloat16)})
print(json.dumps({"base": base_dir, "run": run, "checkpoints": checkpoints}))
