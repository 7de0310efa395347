"""Bad input: a clear message, an error event, a non-zero exit; no traceback for the caller to parse.

Input is checked before torch is imported, so most of these take well under a second.
"""

import json

import pyarrow as pa
import pytest
import tinymodel as tm
from conftest import json_lines, run_cli, train_args


def train_error(tmp_path, base_model, table_or_bytes, extra=(), code=2):
    stdin = table_or_bytes if isinstance(table_or_bytes, bytes) else tm.stream_bytes(table_or_bytes)
    proc = run_cli(train_args(tmp_path / "out", base_model, extra), stdin)
    assert proc.returncode == code, proc.stderr.decode()[-2000:]
    events = json_lines(proc.stdout)
    assert [e["event"] for e in events] == ["error"], events
    assert not (tmp_path / "out").exists(), "a failed run left an artifact"
    return events[0]["message"]


def small_rows():
    return tm.make_rows(n_train=4, n_val=2)


def test_missing_column(tmp_path, base_model):
    table = tm.train_table(small_rows()).drop_columns(["labels"])
    msg = train_error(tmp_path, base_model, table)
    assert "missing column labels" in msg


def test_wrong_label_length(tmp_path, base_model):
    rows = small_rows()
    rows[2] = (rows[2][0], rows[2][1], rows[2][2], [1.0, 2.0, 3.0])
    msg = train_error(tmp_path, base_model, tm.train_table(rows))
    assert f"id '{rows[2][1]}'" in msg and "labels has 3 values, want 2" in msg


@pytest.mark.parametrize(
    "mutate, want",
    [
        (lambda r: (r[0], r[1], r[2], [1.0, float("nan")]), "label impact is nan"),
        (lambda r: (r[0], r[1], r[2], None), "labels is null"),
        (lambda r: (r[0], r[1], None, r[3]), "text is null"),
        (lambda r: ("test", r[1], r[2], r[3]), "split is 'test'"),
    ],
    ids=["nan-label", "null-labels", "null-text", "unknown-split"],
)
def test_bad_row(tmp_path, base_model, mutate, want):
    rows = small_rows()
    rows[1] = mutate(rows[1])
    assert want in train_error(tmp_path, base_model, tm.train_table(rows))


def test_duplicate_id(tmp_path, base_model):
    rows = small_rows()
    rows[3] = (rows[3][0], rows[0][1], rows[3][2], rows[3][3])
    assert "appears more than once" in train_error(tmp_path, base_model, tm.train_table(rows))


def test_no_val_rows(tmp_path, base_model):
    rows = [r for r in small_rows() if r[0] == "train"]
    assert "no rows with split 'val'" in train_error(tmp_path, base_model, tm.train_table(rows))


def test_labels_not_a_list(tmp_path, base_model):
    table = tm.train_table(small_rows()).set_column(3, "labels", pa.array(["x"] * 6))
    assert "column labels is string, want list<double>" in train_error(tmp_path, base_model, table)


@pytest.mark.parametrize("stdin", [b"", b"id,text\n1,hello\n"], ids=["empty", "csv"])
def test_stdin_not_arrow(tmp_path, base_model, stdin):
    assert "not an Arrow IPC stream" in train_error(tmp_path, base_model, stdin)


@pytest.mark.parametrize(
    "extra, want",
    [
        (["--epochs", "0"], "--epochs must be positive"),
        (["--device", "tpu"], "argument --device: invalid choice"),
        (["--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    ],
    ids=["zero-epochs", "bad-device", "unknown-flag"],
)
def test_bad_flags(tmp_path, base_model, extra, want):
    assert want in train_error(tmp_path, base_model, tm.train_table(small_rows()), extra)


def test_out_not_empty(tmp_path, base_model):
    out = tmp_path / "out"
    out.mkdir()
    (out / "x").write_text("x")
    proc = run_cli(train_args(out, base_model), tm.stream_bytes(tm.train_table(small_rows())))
    assert proc.returncode == 2
    assert "exists and is not an empty directory" in json_lines(proc.stdout)[0]["message"]


def test_base_model_dir_missing(tmp_path):
    msg = train_error(tmp_path, tmp_path / "no-such-model", tm.train_table(small_rows()))
    assert "no such directory" in msg


def test_hub_id_without_hub():
    # In process: a CLI run would spend seconds importing transformers to say
    # this. conftest sets HF_HUB_OFFLINE=1; with no network the error is the same kind.
    from distill_trainer import modeling
    from distill_trainer.errors import InputError

    with pytest.raises(InputError, match="(?s)could not be loaded from the Hugging Face hub.*local model directory"):
        modeling.load_tokenizer("no-such-org/no-such-model")


def test_cuda_without_gpu():
    import torch

    from distill_trainer import modeling
    from distill_trainer.errors import InputError

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(InputError, match="--device cuda: torch sees no CUDA device"):
        modeling.resolve_device("cuda")


def predict_error(args, stdin, code=2):
    proc = run_cli(["predict", *args], stdin)
    assert proc.returncode == code, proc.stderr.decode()[-2000:]
    assert proc.stdout == b"", "predict's stdout is Arrow only, even on error"
    last = proc.stderr.decode().strip().splitlines()[-1]
    event = json.loads(last)
    assert event["event"] == "error"
    return event["message"]


def test_predict_missing_text_column(trained):
    table = pa.table({"id": ["a"], "body": ["solar"]})
    msg = predict_error(["--model", str(trained.out)], tm.stream_bytes(table))
    assert "missing column text" in msg


def test_predict_not_a_model(tmp_path):
    table = pa.table({"id": ["a"], "text": ["solar"]})
    msg = predict_error(["--model", str(tmp_path)], tm.stream_bytes(table))
    assert "not a distill model" in msg
