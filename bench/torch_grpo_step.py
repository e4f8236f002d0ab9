"""PyTorch peer of bench/grpo-step.ts: the same Llama weights (safetensors read by hand), greedy
sampling with and without a KV cache, and one GRPO-style training step (forward + backward + AdamW).

Reads JSON on stdin: {"model_dir", "prompts": [[ids]], "new_tokens", "threads", "repeats", "device"?: "cpu" | "cuda"};
prints JSON timings. "cuda" (torch ≥ 2.0): eager fp32 with TF32 off, every timing ends with a device sync.
"""
import importlib.util
import json
import math
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "tests", "reference")
sys.path.insert(0, REFERENCE)  # model-forward.py imports its neighbour safetensors_file.py
_spec = importlib.util.spec_from_file_location("model_forward", os.path.join(REFERENCE, "model-forward.py"))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)


class Llama(torch.nn.Module):
    """Hand-written Llama (RMSNorm, RoPE, SwiGLU, tied head) with an optional KV cache."""

    def __init__(self, cfg, w):
        super().__init__()
        self.cfg = cfg
        self.w = torch.nn.ParameterDict({k.replace(".", "__"): torch.nn.Parameter(v.clone().to(DEVICE)) for k, v in w.items()})
        self.H = cfg["num_attention_heads"]
        self.Hkv = cfg.get("num_key_value_heads", self.H)
        self.hd = cfg.get("head_dim") or cfg["hidden_size"] // self.H
        self.eps = cfg.get("rms_norm_eps", 1e-6)
        self.inv = ref.rope_inv_freq(cfg, self.hd).to(DEVICE)

    def p(self, n):
        return self.w[n.replace(".", "__")]

    def rms(self, x, n):
        return self.p(n + ".weight") * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))

    def forward(self, ids, cache=None, pos=0):
        B, T = ids.shape
        H, Hkv, hd = self.H, self.Hkv, self.hd
        freqs = torch.arange(pos, pos + T, dtype=torch.float32)[:, None] * self.inv[None, :]
        emb = torch.cat((freqs, freqs), -1)
        cos, sin = emb.cos(), emb.sin()
        x = self.p("model.embed_tokens.weight")[ids]
        for l in range(self.cfg["num_hidden_layers"]):
            pre = f"model.layers.{l}."
            a = self.rms(x, pre + "input_layernorm")
            q = (a @ self.p(pre + "self_attn.q_proj.weight").T).view(B, T, H, hd).transpose(1, 2)
            k = (a @ self.p(pre + "self_attn.k_proj.weight").T).view(B, T, Hkv, hd).transpose(1, 2)
            v = (a @ self.p(pre + "self_attn.v_proj.weight").T).view(B, T, Hkv, hd).transpose(1, 2)
            q = q * cos + ref.rotate_half(q) * sin
            k = k * cos + ref.rotate_half(k) * sin
            if cache is not None:
                if l in cache:
                    k = torch.cat((cache[l][0], k), 2)
                    v = torch.cat((cache[l][1], v), 2)
                cache[l] = (k, v)
            k = k.repeat_interleave(H // Hkv, dim=1)
            v = v.repeat_interleave(H // Hkv, dim=1)
            S = k.shape[2]
            s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
            mask = torch.ones(T, S, dtype=torch.bool).triu(S - T + 1)
            s = s.masked_fill(mask, torch.finfo(torch.float32).min)
            z = (torch.softmax(s, -1) @ v).transpose(1, 2).reshape(B, T, H * hd)
            x = x + z @ self.p(pre + "self_attn.o_proj.weight").T
            m = self.rms(x, pre + "post_attention_layernorm")
            g = m @ self.p(pre + "mlp.gate_proj.weight").T
            u = m @ self.p(pre + "mlp.up_proj.weight").T
            x = x + (torch.nn.functional.silu(g) * u) @ self.p(pre + "mlp.down_proj.weight").T
        x = self.rms(x, "model.norm")
        return x @ self.p("model.embed_tokens.weight").T


@torch.no_grad()
def sample(model, prompts, new_tokens, kv):
    """Greedy decoding of equal-length prompts; returns completions [N, new_tokens]."""
    ids = torch.tensor(prompts, dtype=torch.long)
    out = []
    if kv:
        cache = {}
        logits = model(ids, cache, 0)[:, -1]
        pos = ids.shape[1]
        for _ in range(new_tokens):
            nxt = logits.argmax(-1, keepdim=True)
            out.append(nxt)
            logits = model(nxt, cache, pos)[:, -1]
            pos += 1
    else:
        seq = ids
        for _ in range(new_tokens):
            nxt = model(seq)[:, -1].argmax(-1, keepdim=True)
            out.append(nxt)
            seq = torch.cat((seq, nxt), 1)
    return torch.cat(out, 1)


def train_step(model, opt, prompts, completions, advantages):
    """GRPO loss with μ = 1 (ρ ≡ 1): −mean over sequences of the masked token mean of A·logπ; backward; AdamW."""
    ids = torch.cat((torch.tensor(prompts, dtype=torch.long), completions), 1)
    P = len(prompts[0])
    logits = model(ids[:, :-1])
    logp = torch.log_softmax(logits, -1).gather(-1, ids[:, 1:, None])[..., 0]
    comp = logp[:, P - 1:]
    loss = -(comp * torch.tensor(advantages)[:, None]).mean(1).mean()
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return float(loss)


DEVICE = torch.device("cpu")


def timed(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        r = fn()
        if DEVICE.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    return best, r


def main():
    global DEVICE
    inp = json.load(sys.stdin)
    torch.set_num_threads(inp.get("threads", 2))
    DEVICE = torch.device(inp.get("device", "cpu"))
    if DEVICE.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.set_default_device(DEVICE)  # the tensors made in forward/sample (arange, ones, tensor) go there too
    cfg = json.load(open(os.path.join(inp["model_dir"], "config.json")))
    model = Llama(cfg, ref.read_checkpoint(inp["model_dir"]))
    prompts, n_new, reps = inp["prompts"], inp["new_tokens"], inp.get("repeats", 2)
    t_kv, comp = timed(lambda: sample(model, prompts, n_new, True), reps)
    t_full, comp_full = timed(lambda: sample(model, prompts, n_new, False), reps)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    adv = [((i % 8) - 3.5) / 2.3 for i in range(len(prompts))]
    t_train, _ = timed(lambda: train_step(model, opt, prompts, comp, adv), reps)
    tokens = len(prompts) * n_new
    print(json.dumps({
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(DEVICE) if DEVICE.type == "cuda" else "cpu",
        "sample_kv_s": t_kv, "sample_kv_tok_s": tokens / t_kv,
        "sample_full_s": t_full, "sample_full_tok_s": tokens / t_full,
        "train_s": t_train,
        "same_greedy_tokens": bool((comp == comp_full).all()),
        "completions": comp.tolist(),
    }))


if __name__ == "__main__":
    main()
