#!/usr/bin/env python3
"""Reference values and gradients for lib/rl losses, in PyTorch (float64, CPU), following TRL's code.

stdin: {"cases": [{"kind": "policy"|"dpo"|"sft"|"logprobs"|"entropy"|"topr", "config": {...}, "inputs": {...}}]}
stdout: {"results": [{"loss": float | [[...]], "grad": nested list}]}
Regenerate nothing: tests/rl/losses-reference.test.ts feeds it seeded random inputs on every run.
"""
import json
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def t(x, grad=False):
    return torch.tensor(x, dtype=torch.float64, requires_grad=grad)


def policy(cfg, x):
    logp = t(x["logp"], True)
    old = t(x["oldLogp"])
    mask = t(x["mask"])
    adv = t(x["advantages"]).unsqueeze(1)
    eps_low, eps_high = cfg.get("epsilonLow", 0.2), cfg.get("epsilonHigh", 0.2)
    beta = cfg.get("beta", 0.0)
    log_ratio = logp - old
    if cfg.get("importanceLevel", "token") == "token":
        log_w = log_ratio
    else:  # GSPO: one weight per sequence
        log_w = ((log_ratio * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).unsqueeze(-1)
    coef_1 = torch.exp(log_w)
    coef_2 = torch.clamp(coef_1, 1 - eps_low, 1 + eps_high)
    per_token_loss = -torch.min(coef_1 * adv, coef_2 * adv)
    if beta != 0.0:
        ref = t(x["refLogp"])
        kl = torch.exp(ref - logp) - (ref - logp) - 1
        per_token_loss = per_token_loss + beta * kl
    per_token_loss = per_token_loss * torch.ones_like(mask)
    lt = cfg.get("lossType", "grpo")
    B, T = mask.shape
    if lt == "grpo":
        loss = ((per_token_loss * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).mean()
    elif lt == "bnpo":
        loss = (per_token_loss * mask).sum() / mask.sum().clamp(min=1.0)
    elif lt == "dr_grpo":
        loss = (per_token_loss * mask).sum() / (B * cfg.get("maxCompletionLength", T))
    elif lt == "dapo":
        loss = (per_token_loss * mask).sum() / cfg.get("activeTokens", mask.sum().clamp(min=1.0).item())
    else:
        raise ValueError(lt)
    loss.backward()
    # TRL's clip metrics: masked token means (a sequence-level ratio counts for each of its tokens).
    with torch.no_grad():
        low = ((coef_1 < 1 - eps_low) & (adv < 0)).double() * torch.ones_like(mask)
        high = ((coef_1 > 1 + eps_high) & (adv > 0)).double() * torch.ones_like(mask)
        n = mask.sum().clamp(min=1.0)
        metrics = {
            "clip_ratio/low_mean": ((low * mask).sum() / n).item(),
            "clip_ratio/high_mean": ((high * mask).sum() / n).item(),
            "clip_ratio/region_mean": (((low + high) * mask).sum() / n).item(),
        }
        if "refLogp" in x:
            d = t(x["refLogp"]) - logp
            metrics["kl"] = (((torch.exp(d) - d - 1) * mask).sum() / n).item()
    return {"loss": loss.item(), "grad": logp.grad.tolist(), "metrics": metrics}


def dpo(cfg, x):
    pc, pr = t(x["policyChosen"], True), t(x["policyRejected"], True)
    rc, rr = t(x["refChosen"]), t(x["refRejected"])
    beta = cfg.get("beta", 0.1)
    lt = cfg.get("lossType", "sigmoid")
    chosen, rejected = pc - rc, pr - rr
    if "chosenLengths" in cfg:
        chosen = chosen / t(cfg["chosenLengths"])
        rejected = rejected / t(cfg["rejectedLengths"])
    logits = chosen - rejected
    if lt == "sigmoid":
        losses = -F.logsigmoid(beta * logits)
    elif lt == "ipo":
        losses = (logits - 1 / (2 * beta)) ** 2
    elif lt == "hinge":
        losses = torch.relu(1 - beta * logits)
    else:
        raise ValueError(lt)
    loss = losses.mean()
    loss.backward()
    cr, rj = beta * chosen.detach(), beta * rejected.detach()
    return {
        "loss": loss.item(),
        "grad": [pc.grad.tolist(), pr.grad.tolist()],
        "metrics": {
            "rewards/chosen": cr.mean().item(),
            "rewards/rejected": rj.mean().item(),
            "rewards/accuracies": (cr > rj).double().mean().item(),
            "rewards/margins": (cr - rj).mean().item(),
        },
    }


def logprobs_of(logits, ids, temperature):
    lp = torch.log_softmax(logits / temperature, dim=-1)
    return torch.gather(lp, -1, ids.unsqueeze(-1)).squeeze(-1)


def sft(cfg, x):
    logits = t(x["logits"], True)
    ids = torch.tensor(x["targets"], dtype=torch.long)
    mask = t(x["mask"])
    nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids.reshape(-1), reduction="none").reshape(ids.shape)
    loss = (nll * mask).sum() / mask.sum().clamp(min=1.0)
    loss.backward()
    return {"loss": loss.item(), "grad": logits.grad.tolist()}


def logprobs(cfg, x):
    """Values, and the vector-Jacobian product with weights w (tests the gather's gradient)."""
    logits = t(x["logits"], True)
    ids = torch.tensor(x["ids"], dtype=torch.long)
    out = logprobs_of(logits, ids, cfg.get("temperature", 1.0))
    (out * t(x["w"])).sum().backward()
    return {"loss": out.tolist(), "grad": logits.grad.tolist()}


def entropy(cfg, x):
    logits = t(x["logits"], True)
    p = torch.softmax(logits / cfg.get("temperature", 1.0), dim=-1)
    out = -(p * torch.log(p)).sum(-1)
    (out * t(x["w"])).sum().backward()
    return {"loss": out.tolist(), "grad": logits.grad.tolist()}


def topr(cfg, x):
    logp = t(x["logp"], True)
    mu = t(x["behaviourLogp"])
    R = t(x["rewards"])
    mask = t(x["mask"])
    with torch.no_grad():
        ratio = torch.exp(((logp - mu) * mask).sum(-1)).clamp(0.0, 1.0)
        alpha = torch.where(R >= 0, torch.ones_like(R), ratio)
    loss = (-(alpha * R) * (logp * mask).sum(-1)).mean()
    loss.backward()
    return {"loss": loss.item(), "grad": logp.grad.tolist()}


KINDS = {"policy": policy, "dpo": dpo, "sft": sft, "logprobs": logprobs, "entropy": entropy, "topr": topr}

if __name__ == "__main__":
    req = json.load(sys.stdin)
    json.dump({"results": [KINDS[c["kind"]](c.get("config", {}), c["inputs"]) for c in req["cases"]]}, sys.stdout)
