"""Reference SVDs and ranks for tests/linalg/linalg.test.ts.

stdin: {"matrices": [{"rows", "cols", "data": [row-major floats]}], "vectors": bool}
stdout: {"results": [{"s": [...], "u": [[...]] | null, "v": [[...]] | null, "rank": int}]}
u is [m, r], v is [n, r] (A = U diag(s) Vᵀ); rank = torch.linalg.matrix_rank on the float32 matrix.
Run: echo '{"matrices":[{"rows":2,"cols":2,"data":[1,0,0,2]}],"vectors":true}' | /usr/bin/python3 tests/reference/analysis-linalg.py
"""
import json
import sys

import torch

torch.set_num_threads(2)
req = json.load(sys.stdin)
out = []
for mat in req["matrices"]:
    a32 = torch.tensor(mat["data"], dtype=torch.float32).reshape(mat["rows"], mat["cols"])
    a = a32.double()
    res = {"rank": int(torch.linalg.matrix_rank(a32))}
    if req.get("vectors", True):
        u, s, vh = torch.linalg.svd(a, full_matrices=False)
        res.update(s=s.tolist(), u=u.tolist(), v=vh.T.tolist())
    else:
        res.update(s=torch.linalg.svdvals(a).tolist(), u=None, v=None)
    out.append(res)
print(json.dumps({"results": out}))
