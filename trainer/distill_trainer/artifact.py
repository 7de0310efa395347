"""The artifact directory: peft adapter (head included), tokenizer,
distill_model.json and the best epoch's validation predictions."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import tempfile
from typing import Any, Callable, Sequence

import pyarrow as pa
import pyarrow.ipc

from distill_trainer.arrow_io import predictions_batch, predictions_schema
from distill_trainer.errors import InputError, TrainerError

META_FILE = "distill_model.json"
VAL_PREDICTIONS_FILE = "val_predictions.arrow"
FORMAT = "distill-lora-regression"
FORMAT_VERSION = 1


def check_out_dir(out: str) -> None:
    """--out must be absent or an empty directory; checked before any training."""
    if os.path.exists(out) and (not os.path.isdir(out) or os.listdir(out)):
        raise InputError(f"--out {out}: exists and is not an empty directory")
    parent = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(parent):
        raise InputError(f"--out {out}: parent directory {parent} does not exist")


def write(
    out: str,
    model: Any,
    tokenizer: Any,
    meta: dict[str, Any],
    val_ids: Sequence[str],
    val_predictions: Sequence[Sequence[float]],
) -> str:
    """Write the artifact into a sibling temp directory, then rename it to ``out``.

    A crash mid-write never leaves a half artifact under ``out``.
    """
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **meta,
        "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }

    def fill(tmp: str) -> None:
        schema = predictions_schema(meta["dimensions"])
        with pa.OSFile(os.path.join(tmp, VAL_PREDICTIONS_FILE), "wb") as f:
            with pa.ipc.new_file(f, schema) as w:
                w.write_batch(predictions_batch(schema, val_ids, val_predictions))

    return write_model_dir(out, model, tokenizer, META_FILE, doc, fill)


def write_model_dir(
    out: str, model: Any, tokenizer: Any, meta_file: str, doc: dict[str, Any], fill: Callable[[str], None] | None = None
) -> str:
    """model.save_pretrained, the tokenizer, ``doc`` as ``meta_file`` and what ``fill`` writes,
    into a sibling temp directory renamed to ``out`` (absent or empty) at the end.

    A crash mid-write never leaves a half-written folder under ``out``.
    """
    out = os.path.abspath(out)
    check_out_dir(out)
    tmp = tempfile.mkdtemp(prefix=".tmp-" + os.path.basename(out) + "-", dir=os.path.dirname(out))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        with open(os.path.join(tmp, meta_file), "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        if fill is not None:
            fill(tmp)
        if os.path.isdir(out):
            os.rmdir(out)  # empty, checked above
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def read_meta(model_dir: str) -> dict[str, Any]:
    path = os.path.join(model_dir, META_FILE)
    if not os.path.isdir(model_dir):
        raise InputError(f"--model {model_dir}: no such directory")
    try:
        with open(path) as f:
            meta: dict[str, Any] = json.load(f)
    except FileNotFoundError as e:
        raise InputError(f"--model {model_dir}: not a distill model (no {META_FILE})") from e
    except (OSError, json.JSONDecodeError) as e:
        raise TrainerError(f"--model {model_dir}: reading {META_FILE}: {e}") from e
    if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
        raise InputError(
            f"--model {model_dir}: {META_FILE} has format {meta.get('format')!r} version "
            f"{meta.get('format_version')!r}, want {FORMAT!r} version {FORMAT_VERSION}"
        )
    return meta


def base_model_of(meta: dict[str, Any], override: str = "") -> str:
    """Where predict loads the base model from: the override, the recorded local path, or the hub id."""
    if override:
        return override
    path = meta.get("base_model_path")
    if path and os.path.isdir(path):
        return str(path)
    return str(meta["base_model"])


def quantize_of(meta: dict[str, Any], override: str = "auto") -> str:
    """How predict loads the base: the override, else as it was trained (none before --quantize existed)."""
    if override and override != "auto":
        return override
    return str(meta.get("hyperparameters", {}).get("quantize", "none"))
