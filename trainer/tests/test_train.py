"""train: the JSON-lines protocol, LoRA wiring, the artifact, learning."""

import json
import math

import pytest
import tinymodel as tm
from conftest import TRAIN_FLAGS
from safetensors import safe_open


def flag(name):
    return TRAIN_FLAGS[TRAIN_FLAGS.index(name) + 1]


def test_train_stdout_is_json_lines_in_protocol_order(trained):
    kinds = [e["event"] for e in trained.events]
    epochs = int(flag("--epochs"))
    assert kinds[0] == "start"
    assert kinds[-1] == "done"
    assert kinds.count("epoch") == epochs
    assert set(kinds) == {"start", "step", "epoch", "done"}

    steps = trained.of("step")
    total = epochs * math.ceil(320 / int(flag("--batch-size")))
    assert steps, "no step events"
    for s in steps:
        assert set(s) >= {"epoch", "step", "steps", "loss"}
        assert s["steps"] == total
        assert 1 <= s["epoch"] <= epochs
    assert [s["step"] for s in steps] == sorted({s["step"] for s in steps}), "steps not increasing"
    assert steps[-1]["step"] == total, "the last step is always reported"

    for i, e in enumerate(trained.of("epoch"), start=1):
        assert e["epoch"] == i
        assert len(e["val_mae_per_dimension"]) == len(tm.DIMENSIONS)
        assert e["val_mae"] == pytest.approx(sum(e["val_mae_per_dimension"]) / len(tm.DIMENSIONS))
        assert e["train_loss"] > 0

    done = trained.of("done")[0]
    assert done["artifact"] == str(trained.out)
    assert done["seconds"] > 0


def test_start_reports_rows_device_and_lora_params(trained, base_model):
    start = trained.of("start")[0]
    assert start["train_rows"] == 320 and start["val_rows"] == 80
    assert start["device"] == "cpu" and start["dtype"] == "fp32" and start["backend"] == "peft"
    assert start["base_model"] == str(base_model)

    # LoRA on every linear projection (r*(in+out) each), plus the head in full; nothing else.
    cfg = json.loads((base_model / "config.json").read_text())
    h, ff, r, dims = cfg["hidden_size"], cfg["intermediate_size"], 16, len(tm.DIMENSIONS)
    per_layer = 4 * r * (h + h) + r * (h + ff) + r * (ff + h)  # q, k, v, attention out; intermediate; output
    pooler = r * (h + h)
    head = dims * h + dims
    assert start["trainable_params"] == cfg["num_hidden_layers"] * per_layer + pooler + head
    assert start["trainable_params"] < start["total_params"]


def test_adapter_holds_only_lora_and_head_weights(trained):
    start = trained.of("start")[0]
    with safe_open(str(trained.out / "adapter_model.safetensors"), "pt") as f:
        keys = list(f.keys())
        numel = sum(f.get_tensor(k).numel() for k in keys)
    head = [k for k in keys if "classifier" in k]
    assert sorted(k.rsplit(".", 1)[-1] for k in head) == ["bias", "weight"], keys
    assert all("lora_" in k or "classifier" in k for k in keys), keys
    assert numel == start["trainable_params"]


def test_best_epoch_has_lowest_val_mae(trained):
    epochs = trained.of("epoch")
    done = trained.of("done")[0]
    best = min(epochs, key=lambda e: e["val_mae"])
    assert done["best_epoch"] == best["epoch"]
    assert done["val_mae"] == best["val_mae"]
    assert done["val_mae_per_dimension"] == best["val_mae_per_dimension"]


def test_learns_token_signal(trained, rows):
    # Each label is set by one word's presence; the mean predictor is off by about 3.
    baseline = tm.mean_baseline_mae(rows)
    done = trained.of("done")[0]
    assert baseline > 2.5
    assert done["val_mae"] < 0.2 * baseline, f"val MAE {done['val_mae']:.3f} vs mean predictor {baseline:.3f}"


def test_artifact_holds_adapter_tokenizer_and_metadata(trained):
    names = {p.name for p in trained.out.iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "distill_model.json", "val_predictions.arrow"} <= names
    assert not [n for n in trained.out.parent.iterdir() if n.name.startswith(".tmp-")], "temp dir left behind"

    meta = json.loads((trained.out / "distill_model.json").read_text())
    done = trained.of("done")[0]
    assert meta["format"] == "distill-lora-regression" and meta["format_version"] == 1
    assert meta["dimensions"] == list(tm.DIMENSIONS)
    assert meta["best_epoch"] == done["best_epoch"]
    assert meta["val_mae"] == done["val_mae"]
    assert meta["val_mae_per_dimension"] == done["val_mae_per_dimension"]
    assert [h["epoch"] for h in meta["history"]] == list(range(1, int(flag("--epochs")) + 1))
    hp = meta["hyperparameters"]
    assert hp == {
        "epochs": 5, "lr": 5e-3, "batch_size": 16, "max_length": 32, "head_fraction": 0.7,
        "lora_r": 16, "lora_alpha": 32, "lora_dropout": 0.05, "target_modules": "all-linear",
        "weight_decay": 0.0, "warmup_ratio": 0.06, "max_grad_norm": 1.0, "seed": 42, "gradient_checkpointing": False,
        "quantize": "none", "device": "auto", "dtype": "auto", "unsloth": "auto",
    }  # fmt: skip
    assert set(meta["versions"]) >= {"python", "torch", "transformers", "peft", "pyarrow", "tokenizers"}

    adapter = json.loads((trained.out / "adapter_config.json").read_text())
    assert adapter["r"] == 16 and adapter["lora_alpha"] == 32 and adapter["lora_dropout"] == 0.05
    assert "classifier" in adapter["modules_to_save"]
