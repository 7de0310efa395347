"""embed: texts in, unit vectors out, one output batch per input batch; the
schema (dimension, digest) before any input; errors with exit 2."""

import hashlib
import json
import subprocess
import sys
import threading

import numpy as np
import pyarrow as pa
import pytest
import tinymodel as tm
from conftest import TRAINER_DIR, cli_env, run_cli

TEXT_SCHEMA = pa.schema([("text", pa.string())])
TEXTS = [
    "solar power for the city",
    "the turbine market",
    "solar power for the city",  # twice: the same vector
    "",  # no words: [CLS] [SEP] only, still a unit vector
    " ".join(tm.FILLER * 4),  # past the tiny model's 128 positions: --max-length is capped at them
    "water policy report",
    "people data study",
]


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    path = tmp_path_factory.mktemp("embed") / "tiny-encoder"
    tm.build_base_model(str(path), [" ".join(tm.FILLER + list(tm.SIGNALS))])
    return path


@pytest.fixture(scope="module")
def default_run(encoder):
    """One run with the default flags, three texts a batch: (schema, batches), read by several tests."""
    return embed(encoder, stream(TEXTS, chunk=3))


def stream(texts, chunk=None, text_type=pa.string()):
    table = pa.table({"text": pa.array(texts, text_type)})
    return tm.stream_bytes(table, max_chunksize=chunk)


def embed(model, stdin, extra=()):
    proc = run_cli(["embed", "--model", str(model), "--threads", "1", *extra], stdin)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    reader = pa.ipc.open_stream(proc.stdout)  # stdout is the Arrow stream and nothing else
    return reader.schema, list(reader)


def vectors(batches):
    if not batches:
        return np.zeros((0, 0), dtype=np.float32)
    return np.array(pa.Table.from_batches(batches).column("vector").to_pylist(), dtype=np.float32)


def error_event(proc):
    last = proc.stderr.decode().rstrip("\n").splitlines()[-1]
    event = json.loads(last)
    assert event["event"] == "error", last
    return event["message"]


def test_embed_vectors(encoder, default_run):
    schema, batches = default_run
    assert schema.field("vector").type == pa.list_(pa.float32(), 32)
    meta = {k.decode(): v.decode() for k, v in schema.metadata.items()}
    assert meta["distill.encoder.dim"] == "32"
    assert meta["distill.encoder.kind"] == "bert"
    assert meta["distill.max_length"] == "128", "capped at the model's max_position_embeddings"
    with open(encoder / "model.safetensors", "rb") as f:
        assert meta["distill.model_sha256"] == hashlib.sha256(f.read()).hexdigest()
    assert [b.num_rows for b in batches] == [3, 3, 1], "one output batch per input batch"

    v = vectors(batches)
    assert v.shape == (len(TEXTS), 32)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(v[0], v[2], atol=1e-6)
    for i in range(len(TEXTS)):
        for j in range(i + 1, len(TEXTS)):
            if TEXTS[i] != TEXTS[j]:
                assert not np.allclose(v[i], v[j], atol=1e-4), (TEXTS[i], TEXTS[j])


def test_embed_is_mean_pooling(encoder, default_run):
    """The vectors are the attention-masked mean of the last hidden state, L2-normalised."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    _, batches = default_run
    tok = AutoTokenizer.from_pretrained(str(encoder))
    model = AutoModel.from_pretrained(str(encoder)).eval()
    want = []
    with torch.inference_mode():
        for text in TEXTS:  # one at a time: no padding at all
            enc = tok([text], truncation=True, max_length=128, return_tensors="pt")
            mean = model(**enc).last_hidden_state[0].mean(dim=0)
            want.append((mean / mean.norm()).numpy())
    np.testing.assert_allclose(vectors(batches), np.array(want), atol=1e-5)


def digest(schema):
    return schema.metadata[b"distill.encoder.digest"].decode()


def test_embed_batching_changes_neither_vectors_nor_digest(encoder, default_run):
    schema, one = default_run
    other, many = embed(encoder, stream(TEXTS, chunk=2, text_type=pa.large_string()), extra=["--batch-size", "1"])
    np.testing.assert_allclose(vectors(one), vectors(many), atol=1e-5)
    assert len(digest(schema)) == 64 and digest(other) == digest(schema)


def test_embed_empty_input(encoder):
    schema, batches = embed(encoder, tm.stream_bytes(pa.table({"text": pa.array([], pa.string())})))
    assert schema.field("vector").type == pa.list_(pa.float32(), 32)
    assert batches == [], "a stream with no batches gives a stream with the schema and no batches"


def test_embed_digest_follows_the_token_budget(encoder, default_run):
    """What changes long texts' vectors changes the digest, hence the encoder's name."""
    schema, _ = embed(encoder, stream(["x"]), ["--max-length", "16"])
    assert schema.metadata[b"distill.max_length"] == b"16"
    assert digest(schema) != digest(default_run[0])


def test_embed_schema_comes_before_input(encoder):
    """The Go side reads the dimension and digest before it writes a text; then batches stream."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "distill_trainer", "embed", "--model", str(encoder), "--threads", "1"],
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
        reader = pa.ipc.open_stream(proc.stdout)  # nothing written to stdin yet
        assert reader.schema.metadata[b"distill.encoder.dim"] == b"32"
        writer = pa.ipc.new_stream(proc.stdin, TEXT_SCHEMA)
        writer.write_batch(pa.record_batch([pa.array(["solar", "city"])], schema=TEXT_SCHEMA))
        proc.stdin.flush()
        assert reader.read_next_batch().num_rows == 2, "the first batch comes back while stdin is open"
        writer.write_batch(pa.record_batch([pa.array([], pa.string())], schema=TEXT_SCHEMA))
        writer.write_batch(pa.record_batch([pa.array(["turbine"])], schema=TEXT_SCHEMA))
        writer.close()
        proc.stdin.close()
        assert [b.num_rows for b in reader] == [0, 1], "an empty batch in, an empty batch out"
        assert proc.wait() == 0, stderr
    finally:
        timer.cancel()
        proc.kill()


def test_embed_missing_model(tmp_path):
    proc = run_cli(["embed", "--model", str(tmp_path / "absent")], stream(["x"]))
    assert proc.returncode == 2
    assert proc.stdout == b"", "nothing on stdout before the model loads"
    msg = error_event(proc)
    assert "no such model folder" in msg and "fetch-minilm" in msg, msg


@pytest.mark.parametrize(
    "files, want",
    [
        ({}, "no config.json"),
        ({"config.json": "{}"}, "no weights"),
        ({"config.json": "{", "model.safetensors": ""}, "reading config.json"),
    ],
)
def test_embed_not_a_model(tmp_path, files, want):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    proc = run_cli(["embed", "--model", str(tmp_path)], stream(["x"]))
    assert proc.returncode == 2, proc.stderr.decode()[-2000:]
    assert want in error_event(proc)


def test_embed_refuses_other_pooling(tmp_path, encoder):
    import shutil

    model = tmp_path / "cls"
    shutil.copytree(encoder, model)
    modules = [{"path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
    (model / "modules.json").write_text(json.dumps(modules))
    (model / "1_Pooling").mkdir()
    pooling = {"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}
    (model / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    proc = run_cli(["embed", "--model", str(model)], stream(["x"]))
    assert proc.returncode == 2
    assert "pooling_mode_cls_token" in error_event(proc)


@pytest.mark.parametrize(
    "stdin, want",
    [
        (tm.stream_bytes(pa.table({"body": ["x"]})), "missing column text"),
        (tm.stream_bytes(pa.table({"text": pa.array([1, 2])})), "column text is int64, want string"),
        (stream(["a", None]), "row 1 has a null text"),
        (b"not arrow", "not an Arrow IPC stream"),
    ],
    ids=["no text column", "int text", "null text", "not arrow"],
)
def test_embed_bad_input(encoder, stdin, want):
    proc = run_cli(["embed", "--model", str(encoder), "--threads", "1"], stdin)
    assert proc.returncode == 2, proc.stderr.decode()[-2000:]
    assert want in error_event(proc)


@pytest.mark.parametrize("flag, value", [("--batch-size", "0"), ("--max-length", "1"), ("--threads", "-1")])
def test_embed_bad_flags(encoder, flag, value):
    proc = run_cli(["embed", "--model", str(encoder), flag, value], stream(["x"]))
    assert proc.returncode == 2
    assert flag in error_event(proc)


def test_fetch_minilm_refuses_a_folder_with_other_files(tmp_path):
    """Checked before pip runs: no network needed."""
    (tmp_path / "notes.txt").write_text("mine")
    proc = run_cli(["fetch-minilm", "--out", str(tmp_path)])
    assert proc.returncode == 2
    (event,) = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert event["event"] == "error" and "no model.safetensors" in event["message"]
    assert (tmp_path / "notes.txt").read_text() == "mine"
