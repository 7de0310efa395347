"""The merge command: a student's adapter and head folded into its base model's
weights, saved as a plain transformers folder that a serving stack loads with
AutoModelForSequenceClassification alone (no peft, no base model, no
bitsandbytes).

A student trained on a quantized base (--quantize 4bit or 8bit) learned its
adapter against the dequantized weights, not the original ones: its base is
loaded quantized as it was trained, dequantized, and the adapter merged into
that, so the merged model computes what the student computed. Before the
folder is written, the merged model and the student (base + adapter) score the
same probe sequences and the largest difference is checked and recorded.
"""

from __future__ import annotations

import dataclasses
import datetime
import gc
import random
from typing import Any

import torch
from peft import PeftModel

from distill_trainer import artifact, modeling
from distill_trainer.errors import InputError, TrainerError
from distill_trainer.options import DTYPES, resolve_base_model

MERGED_META_FILE = "distill_merged.json"
MERGED_FORMAT = "distill-merged-regression"
# On the 0-10 scale: bf16 weights round each product to 3 significant digits,
# so a merged bf16 model differs from the unmerged one by up to a few
# hundredths; more than this is a merge that went wrong.
MAX_DIFF = {torch.float32: 1e-3, torch.bfloat16: 0.15}
# LLM.int8 rounds the activations to 8 bits too, inside each matmul: no
# merged weight computes exactly what an 8bit student computed.
MAX_DIFF_8BIT = 0.15
PROBES, PROBE_LENGTH = 4, 32


@dataclasses.dataclass
class MergeOptions:
    model: str = ""
    out: str = ""
    base_model: str = ""  # overrides the base model recorded in the artifact
    dtype: str = "auto"  # auto: the dtype the student was trained in (bf16 on a GPU, fp32 on CPU); or bf16, fp32
    device: str = "cpu"  # cpu needs no GPU; a quantized base on cpu needs bitsandbytes' CPU kernels
    threads: int = 0

    def validate(self) -> None:
        if not self.model:
            raise InputError("--model is required")
        if not self.out:
            raise InputError("--out is required")
        if self.dtype not in DTYPES:
            raise InputError(f"--dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if self.device not in ("cpu", "cuda"):
            raise InputError(f"--device must be cpu or cuda, got {self.device!r}")


def run(opts: MergeOptions) -> dict[str, Any]:
    """Merge, check and write the folder; returns the done event's fields."""
    meta = artifact.read_meta(opts.model)
    artifact.check_out_dir(opts.out)
    modeling.set_threads(opts.threads)
    device = modeling.resolve_device(opts.device)
    quantize = artifact.quantize_of(meta)
    modeling.check_quantize(quantize, opts.device, device)
    dtype = _dtype(opts.dtype, str(meta.get("dtype", "fp32")))
    dims = meta["dimensions"]
    base = resolve_base_model(artifact.base_model_of(meta, opts.base_model))
    student, tok = modeling.load_student(opts.model, base, len(dims), device, dtype, quantize)
    probes = _probes(tok, student)
    with torch.no_grad():
        before = modeling.forward(student, probes, tok, device, dtype)
    peft_model = student
    if quantize != "none":
        # The adapter trained against dequantize(quantize(W)): merge into exactly that.
        del student, peft_model
        _release(device)  # never the quantized student and the dequantized base at once
        peft_model = _dequantized_student(opts.model, base, len(dims), device, dtype, quantize)
    merged: Any = peft_model.merge_and_unload() if isinstance(peft_model, PeftModel) else peft_model
    merged.eval()
    with torch.no_grad():
        after = modeling.forward(merged, probes, tok, device, dtype)
    diff = float((before.clamp(0, 10) - after.clamp(0, 10)).abs().max())
    limit = max(MAX_DIFF[dtype], MAX_DIFF_8BIT if quantize == "8bit" else 0.0)
    if not diff <= limit:
        why = "; an 8bit student also rounds its activations" if quantize == "8bit" else ""
        raise TrainerError(
            f"the merged model's scores differ from the student's by up to {diff:.4g} on probe inputs "
            f"(at most {limit} expected in {modeling.dtype_name(dtype)}{why}): not written"
        )
    merged.config.id2label = dict(enumerate(dims))
    merged.config.label2id = {d: i for i, d in enumerate(dims)}
    merged.config.problem_type = "regression"
    doc = {
        "format": MERGED_FORMAT,
        "format_version": 1,
        "dimensions": dims,
        "max_length": meta["hyperparameters"]["max_length"],
        "head_fraction": meta["hyperparameters"]["head_fraction"],
        "scores": "the model's outputs clipped to 0-10, one per dimension in this order",
        "base_model": meta["base_model"],
        "trained_quantize": quantize,
        "dtype": modeling.dtype_name(dtype),
        "max_abs_diff_vs_student": diff,
        "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    out = artifact.write_model_dir(opts.out, merged, tok, MERGED_META_FILE, doc)
    return dict(out=out, dtype=doc["dtype"], trained_quantize=quantize, max_abs_diff=diff, probes=len(probes))


def _dtype(name: str, trained: str) -> torch.dtype:
    """auto: the dtype the student computed in when it was trained (bf16 on a GPU, fp32 on CPU)."""
    if name == "bf16" or (name == "auto" and trained == "bf16"):
        return torch.bfloat16
    return torch.float32


def _release(device: str) -> None:
    """Free what the deleted models held: a cycle gc must break, and on CUDA the cached blocks
    (a 7B base dequantized to bf16 takes 13.2 GiB: a 16 GB card has no room left for them)."""
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()


def _dequantized_student(
    model_dir: str, base: str, num_labels: int, device: str, dtype: torch.dtype, quantize: str
) -> torch.nn.Module:
    """The base loaded quantized as trained, dequantized to ``dtype``, with the adapter on it."""
    tok = modeling.load_tokenizer(model_dir)
    qbase, _ = modeling.load_base(base, num_labels, dtype, tok.pad_token_id, quantize, device)
    try:
        qbase.dequantize()
    except Exception as e:  # noqa: BLE001 - transformers and bitsandbytes versions vary
        raise TrainerError(f"dequantizing the {quantize} base to merge into it: {e}") from e
    modeling.head_to_fp32(qbase)  # dequantize() may have cast the head to dtype
    try:
        model = PeftModel.from_pretrained(qbase, model_dir, is_trainable=False)
    except (OSError, ValueError) as e:
        raise TrainerError(f"loading the adapter from {model_dir}: {e}") from e
    model.eval()
    return model


def _probes(tok: Any, model: torch.nn.Module) -> list[list[int]]:
    """A few fixed pseudo-random token sequences within the vocabulary, different lengths."""
    rng = random.Random(0)
    vocab = min(len(tok), int(getattr(model.config, "vocab_size", len(tok))))
    return [[rng.randrange(vocab) for _ in range(PROBE_LENGTH - 3 * i)] for i in range(PROBES)]
