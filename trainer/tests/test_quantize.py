"""--quantize 4bit|8bit, --grad-accum and merge, through the real CLI on CPU.

bitsandbytes (0.47 and later) quantizes on the CPU too, so the quantized path
runs here for real with --device cpu: the same NF4 / LLM.int8 layers, peft's
bitsandbytes LoRA layers, and the same artifact a GPU run writes. Without
--device cpu a quantized run needs CUDA and says so; it never falls back to
full precision.
"""

import json
import os

import pyarrow as pa
import pytest
import tinymodel as tm
import torch
from conftest import json_lines, predict, run_cli, train_args
from safetensors import safe_open

CPU = ["--device", "cpu", "--threads", "1"]


def _train(tmp_path_factory, base_model, rows, name, extra):
    out = tmp_path_factory.mktemp(name) / "student"
    proc = run_cli(train_args(out, base_model, [*extra, *CPU]), tm.stream_bytes(tm.train_table(rows)))
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    return out, json_lines(proc.stdout)


@pytest.fixture(scope="module", params=["4bit", "8bit"])
def quantized(request, tmp_path_factory, base_model, rows):
    out, events = _train(tmp_path_factory, base_model, rows, "q" + request.param, ["--quantize", request.param])
    return request.param, out, events


@pytest.fixture(scope="module")
def full(tmp_path_factory, base_model, rows):
    return _train(tmp_path_factory, base_model, rows, "full", [])


def _val(rows):
    val = [r for r in rows if r[0] == "val"]
    return [r[1] for r in val], [r[2] for r in val]


def _predictions(stdout):
    got = pa.ipc.open_stream(stdout).read_all().to_pydict()
    return dict(zip(got["id"], got["predictions"]))


def _val_predictions(out):
    t = pa.ipc.open_file(str(out / "val_predictions.arrow")).read_all().to_pydict()
    return dict(zip(t["id"], t["predictions"]))


def _max_diff(a, b):
    assert a.keys() == b.keys()
    return max(abs(x - y) for k in a for x, y in zip(a[k], b[k]))


def test_quantized_training_learns_and_records_how_it_loaded(quantized, full, rows, base_model):
    kind, out, events = quantized
    start = next(e for e in events if e["event"] == "start")
    full_start = next(e for e in full[1] if e["event"] == "start")
    assert start["quantize"] == kind and full_start["quantize"] == "none"
    # The same model, counted by the weights it stands for; held in far fewer bytes.
    assert start["total_params"] == full_start["total_params"]
    assert start["trainable_params"] == full_start["trainable_params"]
    # Every Linear of the base (the head excepted) is held in 4 or 8 bits instead of fp32's 32: at
    # least 2.5 bytes saved per weight even at these tiny sizes, where each layer's quantization
    # statistics (about 1 KB with double quantization) weigh as much as its weights.
    cfg = json.loads((base_model / "config.json").read_text())
    h, ff = cfg["hidden_size"], cfg["intermediate_size"]
    linear = cfg["num_hidden_layers"] * (4 * h * h + 2 * h * ff) + h * h  # attention, feed-forward; pooler
    saved = full_start["weight_bytes"] - start["weight_bytes"]
    assert 2.5 * linear < saved < 3.5 * linear, f"{kind}: {saved} bytes saved on {linear} quantized weights"
    done = next(e for e in events if e["event"] == "done")
    assert done["val_mae"] < 0.2 * tm.mean_baseline_mae(rows)

    meta = json.loads((out / "distill_model.json").read_text())
    assert meta["hyperparameters"]["quantize"] == kind
    assert "bitsandbytes" in meta["versions"]
    # The adapter holds LoRA and the head only: never the quantized base.
    with safe_open(str(out / "adapter_model.safetensors"), "pt") as f:
        keys = list(f.keys())
        dtypes = {f.get_slice(k).get_dtype() for k in keys}
    assert keys and all("lora_" in k or "classifier" in k for k in keys), keys
    assert dtypes == {"F32"}


def test_predict_loads_the_base_as_it_was_trained(quantized, rows):
    kind, out, _ = quantized
    ids, texts = _val(rows)
    want = _val_predictions(out)
    proc = predict(out, ids, texts, extra=CPU)
    assert _max_diff(_predictions(proc.stdout), want) < 1e-5
    # --quantize none overrides: the full-precision base scores differently.
    proc = predict(out, ids, texts, extra=[*CPU, "--quantize", "none"])
    assert _max_diff(_predictions(proc.stdout), want) > 1e-3


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present: auto picks it")
def test_quantize_needs_cuda_unless_cpu_is_asked(tmp_path, base_model, rows, quantized):
    out = tmp_path / "student"
    proc = run_cli(train_args(out, base_model, ["--quantize", "4bit"]), tm.stream_bytes(tm.train_table(rows)))
    assert proc.returncode == 2
    events = json_lines(proc.stdout)
    assert [e["event"] for e in events] == ["error"]
    msg = events[0]["message"]
    assert "--quantize 4bit needs a CUDA GPU" in msg and "never falls back" in msg and "--device cpu" in msg
    assert not out.exists()
    # predict of a quantized model, device auto: the same refusal, not a full-precision run.
    ids, texts = _val(rows)
    table = pa.table({"id": pa.array(ids, pa.string()), "text": pa.array(texts, pa.string())})
    proc = run_cli(["predict", "--model", str(quantized[1])], tm.stream_bytes(table))
    assert proc.returncode == 2 and proc.stdout == b""
    assert f"--quantize {quantized[0]} needs a CUDA GPU" in proc.stderr.decode()


@pytest.mark.parametrize("kind", ["4bit", "8bit"])
def test_a_module_the_checkpoint_lacks_is_never_quantized(kind, tmp_path, rows):
    """A BERT saved without its pooler: the pooler is new, trained in full, so bitsandbytes must
    leave it a plain Linear (quantized, its weight was turned into floats and training crashed)."""
    base = tmp_path / "no-pooler"
    tm.build_base_model(str(base), [r[2] for r in rows] + [" ".join(tm.FILLER + list(tm.SIGNALS))], pooler=False)
    out = tmp_path / "student"
    proc = run_cli(train_args(out, base, ["--quantize", kind, "--epochs", "2", *CPU]), tm.stream_bytes(tm.train_table(rows)))
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    with safe_open(str(out / "adapter_model.safetensors"), "pt") as f:
        assert any("pooler" in k and "lora_" not in k for k in f.keys()), "the pooler is not saved in full"
    ids, texts = _val(rows)
    proc = predict(out, ids, texts, extra=CPU)
    assert _max_diff(_predictions(proc.stdout), _val_predictions(out)) < 1e-5


def test_quantize_needs_bitsandbytes(tmp_path, base_model, rows):
    # A Python without bitsandbytes: sitecustomize (imported at start-up from PYTHONPATH) marks it
    # absent, so import fails and importlib finds no spec, as when it was never installed.
    hidden = tmp_path / "hide"
    hidden.mkdir()
    (hidden / "sitecustomize.py").write_text("import sys\nsys.modules['bitsandbytes'] = None\n")
    env = {"PYTHONPATH": str(hidden)}
    out = tmp_path / "student"
    proc = run_cli(train_args(out, base_model, ["--quantize", "8bit", *CPU]), tm.stream_bytes(tm.train_table(rows)), env=env)
    assert proc.returncode == 2, proc.stderr.decode()[-2000:]
    msg = json_lines(proc.stdout)[-1]["message"]
    assert "--quantize 8bit needs bitsandbytes" in msg and "pip install bitsandbytes" in msg
    assert not out.exists()
    # Without --quantize the same Python trains as before.
    proc = run_cli(train_args(out, base_model, [*CPU, "--epochs", "1"]), tm.stream_bytes(tm.train_table(rows)), env=env)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]


def test_grad_accum_is_one_larger_batch(tmp_path_factory, base_model, rows):
    """batch 8 x 2 micro-batches per step is batch 16: the same steps, the same model."""
    common = ["--lora-dropout", "0", "--epochs", "2"]
    one, ev_one = _train(tmp_path_factory, base_model, rows, "acc1", [*common, "--batch-size", "16"])
    two, ev_two = _train(tmp_path_factory, base_model, rows, "acc2", [*common, "--batch-size", "8", "--grad-accum", "2"])
    _, ev_small = _train(tmp_path_factory, base_model, rows, "acc0", [*common, "--batch-size", "8"])

    def steps(events):
        return next(e for e in events if e["event"] == "start")["steps"]

    assert steps(ev_one) == steps(ev_two) == 2 * 20 and steps(ev_small) == 2 * 40
    assert _max_diff(_val_predictions(one), _val_predictions(two)) < 1e-3
    losses = [[e["train_loss"] for e in ev if e["event"] == "epoch"] for ev in (ev_one, ev_two)]
    assert losses[0] == pytest.approx(losses[1], rel=1e-3)
    assert json.loads((two / "distill_model.json").read_text())["hyperparameters"]["grad_accum"] == 2
    assert "grad_accum" not in json.loads((one / "distill_model.json").read_text())["hyperparameters"]


def _score_merged(folder, texts):
    """What a serving stack does: transformers alone, no peft, no base model."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from distill_trainer.text import encode, pad_batch

    meta = json.loads((folder / "distill_merged.json").read_text())
    tok = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModelForSequenceClassification.from_pretrained(str(folder), dtype=torch.float32).eval()
    seqs = encode(tok, texts, meta["max_length"], meta["head_fraction"])
    ids, mask = pad_batch(seqs, tok.pad_token_id, tok.padding_side)
    with torch.no_grad():
        out = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).logits
    return meta, model, out.float().clamp(0, 10).tolist()


@pytest.mark.parametrize("which", ["full", "quantized"])
def test_merge_is_a_plain_model_that_scores_as_the_student(which, full, quantized, tmp_path, rows):
    if which == "full" and quantized[0] != "4bit":
        pytest.skip("once")
    out = full[0] if which == "full" else quantized[1]
    merged = tmp_path / "merged"
    proc = run_cli(["merge", "--model", str(out), "--out", str(merged), "--threads", "1"])
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    done = json_lines(proc.stdout)[-1]
    assert done["event"] == "done" and done["out"] == str(merged)
    assert not (merged / "adapter_config.json").exists()

    ids, texts = _val(rows)
    meta, model, scores = _score_merged(merged, texts)
    assert meta["dimensions"] == list(tm.DIMENSIONS)
    assert model.config.id2label == dict(enumerate(tm.DIMENSIONS))
    assert not any("lora" in n for n, _ in model.named_parameters())
    got = dict(zip(ids, scores))
    # Trained in fp32 here, merged in fp32: a 4bit student into its dequantized base, so the
    # merged weights compute what the student computed. An 8bit student (LLM.int8) also rounded
    # its activations to 8 bits, which no merged weight does: within merge's 0.15.
    kind = "none" if which == "full" else quantized[0]
    tol = 0.15 if kind == "8bit" else 1e-4
    assert meta["dtype"] == "fp32"
    assert meta["trained_quantize"] == kind
    assert done["max_abs_diff"] < tol
    assert _max_diff(got, _val_predictions(out)) < tol


def test_merge_refuses_what_it_cannot_write(trained, tmp_path):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("x")
    proc = run_cli(["merge", "--model", str(trained.out), "--out", str(busy)])
    assert proc.returncode == 2 and "exists and is not an empty directory" in proc.stderr.decode() + proc.stdout.decode()
    proc = run_cli(["merge", "--model", str(tmp_path), "--out", str(tmp_path / "m")])
    assert proc.returncode == 2 and "not a distill model" in proc.stdout.decode()
    assert not os.path.exists(tmp_path / "m")


def test_merge_frees_the_quantized_student_before_loading_its_dequantized_base(quantized, tmp_path, monkeypatch):
    """On a GPU the quantized student and the dequantized base must not be held at once: for a 7B
    base the two would not fit a 16 GB card. In-process: the student is gone when the base loads."""
    import gc
    import weakref

    from distill_trainer import merge, modeling

    kind, out, _ = quantized
    if kind != "4bit":
        pytest.skip("once")
    refs, alive = [], []
    load_student, dequantized = modeling.load_student, merge._dequantized_student

    def recording_load(*a, **k):
        model, tok = load_student(*a, **k)
        refs.append(weakref.ref(model))
        return model, tok

    def checking_dequantized(*a, **k):
        alive.append(refs[0]() is not None)
        return dequantized(*a, **k)

    monkeypatch.setattr(modeling, "load_student", recording_load)
    monkeypatch.setattr(merge, "_dequantized_student", checking_dequantized)
    gc.disable()  # only merge's own collection may free a cycle
    try:
        done = merge.run(merge.MergeOptions(model=str(out), out=str(tmp_path / "merged"), device="cpu", threads=1))
    finally:
        gc.enable()
    assert done["trained_quantize"] == "4bit"
    assert alive == [False], "the quantized student was still alive when its dequantized base was loaded"
