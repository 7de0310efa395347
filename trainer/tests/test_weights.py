"""train's optional weight column: each train row's share of the loss
(distill train --sample-weight); validation is never weighted."""

import io
import json
import math

import pyarrow as pa
import pytest
import tinymodel as tm
import torch
from conftest import json_lines, run_cli, train_args

from distill_trainer.arrow_io import read_training_rows
from distill_trainer.errors import InputError
from distill_trainer.train import train_weights, weighted_mse

WEIGHTED_SCHEMA = tm.TRAIN_SCHEMA.append(pa.field("weight", pa.float64()))


def weighted_table(rows, weights):
    return tm.train_table([(*r, w) for r, w in zip(rows, weights)], WEIGHTED_SCHEMA)


def test_weighted_mse_is_the_mse_with_unit_weights_and_drops_zero_weights():
    torch.manual_seed(0)
    logits, labels = torch.randn(5, 2), torch.randn(5, 2)
    plain = torch.nn.functional.mse_loss(logits, labels)
    assert weighted_mse(logits, labels, None) == plain
    assert weighted_mse(logits, labels, torch.ones(5)).item() == pytest.approx(plain.item(), rel=1e-6)
    per = ((logits - labels) ** 2).mean(dim=1)
    w = torch.tensor([2.0, 1.0, 0.0, 0.0, 0.0])
    assert weighted_mse(logits, labels, w).item() == pytest.approx(((2 * per[0] + per[1]) / 5).item(), rel=1e-6)
    assert weighted_mse(logits, labels, torch.zeros(5)).item() == 0.0  # a batch of 0s adds nothing, not NaN


def test_a_rows_pull_does_not_depend_on_its_batch():
    """A row pulls with its weight whatever its batch-mates: a weight-75 row
    batched with a weight-0.3 row, against a weight-0.3 row batched with
    another, gets 250 times the gradient (dividing each batch by its weight
    sum once gave it about 2: 75/75.3 against 0.3/0.6)."""
    def grad_of_first(weights):
        logits = torch.zeros(len(weights), 1, requires_grad=True)
        weighted_mse(logits, torch.ones(len(weights), 1), torch.tensor(weights)).backward()
        return logits.grad[0, 0].item()

    heavy = grad_of_first([75.0, 0.3])
    light = grad_of_first([0.3, 0.3])
    assert heavy / light == pytest.approx(250.0, rel=1e-5)


def test_train_weights_scale_to_mean_one():
    w = train_weights([1.0, 3.0, 0.0, 4.0])
    assert w is not None and w.mean().item() == pytest.approx(1.0)
    assert (w[3] / w[0]).item() == pytest.approx(4.0)
    assert train_weights([]) is None


def read(table):
    return read_training_rows(io.BytesIO(tm.stream_bytes(table)), tm.DIMENSIONS)


def test_weights_are_read_for_train_rows_only():
    rows = tm.make_rows(n_train=4, n_val=2)
    train, val = read(weighted_table(rows, [0.5, 2.0, 0, 1, None, float("nan")]))
    assert train.weights == [0.5, 2.0, 0.0, 1.0]
    assert val.weights == []  # a val row's weight, even null or NaN, is ignored
    train, val = read(tm.train_table(rows))
    assert train.weights == [] and val.weights == []  # no column: unweighted


@pytest.mark.parametrize(
    "weights, message",
    [
        ([None, 1, 1, 1, 1, 1], "row 0 (id 'a0000'): weight is None, want a finite number, 0 or more"),
        ([1, -1, 1, 1, 1, 1], "row 1 (id 'a0001'): weight is -1.0, want a finite number, 0 or more"),
        ([1, 1, math.inf, 1, 1, 1], "weight is inf"),
        ([1, 1, 1, math.nan, 1, 1], "weight is nan"),
        ([0, 0, 0, 0, 1, 1], "every train row's weight is 0"),
    ],
)
def test_bad_weights_are_input_errors(weights, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read(weighted_table(tm.make_rows(n_train=4, n_val=2), weights))


def test_a_weight_column_of_strings_is_an_input_error():
    schema = tm.TRAIN_SCHEMA.append(pa.field("weight", pa.string()))
    table = tm.train_table([(*r, "1") for r in tm.make_rows(n_train=2, n_val=1)], schema)
    with pytest.raises(InputError, match="column weight is string, want double"):
        read(table)


def test_zero_weights_keep_corrupted_rows_out_of_training(tmp_path, base_model):
    """Half the train rows have their labels swapped between the dimensions'
    extremes; weighing them 0 trains on the clean half only, which the
    validation MAE (never weighted) shows against the same rows unweighted
    (measured: 0.08 against 2.9, the mean predictor's 3.0). Ten epochs: half
    the rows teach nothing."""
    rows = tm.make_rows(n_train=240, n_val=60, seed=11)
    corrupt = [r[0] == "train" and i % 2 == 1 for i, r in enumerate(rows)]
    bad = [(s, id_, text, [10 - y for y in lab] if c else lab) for (s, id_, text, lab), c in zip(rows, corrupt)]
    runs = {}
    for name, weights in (("weighted", [0.0 if c else 1.0 for c in corrupt]), ("unweighted", [1.0] * len(rows))):
        out = tmp_path / name
        table = weighted_table(bad, weights) if name == "weighted" else tm.train_table(bad)
        proc = run_cli(train_args(out, base_model, ["--epochs", "10"]), tm.stream_bytes(table, max_chunksize=64))
        assert proc.returncode == 0, proc.stderr.decode()[-3000:]
        events = json_lines(proc.stdout)
        runs[name] = (events, json.loads((out / "distill_model.json").read_text()))
    (w_events, w_meta), (u_events, u_meta) = runs["weighted"], runs["unweighted"]
    assert w_events[0]["weighted"] is True and w_meta["weighted"] is True
    assert u_events[0]["weighted"] is False and u_meta["weighted"] is False
    assert w_events[0]["train_rows"] == 240  # a weight of 0 keeps the row, it only adds nothing to the loss
    baseline = tm.mean_baseline_mae(rows)
    w_mae, u_mae = w_events[-1]["val_mae"], u_events[-1]["val_mae"]
    assert w_mae < 0.3 * baseline, f"weighted val MAE {w_mae:.3f} vs mean predictor {baseline:.3f}"
    assert w_mae < 0.5 * u_mae, f"weighted val MAE {w_mae:.3f}, unweighted {u_mae:.3f}"
