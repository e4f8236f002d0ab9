"""Reference update-sparsity metrics computed in PyTorch on checkpoints written by torch.

Writes base/tuned checkpoints (f32 single file; bf16 single file; tuned ones sharded with an index)
by hand (8-byte LE header length, JSON header, raw bytes; bf16 via .view(torch.int16)), then for each
requested (pair, tol, precision) counts per tensor entries with |Δ| ≤ tol and Δ == 0, after casting both
sides to the precision (native = as stored), Δ in float32. Also torch.linalg.matrix_rank of each 2-D ΔW.

stdin: {"dir": folder, "seed": int, "cases": [{"pair": "f32"|"bf16", "tol": float, "precision": str}]}
stdout: {"paths": {"f32": {"base", "tuned"}, "bf16": {...}}, "results": [{"pair", "tol", "precision",
         "tensors": {name: {"numel", "unchanged", "exactZero"}}}], "ranks": {name: int}}
Run: echo '{"dir":"/tmp/x","seed":0,"cases":[{"pair":"bf16","tol":1e-5,"precision":"native"}]}' | /usr/bin/python3 tests/reference/analysis-metrics.py
"""
import json
import os

from safetensors_file import write_safetensors
from tiny_llama_shapes import SHAPES
import sys

import torch

req = json.load(sys.stdin)
out_dir = req["dir"]
os.makedirs(out_dir, exist_ok=True)
g = torch.Generator().manual_seed(req.get("seed", 0))

base, tuned = {}, {}
for i, (name, shape) in enumerate(SHAPES.items()):
    if len(shape) == 1:
        base[name] = torch.ones(shape)
        tuned[name] = base[name].clone()  # norms untouched
        continue
    b = torch.randn(shape, generator=g) * 0.02
    mask = (torch.rand(shape, generator=g) < 0.3).float()
    # Mixed update sizes: many below bf16 spacing (vanish after a bf16 cast), some large.
    scale = torch.where(torch.rand(shape, generator=g) < 0.5, torch.tensor(3e-6), torch.tensor(2e-3))
    t = b + mask * torch.randn(shape, generator=g) * scale
    base[name], tuned[name] = b, t


def raw(x):
    if x.dtype == torch.bfloat16:
        return x.contiguous().view(torch.int16).numpy().tobytes()
    return x.contiguous().numpy().tobytes()


def write_file(path, tensors):
    dtypes = {torch.float32: "F32", torch.bfloat16: "BF16"}
    write_safetensors(path, [(name, dtypes[x.dtype], x.shape, raw(x)) for name, x in tensors.items()])


def write_sharded(folder, tensors):
    os.makedirs(folder, exist_ok=True)
    names = list(tensors)
    half = len(names) // 2
    shards = [names[:half], names[half:]]
    weight_map = {}
    for i, part in enumerate(shards):
        fname = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        write_file(os.path.join(folder, fname), {n: tensors[n] for n in part})
        weight_map.update({n: fname for n in part})
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": weight_map}, f)


paths = {}
stored = {}
for pair, dtype in (("f32", torch.float32), ("bf16", torch.bfloat16)):
    b = {n: x.to(dtype) for n, x in base.items()}
    t = {n: x.to(dtype) for n, x in tuned.items()}
    bp = os.path.join(out_dir, f"base-{pair}.safetensors")
    tp = os.path.join(out_dir, f"tuned-{pair}")
    write_file(bp, b)
    write_sharded(tp, t)
    paths[pair] = {"base": bp, "tuned": tp}
    stored[pair] = (b, t)

CAST = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}
results = []
for case in req["cases"]:
    b, t = stored[case["pair"]]
    tol = torch.tensor(case["tol"], dtype=torch.float32)
    tensors = {}
    for name in b:
        x, y = b[name].float(), t[name].float()
        if case["precision"] != "native":
            x = x.to(CAST[case["precision"]]).float()
            y = y.to(CAST[case["precision"]]).float()
        d = y - x
        tensors[name] = {"numel": d.numel(), "unchanged": int((d.abs() <= tol).sum()), "exactZero": int((d == 0).sum())}
    results.append({**case, "tensors": tensors})

ranks = {n: int(torch.linalg.matrix_rank(tuned[n] - base[n])) for n in base if base[n].dim() == 2}
print(json.dumps({"paths": paths, "results": results, "ranks": ranks}))
