"""Fixtures: a tiny local base model, one shared training run, a CLI runner.

Everything runs the real CLI (``python -m distill_trainer``) as a subprocess
on CPU, the way the Go side does. One thread per process: the machines this
runs on have two cores and other work on them, and torch's thread pool
oversubscribed is many times slower for a model this small.
"""

import json
import os
import subprocess
import sys

TRAINER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TRAINER_DIR)  # the in-process tests import the package without installing it
os.environ["HF_HUB_OFFLINE"] = "1"  # before huggingface_hub is imported: nothing here may reach the network

import pyarrow as pa  # noqa: E402
import pytest  # noqa: E402
import tinymodel as tm  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)
# Enough epochs at a high enough rate for a random tiny encoder to learn the signal.
TRAIN_FLAGS = ["--epochs", "5", "--lr", "5e-3", "--batch-size", "16", "--max-length", "32"]


def cli_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = TRAINER_DIR + os.pathsep + env.get("PYTHONPATH", "")
    env["OMP_NUM_THREADS"] = "1"
    env["HF_HUB_OFFLINE"] = "1"  # nothing here may reach for the network
    return env


def run_cli(args, stdin=b"", timeout=300, env=None):
    """The CLI as a subprocess; env adds variables (a PYTHONPATH given goes first on the path)."""
    full = cli_env()
    for k, v in (env or {}).items():
        full[k] = v + os.pathsep + full[k] if k == "PYTHONPATH" else v
    return subprocess.run(
        [sys.executable, "-m", "distill_trainer", *args],
        input=stdin,
        capture_output=True,
        cwd=TRAINER_DIR,
        env=full,
        timeout=timeout,
    )


def json_lines(stdout):
    """Every stdout line must be one JSON object; returns them."""
    text = stdout.decode("utf-8")
    assert text.endswith("\n"), f"stdout does not end with a newline: {text[-200:]!r}"
    return [json.loads(line) for line in text.splitlines()]


def train_args(out, base, extra=()):
    return ["train", "--out", str(out), "--dimensions", ",".join(tm.DIMENSIONS), "--base-model", str(base), *TRAIN_FLAGS, *extra]


@pytest.fixture(scope="session")
def rows():
    return tm.make_rows()


@pytest.fixture(scope="session")
def base_model(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("base") / "tiny-bert"
    # Vocabulary from the training texts and a few words only the predict tests use.
    tm.build_base_model(str(path), [r[2] for r in rows] + [" ".join(tm.FILLER + list(tm.SIGNALS))])
    return path


class Trained:
    def __init__(self, proc, out, rows):
        self.proc = proc
        self.out = out
        self.rows = rows
        self.events = json_lines(proc.stdout)

    def of(self, kind):
        return [e for e in self.events if e["event"] == kind]

    def val_predictions(self):
        return pa.ipc.open_file(str(self.out / "val_predictions.arrow")).read_all()


@pytest.fixture(scope="session")
def trained(tmp_path_factory, base_model, rows):
    """One training run on the learnable data, shared by the tests that read it."""
    out = tmp_path_factory.mktemp("run") / "student"
    proc = run_cli(train_args(out, base_model), tm.stream_bytes(tm.train_table(rows), max_chunksize=64))
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    return Trained(proc, out, rows)


def predict(model_dir, ids, texts, chunk=None, extra=()):
    table = pa.table({"id": pa.array(ids, pa.string()), "text": pa.array(texts, pa.string())})
    proc = run_cli(["predict", "--model", str(model_dir), *extra], tm.stream_bytes(table, max_chunksize=chunk))
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    return proc
