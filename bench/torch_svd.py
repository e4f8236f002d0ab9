"""Torch peer of bench/svd.ts: times torch.linalg on the same matrix and returns its singular values.
Usage: /usr/bin/python3 bench/torch_svd.py MATRIX.f32 N THREADS [--full] [--float64]
MATRIX.f32 holds N·N little-endian float32 values, row-major. Prints one JSON object.
"""
import json
import sys
import time

import torch

path, n, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
flags = set(sys.argv[4:])
torch.set_num_threads(threads)
a = torch.from_file(path, shared=False, size=n * n, dtype=torch.float32).reshape(n, n)
row = {"impl": f"torch-{torch.__version__}", "n": n, "threads": torch.get_num_threads()}


def timed(fn, cpu_key=None):
    t = time.perf_counter()
    c = time.process_time()
    out = fn()
    if cpu_key:
        # CPU seconds of all threads: on a shared machine less sensitive to other processes than wall time.
        row[cpu_key] = round(time.process_time() - c, 2)
    return out, round(time.perf_counter() - t, 2)


s, row["valuesSeconds_float32"] = timed(lambda: torch.linalg.svdvals(a), "valuesCpuSeconds_float32")
row["s_float32"] = s.tolist()
rank, row["rankSeconds_float32"] = timed(lambda: int(torch.linalg.matrix_rank(a)))
row["rank"] = rank
if "--full" in flags:
    _, row["fullSeconds_float32"] = timed(lambda: torch.linalg.svd(a, full_matrices=False), "fullCpuSeconds_float32")
if "--float64" in flags:
    a64 = a.double()
    s64, row["valuesSeconds_float64"] = timed(lambda: torch.linalg.svdvals(a64))
    row["s_float64"] = s64.tolist()
    if "--full" in flags:
        _, row["fullSeconds_float64"] = timed(lambda: torch.linalg.svd(a64, full_matrices=False))
print(json.dumps(row))
