"""Reference for tests/io/safetensors.test.ts and tests/tensor/dtype.test.ts (PyTorch 1.13, no safetensors package).

Reads JSON on stdin, prints JSON. Modes:
  write: {"mode":"write","dir":D,"tensors":[{"name","dtype","shape","seed"}],"shards":K}
         writes D/model.safetensors (K=1) or K shards + model.safetensors.index.json, by hand
         (8-byte LE header length, compact JSON header padded with spaces, raw little-endian bytes);
         returns each tensor's exact content.
  read:  {"mode":"read","path":P} reads a file or a folder with model.safetensors.index.json, parsing
         the header by hand; returns metadata and each tensor's exact content.
  cast:  {"mode":"cast","values":[f32 or "nan"/"inf"/"-inf"...]} returns torch's bf16 and fp16 bit patterns of the values.
Tensor content: {"dtype","shape","bits"} where bits are the raw elements as integers (f32 as uint32,
f16/bf16 as uint16, i64 as int), plus "values" (the floats, for float dtypes).
Regenerate nothing: the tests call this script directly (node dist/tests/io/safetensors.test.js).
"""
import json
import os
import struct

from safetensors_file import write_safetensors
import sys

import numpy as np
import torch

DT = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}
BITS_VIEW = {"F32": torch.int32, "F16": torch.int16, "BF16": torch.int16, "I64": torch.int64}
NP_RAW = {"F32": np.int32, "F16": np.int16, "BF16": np.int16, "I64": np.int64}
MASK = {"F32": 0xFFFFFFFF, "F16": 0xFFFF, "BF16": 0xFFFF, "I64": None}


def content(dtype, t):
    bits = t.contiguous().view(BITS_VIEW[dtype]).flatten().tolist()
    if MASK[dtype] is not None:
        bits = [b & MASK[dtype] for b in bits]
    out = {"dtype": dtype, "shape": list(t.shape), "bits": bits}
    if dtype != "I64":
        out["values"] = [None if v != v else v for v in t.float().flatten().tolist()]
    return out


def raw_bytes(dtype, t):
    return t.contiguous().view(BITS_VIEW[dtype]).numpy().tobytes()


def write_file(path, items, metadata):
    write_safetensors(path, [(name, dtype, t.shape, raw_bytes(dtype, t)) for name, dtype, t in items], metadata)


def make(spec):
    g = torch.Generator().manual_seed(spec["seed"])
    shape = spec["shape"]
    if spec["dtype"] == "I64":
        return torch.randint(-(2**40), 2**40, shape, generator=g, dtype=torch.int64)
    return (torch.randn(shape, generator=g) * 3).to(DT[spec["dtype"]])


def mode_write(req):
    d = req["dir"]
    os.makedirs(d, exist_ok=True)
    items = [(s["name"], s["dtype"], make(s)) for s in req["tensors"]]
    k = req.get("shards", 1)
    meta = {"format": "pt", "source": "torch"}
    if k == 1:
        write_file(os.path.join(d, "model.safetensors"), items, meta)
    else:
        per = (len(items) + k - 1) // k
        weight_map, total = {}, 0
        for i in range(k):
            name = f"model-{i + 1:05d}-of-{k:05d}.safetensors"
            part = items[i * per:(i + 1) * per]
            write_file(os.path.join(d, name), part, meta)
            for n, dtype, t in part:
                weight_map[n] = name
                total += len(raw_bytes(dtype, t))
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    return {"tensors": {n: content(dtype, t) for n, dtype, t in items}}


def read_file(path):
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    raw_header = buf[8:8 + n]
    header = json.loads(raw_header)
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        arr = np.frombuffer(buf[8 + n + b:8 + n + end], dtype=NP_RAW[e["dtype"]]).copy()
        t = torch.from_numpy(arr).view(DT[e["dtype"]]).reshape(e["shape"])
        tensors[name] = content(e["dtype"], t)
        tensors[name]["data_offsets"] = [b, end]
    order = sorted(header, key=lambda k: header[k]["data_offsets"][0])
    return {"metadata": meta, "tensors": tensors, "order": order, "header_len": n,
            "header_text": raw_header.decode(), "file_size": len(buf)}


def mode_read(req):
    p = req["path"]
    index = os.path.join(p, "model.safetensors.index.json") if os.path.isdir(p) else None
    if index and os.path.exists(index):
        with open(index) as f:
            idx = json.load(f)
        out = {"metadata": {}, "tensors": {}, "index": idx}
        for shard in sorted(set(idx["weight_map"].values())):
            r = read_file(os.path.join(p, shard))
            out["metadata"].update(r["metadata"])
            out["tensors"].update(r["tensors"])
        return out
    return read_file(os.path.join(p, "model.safetensors") if os.path.isdir(p) else p)


def mode_cast(req):
    t = torch.tensor(req["values"], dtype=torch.float32)
    return {
        "bf16": [b & 0xFFFF for b in t.to(torch.bfloat16).view(torch.int16).tolist()],
        "f16": [b & 0xFFFF for b in t.half().view(torch.int16).tolist()],
    }


def main():
    req = json.load(sys.stdin)
    if "values" in req:  # "nan", "inf", "-inf" arrive as strings (JSON has no such numbers)
        req["values"] = [float(v) if isinstance(v, str) else v for v in req["values"]]
    out = {"write": mode_write, "read": mode_read, "cast": mode_cast}[req["mode"]](req)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
