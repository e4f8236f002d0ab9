#!/usr/bin/env python3
"""Independent corpus BLEU (Papineni et al. 2002) as specified in spec/algorithms.md "Rewards" (BLEUBERI):
13a tokenisation (mteval-v13a rules, as sacrebleu's tokenizer_13a), n = 1..4, clipping by the max count
over references, add-one smoothing p_n = (m_n + 1) / (c_n + 1) for every n, brevity penalty
exp(1 - r/c) when c < r with r = reference length closest to the hypothesis (ties -> shorter), summed
over the corpus; an empty hypothesis corpus scores 0. Score in [0, 1].

stdin: {"corpora": [{"hyps": [str], "refs": [[str]]}], "tokenize": [str]}
stdout: {"scores": [float], "tokens": [[str]]}
"""
import json
import math
import re
import sys
from collections import Counter

RULES = [
    (re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),
]


def tok13a(line):
    line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        line = line.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    line = " " + line + " "
    for rx, sub in RULES:
        line = rx.sub(sub, line)
    return line.split()


def ngrams(toks, n):
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


def corpus_bleu(hyps, refs):
    match = [0] * 4
    total = [0] * 4
    c = r = 0
    for hyp, rs in zip(hyps, refs):
        h = tok13a(hyp)
        rts = [tok13a(x) for x in rs]
        c += len(h)
        r += min((abs(len(x) - len(h)), len(x)) for x in rts)[1]
        for n in range(1, 5):
            maxref = Counter()
            for x in rts:
                maxref |= ngrams(x, n)  # Counter union = elementwise max
            hc = ngrams(h, n)
            match[n - 1] += sum(min(k, maxref[g]) for g, k in hc.items())
            total[n - 1] += max(0, len(h) - n + 1)
    if c == 0:
        return 0.0
    logp = sum(math.log((m + 1) / (k + 1)) for m, k in zip(match, total)) / 4
    bp = 1.0 if c >= r else math.exp(1 - r / c)
    return bp * math.exp(logp)


if __name__ == "__main__":
    req = json.load(sys.stdin)
    json.dump(
        {
            "scores": [corpus_bleu(x["hyps"], x["refs"]) for x in req.get("corpora", [])],
            "tokens": [tok13a(s) for s in req.get("tokenize", [])],
        },
        sys.stdout,
    )
