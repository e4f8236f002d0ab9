# PyTorch peer of bench/train-step.ts: the same GPT-2 architecture written by hand (pre-LN blocks, fused qkv,
# causal softmax attention, gelu tanh MLP, tied lm_head), cross-entropy, clip_grad_norm_(1.0), AdamW.
# stdin: {"config": {vocabSize, dModel, nLayers, nHeads, maxPositions, dFF}, "batch", "seqLen", "steps",
#         "warmup", "threads", "lr", "weightDecay", "seed", "data": [B·(T+1) token ids], "device"?: "cpu" | "cuda"}
# stdout: {"tokensPerSec", "tokensPerCpuSec", "stepSeconds": [...], "losses": [...], "threads", "torch", "blas"}
# Threads are pinned by the caller through OPENBLAS_NUM_THREADS / OMP_NUM_THREADS and here by set_num_threads.
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

inp = json.load(sys.stdin)
c = inp["config"]
torch.set_num_threads(inp["threads"])
torch.manual_seed(inp["seed"])
device = torch.device(inp.get("device", "cpu"))  # "cuda": eager fp32 (TF32 off), the GPU peer of webgpu
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False


class Block(nn.Module):
    def __init__(self, d, h, dff):
        super().__init__()
        self.h = h
        self.ln_1 = nn.LayerNorm(d, eps=1e-5)
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d, eps=1e-5)
        self.c_fc = nn.Linear(d, dff)
        self.mlp_proj = nn.Linear(dff, d)

    def forward(self, x, mask):
        B, T, D = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(D, dim=2)  # [B, T, D] each
        q, k, v = (t.view(B, T, self.h, D // self.h).transpose(1, 2) for t in (q, k, v))  # [B, H, T, hd]
        att = (q @ k.transpose(-2, -1)) / math.sqrt(D // self.h)
        att = att.masked_fill(mask[:T, :T], float("-inf")).softmax(dim=-1)
        z = (att @ v).transpose(1, 2).reshape(B, T, D)
        x = x + self.c_proj(z)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["dModel"]
        self.wte = nn.Embedding(c["vocabSize"], d)
        self.wpe = nn.Embedding(c["maxPositions"], d)
        self.h = nn.ModuleList(Block(d, c["nHeads"], c["dFF"]) for _ in range(c["nLayers"]))
        self.ln_f = nn.LayerNorm(d, eps=1e-5)
        mask = torch.ones(c["maxPositions"], c["maxPositions"], dtype=torch.bool).triu(1)
        self.register_buffer("mask", mask)
        # GPT-2 init, as rftlab's createModel: N(0, 0.02²) weights, zero biases, residual projections / √(2L)
        for name, p in self.named_parameters():
            if p.dim() == 1:
                is_norm_gain = name.endswith("weight") and (name.startswith("ln") or ".ln_" in name)
                nn.init.ones_(p) if is_norm_gain else nn.init.zeros_(p)
            else:
                std = 0.02 / math.sqrt(2 * c["nLayers"]) if name.endswith("c_proj.weight") or name.endswith("mlp_proj.weight") else 0.02
                nn.init.normal_(p, std=std)

    def forward(self, ids):
        T = ids.shape[1]
        x = self.wte(ids) + self.wpe(torch.arange(T, device=ids.device))
        for b in self.h:
            x = b(x, self.mask)
        return self.ln_f(x) @ self.wte.weight.T  # [B, T, V], tied lm_head


model = GPT(c).to(device)
opt = torch.optim.AdamW(model.parameters(), lr=inp["lr"], weight_decay=inp["weightDecay"])
B, T = inp["batch"], inp["seqLen"]
data = torch.tensor(inp["data"]).reshape(B, T + 1).to(device)  # the same token ids as the rftlab runs
ids, targets = data[:, :-1], data[:, 1:]
times, cpu_times, losses = [], [], []
for step in range(inp["warmup"] + inp["steps"]):
    t0, c0 = time.perf_counter(), time.process_time()
    logits = model(ids)
    loss = F.cross_entropy(logits.reshape(-1, c["vocabSize"]), targets.reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    losses.append(loss.item())  # a device sync each step, as rftlab's loss read
    if step >= inp["warmup"]:
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)  # all threads of the process

# Debian's torch links libblas.so.3, which the alternatives system points at OpenBLAS or the reference BLAS:
# read what is actually mapped.
maps = open("/proc/self/maps").read().lower()
blas = "OpenBLAS" if "openblas" in maps else ("MKL" if "libmkl" in maps else "reference BLAS")
if device.type == "cuda":
    blas = f"CUDA {torch.version.cuda} on {torch.cuda.get_device_name(device)}"
print(json.dumps({
    "tokensPerSec": B * T * len(times) / sum(times),
    "tokensPerCpuSec": B * T * len(times) / sum(cpu_times),
    "stepSeconds": times,
    "losses": losses,
    "threads": torch.get_num_threads(),
    "torch": torch.__version__,
    "blas": blas,
    "params": sum(p.numel() for p in model.parameters()),
}))
