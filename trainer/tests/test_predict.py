"""predict: the reloaded artifact, the Arrow stream out, streaming."""

import json
import subprocess
import sys
import threading

import numpy as np
import pyarrow as pa
import pytest

import tinymodel as tm
from conftest import TRAINER_DIR, cli_env, json_lines, predict, run_cli, train_args


def _val(rows):
    val = [r for r in rows if r[0] == "val"]
    return [r[1] for r in val], [r[2] for r in val], np.array([r[3] for r in val])


def test_reloaded_model_reproduces_best_epoch(trained):
    ids, texts, _ = _val(trained.rows)
    proc = predict(trained.out, ids, texts, chunk=30)
    reader = pa.ipc.open_stream(proc.stdout)  # stdout is the Arrow stream and nothing else
    assert reader.schema.field("id").type == pa.string()
    assert reader.schema.field("predictions").type == pa.list_(pa.float64())
    assert json.loads(reader.schema.metadata[b"distill.dimensions"]) == list(tm.DIMENSIONS)
    batches = list(reader)
    assert [b.num_rows for b in batches] == [30, 30, 20], "one output batch per input batch"

    got = pa.Table.from_batches(batches)
    want = trained.val_predictions()
    assert got.column("id").to_pylist() == ids == want.column("id").to_pylist()
    g = np.array(got.column("predictions").to_pylist())
    w = np.array(want.column("predictions").to_pylist())
    assert g.shape == (80, len(tm.DIMENSIONS))
    np.testing.assert_allclose(g, w, atol=1e-5, rtol=0)
    assert ((g >= 0) & (g <= 10)).all()


def test_only_the_best_epoch_is_saved(tmp_path, base_model, rows):
    # Val labels are the mirror image of what train teaches: the better the
    # model learns, the worse its val MAE, so the best epoch is an early one
    # and the saved model must be that epoch's, not the last.
    mirrored = [r if r[0] == "train" else (r[0], r[1], r[2], [10.0 - v for v in r[3]]) for r in rows]
    out = tmp_path / "student"
    flags = ["--epochs", "4"]
    proc = run_cli(train_args(out, base_model, flags), tm.stream_bytes(tm.train_table(mirrored)))
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]

    events = json_lines(proc.stdout)
    epochs = {e["epoch"]: e for e in events if e["event"] == "epoch"}
    done = events[-1]
    assert done["best_epoch"] < 4
    assert epochs[4]["val_mae"] > done["val_mae"] + 0.5

    ids, texts, _ = _val(mirrored)
    labels = np.array([r[3] for r in mirrored if r[0] == "val"])
    proc = predict(out, ids, texts)
    got = np.array(pa.ipc.open_stream(proc.stdout).read_all().column("predictions").to_pylist())
    per_dim = np.abs(got - labels).mean(axis=0)
    np.testing.assert_allclose(per_dim, epochs[done["best_epoch"]]["val_mae_per_dimension"], atol=1e-5)


def test_predict_streams_batch_by_batch(trained):
    """The first output batch arrives while stdin is still open."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "distill_trainer", "predict", "--model", str(trained.out)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=TRAINER_DIR,
        env=cli_env(),
    )
    stderr = []
    threading.Thread(target=lambda: stderr.append(proc.stderr.read()), daemon=True).start()
    timer = threading.Timer(120, proc.kill)
    timer.start()
    try:
        schema = pa.schema([("id", pa.string()), ("text", pa.string())])
        writer = pa.ipc.new_stream(proc.stdin, schema)
        writer.write_batch(pa.record_batch([pa.array(["x1", "x2"]), pa.array(["solar power", "city news"])], schema=schema))
        proc.stdin.flush()
        reader = pa.ipc.open_stream(proc.stdout)
        first = reader.read_next_batch()
        assert first.column(0).to_pylist() == ["x1", "x2"]

        writer.write_batch(pa.record_batch([pa.array(["x3"]), pa.array(["turbine"])], schema=schema))
        writer.close()
        proc.stdin.close()
        rest = list(reader)
        assert [b.column(0).to_pylist() for b in rest] == [["x3"]]
        assert proc.wait() == 0, stderr
    finally:
        timer.cancel()
        proc.kill()


def test_predict_empty_stream_gives_empty_stream(trained):
    proc = predict(trained.out, [], [])
    table = pa.ipc.open_stream(proc.stdout).read_all()
    assert table.num_rows == 0
    assert table.schema.names == ["id", "predictions"]
