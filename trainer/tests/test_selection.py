"""--select-by: the ranking metrics agree with distill's Go side, and the
trainer keeps the epoch the named metric prefers."""

import io
import json
import os
import time

import pytest
import tinymodel as tm

from distill_trainer import selection, train
from distill_trainer.errors import InputError
from distill_trainer.events import Emitter
from distill_trainer.options import TrainOptions
from test_best_epoch import split

CASES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "selection_cases.json")


def test_metrics_match_the_go_side():
    # Written by stages/train's TestSelectionCases_PythonFixture: the Go
    # side's recall@K and ndcg@K of the same predictions (ties and the
    # gatekeeper included, --dimensions in another order than --weights).
    with open(CASES) as f:
        c = json.load(f)
    for name, want in c["want"].items():
        sel = selection.parse(name, c["weights"], c["gatekeepers"], c["dimensions"])
        assert sel.score(c["predictions"], c["overall"], c["relevant"]) == pytest.approx(want, abs=1e-12), name


def test_rounding_is_half_away_from_zero_as_in_go():
    sel = selection.parse("recall@1", "a:1", "", ["a"])
    # x*100 is exactly n.5 for both: Go's math.Round goes up, Python's round() to even.
    assert sel.overall([0.625]) == 0.63
    assert sel.overall([0.125]) == 0.13


@pytest.mark.parametrize(
    "args, message",
    [
        (("recal@5", "a:1", ""), "want mae, recall@K or ndcg@K"),
        (("ndcg@0", "a:1", ""), "K must be a positive integer"),
        (("ndcg@5", "", ""), "--weights must give every dimension"),
        (("ndcg@5", "b:1", ""), "'b:1' is not dimension:weight"),
        (("ndcg@5", "a:1", "a:3"), "'a:3' is not dimension:below:cap"),
    ],
)
def test_bad_flags(args, message):
    with pytest.raises(InputError, match=message):
        selection.parse(*args, ["a"])


def test_mae_needs_nothing_more():
    assert not selection.parse("mae", "", "", ["a"]).ranking


def test_the_epoch_kept_is_the_best_by_the_metric(tmp_path, base_model, rows):
    # The oracle's overall on val is the mirror of what train teaches: the
    # better the model learns, the worse its ranking, so ndcg@10 prefers an
    # early epoch while val MAE keeps improving.
    train_rows, val = split(rows, "train"), split(rows, "val")
    val.overall = [10.0 - sum(v) / len(v) for v in val.labels]
    val.relevant = [o >= 6 for o in val.overall]
    weights = ",".join(f"{d}:{1 / len(tm.DIMENSIONS)}" for d in tm.DIMENSIONS)
    opts = TrainOptions(
        out=str(tmp_path / "student"), dimensions=list(tm.DIMENSIONS), base_model=str(base_model),
        epochs=4, lr=5e-3, batch_size=16, max_length=32, select_by="ndcg@10", weights=weights,
    )  # fmt: skip
    opts.validate()
    out = io.BytesIO()
    done = train.run(opts, train_rows, val, Emitter(out, 0), time.monotonic())
    epochs = [json.loads(line) for line in out.getvalue().splitlines() if b'"epoch"' in line and b'"select_value"' in line]
    assert len(epochs) == 4
    values = [e["select_value"] for e in epochs]
    best = values.index(max(values)) + 1  # the first on a tie
    assert done["best_epoch"] == best and done["select_value"] == max(values) and done["select_by"] == "ndcg@10"
    assert done["val_mae"] == epochs[best - 1]["val_mae"]
    assert len(set(values)) > 1, f"ndcg@10 the same every epoch: {values}"
    with open(os.path.join(opts.out, "distill_model.json")) as f:
        assert json.load(f)["hyperparameters"]["select_by"] == "ndcg@10"
