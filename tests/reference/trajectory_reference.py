"""The reference trajectory measure of one checkpoint, shared by io-run-layouts.py and io-adapter-run.py."""
import torch


def measure(base, tuned, tol, cast=None):
    """Per tensor numel, |Δ| <= tol and Δ == 0 counts (Δ in float32, both sides cast to `cast` first when given),
    and sqrt(ΣΔ²)/sqrt(Σθ₀²) in float64."""
    tensors, d2, b2 = {}, 0.0, 0.0
    for name in base:
        x, y = base[name].float(), tuned[name].float()
        if cast is not None:
            x, y = x.to(cast).float(), y.to(cast).float()
        d = y - x
        tensors[name] = {"numel": d.numel(), "unchanged": int((d.abs() <= tol).sum()), "exactZero": int((d == 0).sum())}
        d2 += float((d.double() ** 2).sum())
        b2 += float((x.double() ** 2).sum())
    return {"tensors": tensors, "relativeNorm": (d2 ** 0.5) / (b2 ** 0.5)}
