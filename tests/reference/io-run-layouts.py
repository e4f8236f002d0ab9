"""A 5-checkpoint bf16 training run written in the folder layouts of TRL, verl, OpenRLHF and plain HF
folders, with the reference trajectory computed in PyTorch.

The base is a small Llama-named model; each step adds a sparse update in float32 (half of the entries
below bf16 spacing, so they vanish in the bf16 cast) and stores the result in bf16. Layout files follow
the engines' documented formats (environment.md, "Run layouts"): config.json with _name_or_path naming the
base folder, TRL's trainer_state.json, verl's fsdp_config.json, FSDP rank shards and
latest_checkpointed_iteration.txt, OpenRLHF's _actor/global_step<n>/ DeepSpeed folder and _actor/latest.
The .pt files hold placeholder bytes, not pickles: rftlab must never open them.

Reference per checkpoint and precision ("native" = bf16 as stored; "fp16" = cast first): per tensor numel,
|Δ| <= tol count and Δ == 0 count (Δ in float32, as torch computes it), and the relative update norm
sqrt(ΣΔ²)/sqrt(Σθ₀²) in float64; ranks: torch.linalg.matrix_rank of the float32 ΔW of the q_proj matrices.

stdin: {"dir": folder, "seed": int, "steps": [int], "tol": float}
stdout: {"base": path, "runs": {"trl"|"verl"|"openrlhf"|"plain": path}, "checkpoints": [{"step",
         "native"|"fp16": {"tensors": {name: {"numel","unchanged","exactZero"}}, "relativeNorm"}, "ranks": {name: int}}]}
Run: echo '{"dir":"/tmp/x","seed":0,"steps":[100,200,300,400,500],"tol":1e-5}' | /usr/bin/python3 tests/reference/io-run-layouts.py
"""
import json
import os
import sys

import torch

from safetensors_file import write_safetensors
from tiny_llama_shapes import SHAPES
from trajectory_reference import measure

req = json.load(sys.stdin)
out = req["dir"]
steps = req["steps"]
tol = torch.tensor(req["tol"], dtype=torch.float32)
g = torch.Generator().manual_seed(req.get("seed", 0))

CONFIG = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 32, "num_hidden_layers": 2}


def raw(x):
    return x.contiguous().view(torch.int16).numpy().tobytes()


def write_weights(folder, tensors, sharded=False):
    os.makedirs(folder, exist_ok=True)
    names = list(tensors)
    if not sharded:
        write_safetensors(os.path.join(folder, "model.safetensors"), [(n, "BF16", tensors[n].shape, raw(tensors[n])) for n in names])
        return
    parts = [names[: len(names) // 2], names[len(names) // 2 :]]
    weight_map = {}
    for i, part in enumerate(parts):
        fname = f"model-{i + 1:05d}-of-{len(parts):05d}.safetensors"
        write_safetensors(os.path.join(folder, fname), [(n, "BF16", tensors[n].shape, raw(tensors[n])) for n in part])
        weight_map.update({n: fname for n in part})
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f)


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(value, f)


def write_bytes(path, data=b"placeholder, not a pickle"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


base32 = {}
for name, shape in SHAPES.items():
    base32[name] = torch.ones(shape) if len(shape) == 1 else torch.randn(shape, generator=g) * 0.02
base = {n: x.to(torch.bfloat16) for n, x in base32.items()}
base_dir = os.path.join(out, "base")
write_weights(base_dir, base)
write_json(os.path.join(base_dir, "config.json"), {**CONFIG, "_name_or_path": "meta-llama/base"})
config = {**CONFIG, "_name_or_path": base_dir}

series = []
current = {n: x.clone() for n, x in base32.items()}
for k, step in enumerate(steps):
    for name, x in current.items():
        if x.dim() == 1:
            continue  # norms untouched, as in the paper
        mask = (torch.rand(x.shape, generator=g) < 0.1 + 0.05 * k).float()
        scale = torch.where(torch.rand(x.shape, generator=g) < 0.5, torch.tensor(3e-6), torch.tensor(2e-3))
        current[name] = x + mask * torch.randn(x.shape, generator=g) * scale
    series.append((step, {n: x.to(torch.bfloat16) for n, x in current.items()}))

runs = {name: os.path.join(out, name) for name in ("trl", "verl", "openrlhf", "plain")}
for i, (step, w) in enumerate(series):
    last = i == len(series) - 1
    # TRL / transformers Trainer: output_dir/checkpoint-<step>/ (the last one sharded, as large models are)
    ck = os.path.join(runs["trl"], f"checkpoint-{step}")
    write_weights(ck, w, sharded=last)
    write_json(os.path.join(ck, "config.json"), config)
    write_json(os.path.join(ck, "trainer_state.json"), {"global_step": step, "log_history": [{"step": step, "loss": 1.0 / (i + 1)}]})
    for f in ("optimizer.pt", "scheduler.pt", "rng_state.pth", "training_args.bin"):
        write_bytes(os.path.join(ck, f))
    # verl: global_step_<n>/actor/ with huggingface/ (hf_model saved), FSDP rank shards, fsdp_config.json
    actor = os.path.join(runs["verl"], f"global_step_{step}", "actor")
    write_weights(os.path.join(actor, "huggingface"), w)
    write_json(os.path.join(actor, "huggingface", "config.json"), config)
    write_json(os.path.join(actor, "fsdp_config.json"), {"FSDP_version": 1, "world_size": 2})
    for r in range(2):
        for kind in ("model", "optim", "extra_state"):
            write_bytes(os.path.join(actor, f"{kind}_world_size_2_rank_{r}.pt"))
    write_bytes(os.path.join(runs["verl"], f"global_step_{step}", "data.pt"))
    # OpenRLHF: <ckpt_path>/global_step<n>_hf/ (--save_hf_ckpt) and DeepSpeed states in _actor/global_step<n>/
    hf = os.path.join(runs["openrlhf"], f"global_step{step}_hf")
    write_weights(hf, w)
    write_json(os.path.join(hf, "config.json"), config)
    write_bytes(os.path.join(runs["openrlhf"], "_actor", f"global_step{step}", "mp_rank_00_model_states.pt"))
    # plain folders of HF checkpoints
    write_weights(os.path.join(runs["plain"], f"step-{step}"), w)
with open(os.path.join(runs["verl"], "latest_checkpointed_iteration.txt"), "w") as f:
    f.write(str(steps[-1]))
with open(os.path.join(runs["openrlhf"], "_actor", "latest"), "w") as f:
    f.write(f"global_step{steps[-1]}")


checkpoints = []
for step, w in series:
    ranks = {n: int(torch.linalg.matrix_rank(w[n].float() - base[n].float())) for n in base if "q_proj" in n}
    checkpoints.append({"step": step, "native": measure(base, w, tol), "fp16": measure(base, w, tol, torch.float16), "ranks": ranks})
print(json.dumps({"base": base_dir, "runs": runs, "checkpoints": checkpoints}))
