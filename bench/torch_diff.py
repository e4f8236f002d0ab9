"""The paper's update-sparsity computation in PyTorch on two safetensors checkpoints (bench/diff-stream.ts).

Mirrors arXiv 2505.11711's recipe: load each tensor of base and tuned whole, take |θ₁ − θ₀| in float32 and
count entries ≤ tol. Safetensors is read by hand (no safetensors package here): the files are mmapped and
tensors viewed with torch.frombuffer, so only the tensors being compared are materialised.
Usage: /usr/bin/python3 bench/torch_diff.py BASE_DIR TUNED_DIR [tol]  → one JSON line on stdout.
"""
import json
import mmap
import os
import resource
import struct
import sys
import time
import warnings

import torch

DTYPES = {"BF16": torch.bfloat16, "F16": torch.float16, "F32": torch.float32}


def shards(folder):
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            return sorted({os.path.join(folder, v) for v in json.load(f)["weight_map"].values()})
    return [os.path.join(folder, "model.safetensors")]


def open_tensors(folder):
    """name → (mmap, dtype, shape, byte offset); keeps the files mapped."""
    out = {}
    for path in shards(folder):
        with open(path, "rb") as f:
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        (n,) = struct.unpack("<Q", mm[:8])
        header = json.loads(mm[8 : 8 + n])
        for name, t in header.items():
            if name != "__metadata__":
                out[name] = (mm, DTYPES[t["dtype"]], t["shape"], 8 + n + t["data_offsets"][0])
    return out


def view(entry):
    mm, dtype, shape, offset = entry
    count = 1
    for s in shape:
        count *= s
    return torch.frombuffer(mm, dtype=dtype, count=count, offset=offset).reshape(shape)


def main():
    base_dir, tuned_dir = sys.argv[1], sys.argv[2]
    tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-5
    warnings.filterwarnings("ignore", message=".*non-writable.*")
    start = time.perf_counter()
    base, tuned = open_tensors(base_dir), open_tensors(tuned_dir)
    numel = unchanged = read = 0
    with torch.no_grad():
        for name, entry in base.items():
            b, t = view(entry), view(tuned[name])
            unchanged += int(((t.float() - b.float()).abs() <= tol).sum())
            numel += b.numel()
            read += 2 * b.numel() * b.element_size()
    seconds = time.perf_counter() - start
    print(json.dumps({
        "tool": "torch", "threads": torch.get_num_threads(), "numel": numel, "unchanged": unchanged,
        "sparsity": unchanged / numel, "gbRead": read / 1e9, "seconds": seconds, "gbPerSecond": read / 1e9 / seconds,
        "maxRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3,
    }))


if __name__ == "__main__":
    main()
