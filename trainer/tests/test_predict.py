"""predict: the reloaded artifact, the Arrow stream out, streaming."""

import json
import subprocess
import sys
import threading

import numpy as np
import pyarrow as pa
import tinymodel as tm
from conftest import TRAINER_DIR, cli_env, predict


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

        writer.write_batch(pa.record_batch([pa.array([], pa.string()), pa.array([], pa.string())], schema=schema))
        writer.write_batch(pa.record_batch([pa.array(["x3"]), pa.array(["turbine"])], schema=schema))
        writer.close()
        proc.stdin.close()
        rest = list(reader)
        assert [b.column(0).to_pylist() for b in rest] == [[], ["x3"]], "an empty batch in, an empty batch out"
        assert proc.wait() == 0, stderr
    finally:
        timer.cancel()
        proc.kill()
