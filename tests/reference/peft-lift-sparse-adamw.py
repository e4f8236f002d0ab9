# Reference for tests/peft/recomputed-masks.test.ts: LIFT's sparse AdamW (arXiv 2506.00772, the released
# src/sparseAdam.py "lift_sparse"): Adam state is stored only for the masked entries (vectors gathered by the
# mask); every `interval` steps the mask is recomputed as the top-k |W_r| (rank-r SVD in float64) and the
# state is scattered back to the dense layout and gathered by the new mask, so entries that stay keep their
# moments, entries that leave lose them and entries that enter start at zero. Moments follow
# torch.optim.AdamW (ε after the bias-corrected √v), no weight decay. Loss: mean((X·Wᵀ − Y)²).
# stdin: {"w": {"shape": [m, n], "data": [...]}, "x": {"shape": [b, n], "data": [...]}, "y": {"shape": [b, m], "data": [...]},
#         "steps", "lr", "interval", "rank", "loraRank", "beta1", "beta2", "eps"}
# stdout: {"w": [...] final weights, "masks": [[indices] initial mask, then after each recomputation], "entered": [share per recomputation]}
# Run by hand: echo '<json>' | /usr/bin/python3 tests/reference/peft-lift-sparse-adamw.py
import json
import math
import sys

import torch

inp = json.load(sys.stdin)
t32 = lambda d: torch.tensor(d["data"], dtype=torch.float32).reshape(d["shape"])
W = t32(inp["w"]).requires_grad_()
X, Y = t32(inp["x"]), t32(inp["y"])
m, n = W.shape
k = min(m * n, (m + n) * inp["loraRank"])
b1, b2, eps, lr = inp["beta1"], inp["beta2"], inp["eps"], inp["lr"]


def principal_mask(w):
    u, s, vh = torch.linalg.svd(w.detach().double(), full_matrices=False)
    r = inp["rank"]
    wr = (u[:, :r] * s[:r]) @ vh[:r]
    mask = torch.zeros(m * n, dtype=torch.bool)
    mask[torch.topk(wr.abs().flatten(), k).indices] = True
    return mask.reshape(m, n)


mask = principal_mask(W)
masks = [mask.flatten().nonzero().flatten().tolist()]
entered = []
exp_avg, exp_avg_sq, t = torch.zeros(k), torch.zeros(k), 0
for step in range(1, inp["steps"] + 1):
    W.grad = None
    ((X @ W.T - Y) ** 2).mean().backward()
    g = W.grad[mask]
    t += 1
    exp_avg = b1 * exp_avg + (1 - b1) * g
    exp_avg_sq = b2 * exp_avg_sq + (1 - b2) * g * g
    denom = exp_avg_sq.sqrt() / math.sqrt(1 - b2**t) + eps
    with torch.no_grad():
        W[mask] -= lr / (1 - b1**t) * exp_avg / denom
    if step % inp["interval"] == 0:
        dense_avg, dense_sq = torch.zeros(m, n), torch.zeros(m, n)
        dense_avg[mask], dense_sq[mask] = exp_avg, exp_avg_sq
        new = principal_mask(W)
        entered.append(float((new & ~mask).sum()) / k)
        mask = new
        exp_avg, exp_avg_sq = dense_avg[mask], dense_sq[mask]
        masks.append(mask.flatten().nonzero().flatten().tolist())
print(json.dumps({"w": W.detach().flatten().tolist(), "masks": masks, "entered": entered}))
