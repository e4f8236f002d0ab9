#!/usr/bin/env python3
"""Independent PyTorch reference for rftlab's transformer (tests/model/transformer.test.ts).

Hand-written modules following the Hugging Face definitions of GPT-2 (GPT2LMHeadModel), Llama
(LlamaForCausalLM, incl. "llama3" rope scaling) and Qwen2 (Qwen2ForCausalLM); safetensors read and
written by hand (8-byte header length + JSON header + raw bytes). Computes in float64.

stdin JSON, one of:
  {"op": "make", "dir", "config": {HF config.json}, "seed", "dtype": "F32"|"BF16"|"F16",
   "prefix": "transformer." | "", "buffers": bool, "shards": int, "tokens": [[int]]}
      writes a random checkpoint (config.json + safetensors, sharded when shards > 1) and returns the
      logits of the stored (rounded) weights.
  {"op": "eval", "dir", "tokens"}: logits of an existing checkpoint folder.
stdout: {"logits": [[[float]]]}   [B, T, V]
Run by hand: echo '{"op":"eval","dir":"/path","tokens":[[1,2]]}' | /usr/bin/python3 tests/reference/model-forward.py
"""
import json
import math
import os
import struct

from safetensors_file import write_safetensors
import sys

import numpy as np
import torch

torch.set_num_threads(2)
DT = torch.float64


# ---------- safetensors by hand ----------

def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        raw = data[a:b]
        dt = info["dtype"]
        if dt == "F32":
            arr = np.frombuffer(raw, dtype="<f4").copy()
        elif dt == "F16":
            arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif dt == "BF16":
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(f"{path}: unsupported dtype {dt} for {name}")
        out[name] = torch.from_numpy(arr.reshape(info["shape"])).to(DT)
    return out


def read_checkpoint(d):
    index = os.path.join(d, "model.safetensors.index.json")
    if os.path.exists(index):
        files = sorted(set(json.load(open(index))["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    tensors = {}
    for f in files:
        tensors.update(read_safetensors(os.path.join(d, f)))
    return tensors


def encode(t, dtype):
    t = t.detach().to(torch.float32).contiguous()
    if dtype == "F32":
        return t.numpy().astype("<f4").tobytes()
    if dtype == "F16":
        return t.to(torch.float16).numpy().astype("<f2").tobytes()
    if dtype == "BF16":
        return t.to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").tobytes()
    raise ValueError(dtype)


def write_tensors(path, tensors, dtype):
    write_safetensors(path, [(name, dtype, t.shape, encode(t, dtype)) for name, t in tensors.items()])


def write_checkpoint(d, tensors, dtype, shards):
    os.makedirs(d, exist_ok=True)
    if shards <= 1:
        write_tensors(os.path.join(d, "model.safetensors"), tensors, dtype)
        return
    names = list(tensors)
    weight_map = {}
    for s in range(shards):
        fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        part = {n: tensors[n] for n in names[s::shards]}
        write_tensors(os.path.join(d, fname), part, dtype)
        weight_map.update({n: fname for n in part})
    json.dump({"metadata": {}, "weight_map": weight_map}, open(os.path.join(d, "model.safetensors.index.json"), "w"))


# ---------- model definitions (HF) ----------

def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def causal_mask(T):
    return torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)


def gpt2_forward(cfg, w, ids):
    p = "transformer." if "transformer.wte.weight" in w else ""
    D, H = cfg["n_embd"], cfg["n_head"]
    hd = D // H
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    B, T = ids.shape
    ln = lambda x, n: torch.nn.functional.layer_norm(x, (D,), w[n + ".weight"], w[n + ".bias"], eps)
    conv1d = lambda x, n: x @ w[n + ".weight"] + w[n + ".bias"]  # Conv1D: weight [in, out]
    x = w[p + "wte.weight"][ids] + w[p + "wpe.weight"][torch.arange(T)]
    mask = causal_mask(T)
    for l in range(cfg["n_layer"]):
        q_ = f"{p}h.{l}."
        a = ln(x, q_ + "ln_1")
        q, k, v = conv1d(a, q_ + "attn.c_attn").split(D, dim=2)
        q, k, v = (t.view(B, T, H, hd).transpose(1, 2) for t in (q, k, v))
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        s = s.masked_fill(mask, torch.finfo(DT).min)
        z = (torch.softmax(s, -1) @ v).transpose(1, 2).reshape(B, T, D)
        x = x + conv1d(z, q_ + "attn.c_proj")
        m = ln(x, q_ + "ln_2")
        x = x + conv1d(gelu_new(conv1d(m, q_ + "mlp.c_fc")), q_ + "mlp.c_proj")
    x = ln(x, p + "ln_f")
    head = w.get("lm_head.weight", w[p + "wte.weight"])
    return x @ head.T


def rope_inv_freq(cfg, hd):
    base = cfg.get("rope_theta", 10000.0)
    inv = 1.0 / (base ** (torch.arange(0, hd, 2, dtype=torch.int64).to(DT) / hd))
    rs = cfg.get("rope_scaling")
    if rs and rs.get("rope_type", rs.get("type")) == "linear":
        inv = inv / rs["factor"]
    elif rs and rs.get("rope_type", rs.get("type")) == "llama3":
        factor, low, high = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
        old = rs["original_max_position_embeddings"]
        low_wl, high_wl = old / low, old / high
        wavelen = 2 * math.pi / inv
        inv_l = torch.where(wavelen > low_wl, inv / factor, inv)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * inv_l / factor + smooth * inv_l
        medium = ~(wavelen < high_wl) * ~(wavelen > low_wl)
        inv = torch.where(medium, smoothed, inv_l)
    return inv


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def llama_forward(cfg, w, ids):
    D, H = cfg["hidden_size"], cfg["num_attention_heads"]
    Hkv = cfg.get("num_key_value_heads", H)
    hd = cfg.get("head_dim") or D // H
    eps = cfg.get("rms_norm_eps", 1e-6)
    qwen = cfg["model_type"] == "qwen2"
    B, T = ids.shape

    def rms(x, n):
        return w[n + ".weight"] * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))

    def lin(x, n):
        y = x @ w[n + ".weight"].T  # Linear: weight [out, in]
        return y + w[n + ".bias"] if n + ".bias" in w else y

    freqs = torch.arange(T, dtype=DT)[:, None] * rope_inv_freq(cfg, hd)[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()  # [T, hd]
    mask = causal_mask(T)
    x = w["model.embed_tokens.weight"][ids]
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        a = rms(x, p + "input_layernorm")
        q = lin(a, p + "self_attn.q_proj").view(B, T, H, hd).transpose(1, 2)
        k = lin(a, p + "self_attn.k_proj").view(B, T, Hkv, hd).transpose(1, 2)
        v = lin(a, p + "self_attn.v_proj").view(B, T, Hkv, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // Hkv, dim=1)  # repeat_kv
        v = v.repeat_interleave(H // Hkv, dim=1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        s = s.masked_fill(mask, torch.finfo(DT).min)
        z = (torch.softmax(s, -1) @ v).transpose(1, 2).reshape(B, T, H * hd)
        x = x + lin(z, p + "self_attn.o_proj")
        m = rms(x, p + "post_attention_layernorm")
        gate = lin(m, p + "mlp.gate_proj")
        x = x + lin(torch.nn.functional.silu(gate) * lin(m, p + "mlp.up_proj"), p + "mlp.down_proj")
    x = rms(x, "model.norm")
    head = w["lm_head.weight"] if "lm_head.weight" in w and not cfg.get("tie_word_embeddings", False) else w["model.embed_tokens.weight"]
    assert qwen or cfg["model_type"] == "llama"
    return x @ head.T


def forward(cfg, w, ids):
    return gpt2_forward(cfg, w, ids) if cfg["model_type"] == "gpt2" else llama_forward(cfg, w, ids)


# ---------- random checkpoints ----------

def random_weights(cfg, seed, prefix, buffers):
    g = torch.Generator().manual_seed(seed)
    rn = lambda *shape, std=1.0: torch.randn(*shape, generator=g, dtype=DT) * std
    lin = lambda out_f, in_f: rn(out_f, in_f, std=1.0 / math.sqrt(in_f))
    w = {}
    if cfg["model_type"] == "gpt2":
        D, V, L, P = cfg["n_embd"], cfg["vocab_size"], cfg["n_layer"], cfg["n_positions"]
        F = cfg.get("n_inner") or 4 * D
        w[prefix + "wte.weight"] = rn(V, D, std=0.5)
        w[prefix + "wpe.weight"] = rn(P, D, std=0.3)
        for l in range(L):
            p = f"{prefix}h.{l}."
            for ln in ("ln_1", "ln_2"):
                w[p + ln + ".weight"] = 1 + rn(D, std=0.1)
                w[p + ln + ".bias"] = rn(D, std=0.1)
            for n, i, o in (("attn.c_attn", D, 3 * D), ("attn.c_proj", D, D), ("mlp.c_fc", D, F), ("mlp.c_proj", F, D)):
                w[p + n + ".weight"] = lin(o, i).T.contiguous()  # Conv1D stores [in, out]
                w[p + n + ".bias"] = rn(o, std=0.1)
            if buffers:
                w[p + "attn.bias"] = torch.tril(torch.ones(P, P, dtype=DT)).view(1, 1, P, P)
                w[p + "attn.masked_bias"] = torch.tensor(-1e4, dtype=DT)
        w[prefix + "ln_f.weight"] = 1 + rn(D, std=0.1)
        w[prefix + "ln_f.bias"] = rn(D, std=0.1)
        if not cfg.get("tie_word_embeddings", True):
            w["lm_head.weight"] = rn(V, D, std=0.5)
        return w
    D, V, L = cfg["hidden_size"], cfg["vocab_size"], cfg["num_hidden_layers"]
    H = cfg["num_attention_heads"]
    Hkv = cfg.get("num_key_value_heads", H)
    hd = cfg.get("head_dim") or D // H
    F = cfg["intermediate_size"]
    qkv_bias = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)
    o_bias = cfg["model_type"] == "llama" and cfg.get("attention_bias", False)
    w["model.embed_tokens.weight"] = rn(V, D, std=0.5)
    for l in range(L):
        p = f"model.layers.{l}."
        w[p + "input_layernorm.weight"] = 1 + rn(D, std=0.1)
        w[p + "post_attention_layernorm.weight"] = 1 + rn(D, std=0.1)
        for n, o in (("q_proj", H * hd), ("k_proj", Hkv * hd), ("v_proj", Hkv * hd)):
            w[p + "self_attn." + n + ".weight"] = lin(o, D)
            if qkv_bias:
                w[p + "self_attn." + n + ".bias"] = rn(o, std=0.3)
        w[p + "self_attn.o_proj.weight"] = lin(D, H * hd)
        if o_bias:
            w[p + "self_attn.o_proj.bias"] = rn(D, std=0.1)
        w[p + "mlp.gate_proj.weight"] = lin(F, D)
        w[p + "mlp.up_proj.weight"] = lin(F, D)
        w[p + "mlp.down_proj.weight"] = lin(D, F)
    w["model.norm.weight"] = 1 + rn(D, std=0.1)
    if not cfg.get("tie_word_embeddings", False):
        w["lm_head.weight"] = rn(V, D, std=0.5)
    return w


def main():
    req = json.load(sys.stdin)
    d = req["dir"]
    if req["op"] == "make":
        cfg = req["config"]
        os.makedirs(d, exist_ok=True)
        json.dump(cfg, open(os.path.join(d, "config.json"), "w"), indent=2)
        w = random_weights(cfg, req.get("seed", 0), req.get("prefix", ""), req.get("buffers", False))
        write_checkpoint(d, w, req.get("dtype", "F32"), req.get("shards", 1))
    cfg = json.load(open(os.path.join(d, "config.json")))
    w = read_checkpoint(d)  # the stored (possibly rounded) values
    ids = torch.tensor(req["tokens"], dtype=torch.int64)
    with torch.no_grad():
        logits = forward(cfg, w, ids)
    json.dump({"logits": logits.tolist()}, sys.stdout)


if __name__ == "__main__":
    main()
