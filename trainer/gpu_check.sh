#!/usr/bin/env bash
# GPU check for the LoRA trainer, on a CUDA machine with no internet. Two modes:
#
# MODE=4bit (default): QLoRA as `distill train --quantize 4bit` runs it, on a
#   1B-shaped (Llama-3.2-1B: LlamaConfig, hidden 2048, 16 layers, 32/8 heads,
#   vocab 128256, tied) and a 7B-shaped (Qwen2.5-7B: Qwen2Config, hidden 3584,
#   28 layers, 28/4 heads, vocab 152064) decoder built from configs (random
#   bf16 weights drawn on the GPU and saved to SCRATCH, nothing downloaded),
#   loaded through the trainer's own loader (NF4, double quantization, bf16
#   compute), LoRA r=16 all-linear, gradient checkpointing, a 3-dimension
#   regression head, 512-token texts, batch 8. gpu_check_lib.py has the details.
#   Each shape measures TRAIN_SECONDS of training (steady state, the first
#   WARMUP_STEPS steps left out) and PREDICT_SECONDS of predict: 40 s with the
#   defaults, 110 s at most whatever they say. Texts are random letters under a
#   byte-level tokenizer built here (one token per character: transformers 5
#   loads a qwen2 model's tokenizer as Qwen2Tokenizer, which a word-level
#   vocabulary does not survive), each cut to exactly MAX_LENGTH tokens. Then the
#   run prints ONE JSON line on stdout (progress goes to stderr):
#     ok, gpu, gpu_memory_gib, versions (torch, transformers, peft, bitsandbytes, ...),
#     shapes.{1b,7b}: params, build/load seconds, linear4bit_layers, trainable_params,
#       train_examples_per_second, train_peak_gib (max_memory_allocated, reset per
#       phase; train_peak_reserved_gib beside it, and both in bytes), predict_ms_per_article
#       (at PREDICT_BATCH, by default predict's own --batch-size default, 32),
#       load/predict peaks, ok, timed_out, error;
#     projections: train_minutes_1b_3x8000x512 (3 epochs x 8,000 examples), predict
#       ms/article, the 7B's training peak allocated and reserved (GiB and bytes);
#     targets: train_1b_3x8000x512_under_10_min, predict_1b_at_most_5_ms_per_article,
#       train_7b_peak_reserved_within_16_gb (max_memory_reserved <= 16e9 bytes, the issue's
#       16 GB; target_7b_peak_basis says so in the JSON) (true, false, or null when not
#       measured); targets_met.
#   First a preflight (seconds): transformers >= 4.56, peft >= 0.14, accelerate and
#   bitsandbytes importable; a miss prints ONE JSON line (ok false, preflight false,
#   missing: what and why) and exits 2 before any checkpoint is built.
#   Time limits: each shape runs in a child process killed at its cap (1b 140 s,
#   7b 210 s: SHAPE_SECONDS_1B, SHAPE_SECONDS_7B), the shapes all within
#   TIME_LIMIT (320 s), `timeout` killing the lot 20 s later whatever happens
#   (then the JSON line says only that); with the checks and a bitsandbytes
#   install before it, the script ends within 6 minutes. A shape cut short
#   reports what it measured (timed_out: true, and why in error). Expected on
#   an H100: ~1.5 min for the 1B shape, ~2-2.5 min for the 7B.
#   SCRATCH needs ~16 GB free for the 7B-shaped checkpoint (default: $TMPDIR or /tmp).
# MODE=bert: the earlier check, a ~110M BERT trained in bf16 (no quantization)
#   through the real CLI for TRAIN_TIMEOUT (210 s), one indented JSON summary.
#
#   bash trainer/gpu_check.sh                                  # MODE=4bit, both shapes
#   WHEELHOUSE=.whl bash trainer/gpu_check.sh                  # bitsandbytes from .whl/*.whl
#   SHAPES=1b TRAIN_SECONDS=20 bash trainer/gpu_check.sh      # one shape, shorter
#   MODE=bert ROWS=8000 MAX_LENGTH=256 bash trainer/gpu_check.sh
#   # smoke runs without a GPU (bitsandbytes quantizes on the CPU too):
#   DEVICE=cpu THREADS=1 HIDDEN=64 INTERMEDIATE=128 LAYERS=2 HEADS=2 KV_HEADS=1 VOCAB=600 \
#     MAX_LENGTH=64 BATCH_SIZE=4 TRAIN_ROWS=64 TRAIN_SECONDS=2 WARMUP_STEPS=1 PREDICT_SECONDS=1 \
#     PREDICT_BATCH=8 bash trainer/gpu_check.sh
#   MODE=bert DEVICE=cpu HIDDEN=64 LAYERS=2 HEADS=2 ROWS=300 VAL_ROWS=60 MAX_LENGTH=64 bash trainer/gpu_check.sh
#
# Env (4bit): PYTHON (python3), DEVICE (cuda), SHAPES (1b,7b), BATCH_SIZE (8),
# MAX_LENGTH (512), TRAIN_ROWS (1b 4096, 7b 1024), TRAIN_SECONDS (30),
# WARMUP_STEPS (3), PREDICT_SECONDS (10), PREDICT_BATCH (32: predict's default), TIME_LIMIT (320),
# SCRATCH, THREADS (0: torch's default), shape overrides for every shape:
# HIDDEN, INTERMEDIATE, LAYERS, HEADS, KV_HEADS, VOCAB.
#
# Installs nothing from the network, ever (PIP_NO_INDEX=1). It runs on the torch,
# transformers, peft, pyarrow and tokenizers it finds (and bitsandbytes for
# MODE=4bit); a missing one comes from WHEELHOUSE=dir of wheels (pip install
# --no-index --no-deps into a temporary folder put on PYTHONPATH, removed at
# the end), else the script stops with exit status 2.
set -euo pipefail
# Paths given relative to where the script was started, before it moves to trainer/.
PY=${PYTHON:-python3}
case "$PY" in */*) PY="$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")" ;; esac
if [ -n "${WHEELHOUSE:-}" ]; then WHEELHOUSE=$(cd "$WHEELHOUSE" && pwd); fi
if [ -n "${SCRATCH:-}" ]; then SCRATCH=$(cd "$SCRATCH" && pwd); export SCRATCH; fi
cd "$(dirname "$0")"
MODE=${MODE:-4bit}
export PIP_NO_INDEX=1
case "$MODE" in
  4bit) modules="torch transformers peft pyarrow tokenizers bitsandbytes" ;;
  bert) modules="torch transformers peft pyarrow tokenizers" ;;
  *) echo "gpu_check: MODE must be 4bit or bert, got '$MODE'" >&2; exit 2 ;;
esac
# Found or not, in one interpreter and without importing them (torch alone takes seconds).
missing=$("$PY" -c '
import importlib.util, sys
print(" ".join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))' $modules) || {
  echo "gpu_check: PYTHON=$PY does not run" >&2; exit 2; }
case " $missing " in
  *" torch "*) echo "gpu_check: $PY has no torch; install requirements.txt first (torch is too big to carry)" >&2; exit 2 ;;
esac
site=""
cleanup() { if [ -n "$site" ]; then rm -rf "$site"; fi; }
trap cleanup EXIT
if [ -n "$missing" ]; then
  if [ -z "${WHEELHOUSE:-}" ]; then
    echo "gpu_check: $PY cannot import $missing; bring their wheels (WHEELHOUSE=dir): nothing is installed from the network" >&2
    exit 2
  fi
  site=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check-site.XXXXXX")
  echo "gpu_check: installing $missing from $WHEELHOUSE into $site" >&2
  # --no-deps: only the missing packages, never a replacement of the torch found here.
  "$PY" -m pip install --quiet --no-index --no-deps --no-compile --find-links "$WHEELHOUSE" --target "$site" $missing || {
    echo "gpu_check: pip found no wheel of $missing for this Python and platform in $WHEELHOUSE" >&2; exit 2; }
  export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
  "$PY" -c "import $(echo $missing | tr ' ' ,)" >/dev/null || { echo "gpu_check: $missing from $WHEELHOUSE do not import" >&2; exit 2; }
fi
# Preflight, before anything is built: transformers >= 4.56, peft >= 0.14 (pyproject's minimums),
# and for MODE=4bit accelerate and bitsandbytes importable. Seconds; a miss ends the run with ONE
# JSON line on stdout naming it (exit 2) instead of minutes of checkpoint building first.
prc=0
"$PY" gpu_check_lib.py preflight "$MODE" || prc=$?
if [ "$prc" != 0 ]; then exit "$prc"; fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >&2 || true

export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
if [ "$MODE" = 4bit ]; then
  limit=${TIME_LIMIT:-320}
  rc=0
  timeout -k 5 "$((${limit%.*} + 20))" "$PY" gpu_check_lib.py || rc=$?
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "{\"ok\":false,\"mode\":\"4bit\",\"error\":\"gpu_check: killed after TIME_LIMIT=${limit}s + 20s\"}"
  fi
  exit "$rc"
fi
"$PY" - <<'PYEOF'
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
import shutil
shutil.rmtree(tmp, ignore_errors=True)
sys.exit(0 if summary["ok"] else 1)
PYEOF
