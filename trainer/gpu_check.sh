#!/usr/bin/env bash
# GPU check for the LoRA trainer: on a CUDA machine with no internet, build a
# ~110M-parameter BERT (bert-base sized, random weights) and a tokenizer
# locally, train the recipe in bf16 on synthetic data for about a minute with
# the real CLI, predict the val split, and print one JSON summary: train
# throughput (examples/s), predict rows/s, peak GPU memory, val MAE per epoch.
# Takes under 5 minutes (training is cut at TRAIN_TIMEOUT seconds whatever happens).
#
#   bash trainer/gpu_check.sh                  # defaults below; override with env vars
#   ROWS=8000 MAX_LENGTH=256 bash trainer/gpu_check.sh
#   DEVICE=cpu HIDDEN=64 LAYERS=2 HEADS=2 ROWS=300 VAL_ROWS=60 MAX_LENGTH=64 bash trainer/gpu_check.sh   # a smoke run without a GPU
#
# Installs nothing when torch, transformers, peft and pyarrow import. Without
# them: WHEELHOUSE=dir installs from a folder of wheels, else pip tries PyPI.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}

if ! "$PY" -c "import torch, transformers, peft, pyarrow, tokenizers" 2>/dev/null; then
  if ! "$PY" -c "import torch" 2>/dev/null; then
    echo "gpu_check: torch is not installed; install requirements.txt first (torch is too big to carry)" >&2
    exit 2
  fi
  if [ -n "${WHEELHOUSE:-}" ]; then
    "$PY" -m pip install --quiet --no-index --find-links "$WHEELHOUSE" transformers peft pyarrow
  else
    timeout 120 "$PY" -m pip install --quiet transformers==5.24.0 peft==0.21.2 pyarrow==26.0.1
  fi
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >&2 || true

export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export HF_HUB_OFFLINE=1
exec "$PY" - <<'PYEOF'
import json, os, random, subprocess, sys, tempfile, time

import pyarrow as pa
import pyarrow.compute
import torch
from tokenizers import Tokenizer, models, pre_tokenizers, processors
from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

env = os.environ.get
DEVICE = env("DEVICE", "cuda")
HIDDEN, LAYERS, HEADS = int(env("HIDDEN", "768")), int(env("LAYERS", "12")), int(env("HEADS", "12"))
ROWS, VAL_ROWS = int(env("ROWS", "12000")), int(env("VAL_ROWS", "1000"))
WORDS = int(env("WORDS", "380"))  # words per text: about MAX_LENGTH tokens, truncation exercised
MAX_LENGTH, BATCH, EPOCHS = int(env("MAX_LENGTH", "512")), int(env("BATCH_SIZE", "32")), int(env("EPOCHS", "2"))
LR = env("LR", "2e-4")
TRAIN_TIMEOUT = int(env("TRAIN_TIMEOUT", "210"))
VOCAB = 30522

tmp = tempfile.mkdtemp(prefix="gpu-check-")
t_setup = time.monotonic()

# Tokenizer: a word-level vocabulary of VOCAB words w0..wN, built here (no download).
words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(VOCAB - 5)]
tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
tok.pre_tokenizer = pre_tokenizers.Whitespace()
tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]",
                        sep_token="[SEP]", mask_token="[MASK]").save_pretrained(f"{tmp}/base")
cfg = BertConfig(vocab_size=VOCAB, hidden_size=HIDDEN, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                 intermediate_size=4 * HIDDEN, max_position_embeddings=max(512, MAX_LENGTH),
                 initializer_range=float(env("INIT_RANGE", "0.05")))
torch.manual_seed(0)
base = BertModel(cfg)
params = sum(p.numel() for p in base.parameters())
base.save_pretrained(f"{tmp}/base")
del base

# Data: three dimensions, each set by how many of its marker words a text holds
# (0-10), so a student that learns anything beats the mean.
rng = random.Random(1)
markers = [[f"w{100 + 10 * d + k}" for k in range(5)] for d in range(3)]
def row(i):
    toks = [f"w{rng.randint(1000, VOCAB - 6)}" for _ in range(WORDS)]
    labels = []
    for d in range(3):
        n = rng.randint(0, 5)
        for _ in range(n):  # in the first 70% of the text, inside the token budget
            toks.insert(rng.randint(0, int(0.6 * MAX_LENGTH)), rng.choice(markers[d]))
        labels.append(2.0 * n)
    return ("train" if i < ROWS else "val", f"r{i}", " ".join(toks), labels)
rows = [row(i) for i in range(ROWS + VAL_ROWS)]
table = pa.table({"split": [r[0] for r in rows], "id": [r[1] for r in rows], "text": [r[2] for r in rows],
                  "labels": pa.array([r[3] for r in rows], pa.list_(pa.float64()))})
def stream(t):
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, t.schema) as w:
        w.write_table(t, max_chunksize=2048)
    return sink.getvalue().to_pybytes()
setup_seconds = time.monotonic() - t_setup

cmd = [sys.executable, "-m", "distill_trainer", "train", "--out", f"{tmp}/student", "--dimensions", "d0,d1,d2",
       "--base-model", f"{tmp}/base", "--epochs", str(EPOCHS), "--batch-size", str(BATCH),
       "--max-length", str(MAX_LENGTH), "--lr", LR, "--device", DEVICE, "--progress-seconds", "5"]
t0 = time.monotonic()
proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
proc.stdin.write(stream(table)); proc.stdin.close()
events, steps, timed_out = [], [], False
deadline = t0 + TRAIN_TIMEOUT
import selectors
sel = selectors.DefaultSelector(); sel.register(proc.stdout, selectors.EVENT_READ)
buf = b""
while True:
    left = deadline - time.monotonic()
    if left <= 0:
        timed_out = True; proc.kill(); break
    if not sel.select(timeout=min(left, 5)):
        continue
    chunk = os.read(proc.stdout.fileno(), 65536)
    if not chunk:
        break
    buf += chunk
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        e = json.loads(line); e["_t"] = time.monotonic() - t0; events.append(e)
        if e["event"] == "step": steps.append(e)
        if e["event"] != "step": print(json.dumps(e), file=sys.stderr, flush=True)
rc = proc.wait()
train_wall = time.monotonic() - t0

def steady_rate():
    # examples/s between the first and last step event: model load and warm-up excluded
    if len(steps) < 2: return None
    a, b = steps[0], steps[-1]
    return round((b["step"] - a["step"]) * BATCH / (b["_t"] - a["_t"]), 1) if b["_t"] > a["_t"] else None

start = next((e for e in events if e["event"] == "start"), {})
epochs = [e for e in events if e["event"] == "epoch"]
done = next((e for e in events if e["event"] == "done"), None)
error = next((e["message"] for e in events if e["event"] == "error"), None)
summary = {
    "ok": rc == 0 and done is not None,
    "device": start.get("device_name"), "dtype": start.get("dtype"), "backend": start.get("backend"),
    "base_params": params, "trainable_params": start.get("trainable_params"),
    "train_rows": ROWS, "val_rows": VAL_ROWS, "max_length": MAX_LENGTH, "batch_size": BATCH,
    "setup_seconds": round(setup_seconds, 1), "train_wall_seconds": round(train_wall, 1),
    "train_timed_out": timed_out, "error": error,
    "train_examples_per_second": steady_rate(),
    "epoch_examples_per_second": [e.get("examples_per_second") for e in epochs],
    "peak_gpu_memory_mb": max((e.get("peak_gpu_memory_mb", 0) for e in epochs), default=None),
    "val_mae_by_epoch": [round(e["val_mae"], 4) for e in epochs],
    "best_epoch": done and done["best_epoch"],
}
train_labels = [r[3] for r in rows if r[0] == "train"]
means = [sum(l[d] for l in train_labels) / len(train_labels) for d in range(3)]
val_labels = [r[3] for r in rows if r[0] == "val"]
summary["mean_predictor_val_mae"] = round(sum(abs(l[d] - means[d]) for l in val_labels for d in range(3)) / (3 * len(val_labels)), 4)
if done:
    val = table.filter(pa.compute.equal(table.column("split"), "val")).select(["id", "text"])
    t1 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "distill_trainer", "predict", "--model", f"{tmp}/student",
                        "--device", DEVICE, "--batch-size", "128"], input=stream(val), stdout=subprocess.PIPE, timeout=120)
    wall = time.monotonic() - t1
    n = pa.ipc.open_stream(p.stdout).read_all().num_rows if p.returncode == 0 else 0
    summary["predict_rows"] = n
    summary["predict_wall_seconds_with_load"] = round(wall, 1)
print(json.dumps(summary, indent=2))
sys.exit(0 if summary["ok"] else 1)
PYEOF
