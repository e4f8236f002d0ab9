# Reference for tests/tensor/optim.test.ts: torch.optim.AdamW + torch.nn.utils.clip_grad_norm_.
# stdin: {"params": {name: {"shape": [...], "data": [...]}}, "grads": [{name: [...]}, ...] (one dict per step),
#         "lrs": [lr per step], "config": {beta1, beta2, eps, weightDecay}, "maxNorm": number | null,
#         "noDecay": [names without weight decay]}
# stdout: {"params": {name: [...]}, "norms": [pre-clip global norm per step], "expAvg": {...}, "expAvgSq": {...}}
# Run by hand: echo '<json>' | /usr/bin/python3 tests/reference/tensor-adamw.py
import json
import sys

import torch

inp = json.load(sys.stdin)
cfg = inp["config"]
names = list(inp["params"])
params = {n: torch.tensor(p["data"], dtype=torch.float32).reshape(p["shape"]).requires_grad_() for n, p in inp["params"].items()}
no_decay = set(inp.get("noDecay", []))
groups = [
    {"params": [params[n] for n in names if n not in no_decay], "weight_decay": cfg["weightDecay"]},
    {"params": [params[n] for n in names if n in no_decay], "weight_decay": 0.0},
]
opt = torch.optim.AdamW(
    [g for g in groups if g["params"]], lr=inp["lrs"][0], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"], foreach=False
)
norms = []
for grads, lr in zip(inp["grads"], inp["lrs"]):
    for n in names:
        params[n].grad = torch.tensor(grads[n], dtype=torch.float32).reshape(params[n].shape) if n in grads else None
    if inp.get("maxNorm") is not None:
        norms.append(float(torch.nn.utils.clip_grad_norm_([params[n] for n in names if n in grads], inp["maxNorm"])))
    for g in opt.param_groups:
        g["lr"] = lr
    opt.step()
state = {n: opt.state[params[n]] for n in names}
print(json.dumps({
    "params": {n: params[n].detach().flatten().tolist() for n in names},
    "norms": norms,
    "expAvg": {n: state[n]["exp_avg"].flatten().tolist() for n in names},
    "expAvgSq": {n: state[n]["exp_avg_sq"].flatten().tolist() for n in names},
}))
