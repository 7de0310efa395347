"""Only the best epoch is saved, and loading it gives that epoch's predictions.

In process (the Python API under the CLI), to spare a second interpreter
start: this is about which weights are written, not about the protocol.
"""

import io
import json
import time

import numpy as np
import tinymodel as tm

from distill_trainer import modeling, train
from distill_trainer.arrow_io import Rows
from distill_trainer.events import Emitter
from distill_trainer.options import TrainOptions
from distill_trainer.text import encode


def split(rows, name):
    sel = [r for r in rows if r[0] == name]
    return Rows([r[1] for r in sel], [r[2] for r in sel], [r[3] for r in sel])


def test_only_the_best_epoch_is_saved(tmp_path, base_model, rows):
    # Val labels are the mirror image of what train teaches: the better the
    # model learns, the worse its val MAE, so the best epoch is an early one
    # and the saved adapter must be that epoch's, not the last.
    mirrored = [r if r[0] == "train" else (r[0], r[1], r[2], [10.0 - v for v in r[3]]) for r in rows]
    opts = TrainOptions(
        out=str(tmp_path / "student"), dimensions=list(tm.DIMENSIONS), base_model=str(base_model),
        epochs=4, lr=5e-3, batch_size=16, max_length=32, progress_seconds=0,
    )  # fmt: skip
    opts.validate()
    out = io.BytesIO()
    val = split(mirrored, "val")
    done = train.run(opts, split(mirrored, "train"), val, Emitter(out, 0), time.monotonic())

    events = [json.loads(line) for line in out.getvalue().splitlines()]
    epochs = {e["epoch"]: e for e in events if e["event"] == "epoch"}
    assert len([e for e in events if e["event"] == "step"]) == 4 * 20, "progress_seconds 0: every step reported"
    assert done["best_epoch"] < 4
    assert epochs[4]["val_mae"] > done["val_mae"] + 0.5

    model, tok = modeling.load_student(opts.out, str(base_model), 2, "cpu", modeling.resolve_dtype("fp32", "cpu"))
    preds = modeling.predict_sequences(model, encode(tok, val.texts, 32, 0.7), tok, "cpu", None, 16)
    per_dim = np.abs(np.array(preds) - np.array(val.labels)).mean(axis=0)
    np.testing.assert_allclose(per_dim, epochs[done["best_epoch"]]["val_mae_per_dimension"], atol=1e-5)


def test_gradient_checkpointing_trains_the_same_model(tmp_path, base_model, rows):
    maes = []
    for i, checkpointing in enumerate((False, True)):
        opts = TrainOptions(
            out=str(tmp_path / f"s{i}"), dimensions=list(tm.DIMENSIONS), base_model=str(base_model),
            epochs=1, lr=5e-3, batch_size=16, max_length=32, gradient_checkpointing=checkpointing,
        )  # fmt: skip
        done = train.run(opts, split(rows, "train"), split(rows, "val"), Emitter(io.BytesIO()), time.monotonic())
        maes.append(done["val_mae_per_dimension"])
    np.testing.assert_allclose(maes[0], maes[1], atol=1e-4)
