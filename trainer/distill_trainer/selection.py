"""--select-by: the validation metric that picks the epoch the trainer keeps.

mae (the default: lowest mean validation MAE), or a ranking metric of the
overall score: recall@K (the share of the validation articles the oracle put
above the bottom tier that are among the K predicted highest) and ndcg@K
(the oracle's overall as the gain). The overall score of a prediction is the
filter's (distill's filters.ScoreOf): the weighted sum in the order
--weights lists them, capped by every gatekeeper whose dimension is below
its threshold, rounded half away from zero to 2 decimals. The Go side's
stages/train computes the same; tests/data/selection_cases.json, which it
writes, keeps the two equal. Pure Python: no torch.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Sequence

from distill_trainer.errors import InputError

_SELECT = re.compile(r"^(mae|recall@([0-9]+)|ndcg@([0-9]+))$")


@dataclasses.dataclass
class Selection:
    metric: str  # mae, recall or ndcg
    k: int = 0
    weights: list[tuple[int, float]] = dataclasses.field(default_factory=list)  # (dimension index, weight), summed in this order
    gatekeepers: list[tuple[int, float, float]] = dataclasses.field(default_factory=list)  # (dimension index, below, cap)

    @property
    def ranking(self) -> bool:
        return self.metric != "mae"

    def overall(self, pred: Sequence[float]) -> float:
        s = 0.0
        for d, w in self.weights:
            s += w * pred[d]
        for d, below, cap in self.gatekeepers:
            if pred[d] < below and s > cap:
                s = cap
        return _round_half_away(s * 100) / 100

    def score(self, preds: Sequence[Sequence[float]], oracle: Sequence[float], relevant: Sequence[bool]) -> float:
        overall = [self.overall(p) for p in preds]
        order = sorted(range(len(preds)), key=lambda i: -overall[i])  # stable: a tie keeps the rows' order
        if self.metric == "recall":
            return recall_at(order, relevant, self.k)
        return ndcg_at(order, oracle, self.k)


def _round_half_away(x: float) -> float:
    """Go's math.Round: exact, halves away from zero (Python's round() goes to even)."""
    t = float(math.trunc(x))
    if abs(x - t) >= 0.5:
        t += math.copysign(1.0, x)
    return t


def recall_at(order: Sequence[int], relevant: Sequence[bool], k: int) -> float:
    hit = sum(1 for pos, i in enumerate(order) if relevant[i] and pos < k)
    total = sum(1 for i in order if relevant[i])
    return hit / total if total else 0.0


def ndcg_at(order: Sequence[int], gain: Sequence[float], k: int) -> float:
    def dcg(gains: Sequence[float]) -> float:
        s = 0.0
        for pos in range(min(k, len(order))):
            s += gains[pos] / math.log2(pos + 2)
        return s

    best = dcg(sorted(gain, reverse=True))
    if best == 0:
        return 0.0
    return dcg([gain[i] for i in order]) / best


def parse(select_by: str, weights: str, gatekeepers: str, dimensions: Sequence[str]) -> Selection:
    """The --select-by, --weights and --gatekeepers flags, checked."""
    m = _SELECT.match(select_by.strip().lower())
    if not m:
        raise InputError(f"--select-by {select_by!r}: want mae, recall@K or ndcg@K (K a positive integer)")
    if m.group(1) == "mae":
        return Selection("mae")
    metric, k = ("recall", int(m.group(2))) if m.group(2) else ("ndcg", int(m.group(3)))
    if k < 1:
        raise InputError(f"--select-by {select_by!r}: K must be a positive integer")
    index = {d: i for i, d in enumerate(dimensions)}
    sel = Selection(metric, k)
    for item in filter(None, weights.split(",")):
        name, _, w = item.partition(":")
        if name not in index or not _finite(w):
            raise InputError(f"--weights: {item!r} is not dimension:weight for one of --dimensions")
        sel.weights.append((index[name], float(w)))
    if len({d for d, _ in sel.weights}) != len(dimensions):
        raise InputError(f"--select-by {select_by}: --weights must give every dimension of --dimensions a weight")
    for item in filter(None, gatekeepers.split(",")):
        parts = item.split(":")
        if len(parts) != 3 or parts[0] not in index or not (_finite(parts[1]) and _finite(parts[2])):
            raise InputError(f"--gatekeepers: {item!r} is not dimension:below:cap for one of --dimensions")
        sel.gatekeepers.append((index[parts[0]], float(parts[1]), float(parts[2])))
    return sel


def _finite(s: str) -> bool:
    try:
        return math.isfinite(float(s))
    except ValueError:
        return False
