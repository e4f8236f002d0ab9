"""Dense SVD timing in PyTorch (CPU) for comparison with bench/svd.ts.
Usage: /usr/bin/python3 bench/torch_svd.py 1024,2048 [threads=2]
"""
import json
import sys
import time

import torch

sizes = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "1024,2048").split(",")]
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
torch.set_num_threads(threads)
g = torch.Generator().manual_seed(0)
for n in sizes:
    a = torch.randn(n, n, generator=g)
    row = {"impl": f"torch-{torch.__version__}", "n": n, "threads": threads}
    for dtype in (torch.float32, torch.float64):
        x = a.to(dtype)
        t = time.perf_counter()
        torch.linalg.svdvals(x)
        row[f"valuesSeconds_{str(dtype)[6:]}"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        torch.linalg.svd(x, full_matrices=False)
        row[f"fullSeconds_{str(dtype)[6:]}"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    row["rank"] = int(torch.linalg.matrix_rank(a))
    row["rankSeconds_float32"] = round(time.perf_counter() - t, 2)
    print(json.dumps(row), flush=True)
