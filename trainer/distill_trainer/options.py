"""Options for train and predict: plain dataclasses holding the recipe's defaults.

Every field of TrainOptions is a CLI flag (``--lora-r`` for ``lora_r``) and is
written, as run, into the artifact's distill_model.json.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from typing import Any, Sequence

from distill_trainer.errors import InputError

DEFAULT_BASE_MODEL = "Qwen/Qwen2.5-1.5B"

DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("auto", "bf16", "fp32")
UNSLOTH_MODES = ("auto", "on", "off")
QUANTIZE = ("none", "4bit", "8bit")  # bitsandbytes NF4 (double quantization) or LLM.int8
PREDICT_QUANTIZE = ("auto",) + QUANTIZE  # auto: as the model was trained

_DIMENSION = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclasses.dataclass
class TrainOptions:
    out: str = ""
    dimensions: list[str] = dataclasses.field(default_factory=list)
    base_model: str = DEFAULT_BASE_MODEL
    epochs: int = 3
    lr: float = 2e-4
    batch_size: int = 8
    grad_accum: int = 1  # micro-batches per optimizer step: the effective batch is batch_size x grad_accum
    max_length: int = 512
    head_fraction: float = 0.7  # of the token budget kept from the start; the rest from the end
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: str = "all-linear"  # or a comma list, e.g. q_proj,k_proj,v_proj,o_proj
    weight_decay: float = 0.0
    warmup_ratio: float = 0.06
    max_grad_norm: float = 1.0
    seed: int = 42
    gradient_checkpointing: bool = False
    quantize: str = "none"  # 4bit, 8bit: the frozen base's Linear layers in bitsandbytes (LoRA and head stay fp32)
    device: str = "auto"
    dtype: str = "auto"  # auto: bf16 on an Ampere or newer GPU (native bf16), fp32 otherwise
    unsloth: str = "auto"  # auto: used when importable and on CUDA; on: required; off: never
    progress_seconds: float = 2.0
    threads: int = 0  # CPU threads for torch; 0: torch's default (one per core)
    select_by: str = "mae"  # or recall@K, ndcg@K: the metric that picks the epoch kept (selection.py)
    weights: str = ""  # dimension:weight,... (a ranking select_by): the filter's overall score
    gatekeepers: str = ""  # dimension:below:cap,... (a ranking select_by)

    def selection(self) -> Any:
        from distill_trainer import selection

        return selection.parse(self.select_by, self.weights, self.gatekeepers, self.dimensions)

    def validate(self) -> None:
        if not self.out:
            raise InputError("--out is required")
        if not self.dimensions:
            raise InputError("--dimensions is required (a comma-separated list of dimension names)")
        seen: set[str] = set()
        for d in self.dimensions:
            if not _DIMENSION.match(d):
                raise InputError(f"--dimensions: {d!r} is not a dimension name (letters, digits, _)")
            if d in seen:
                raise InputError(f"--dimensions: {d!r} appears twice")
            seen.add(d)
        _positive("--epochs", self.epochs)
        _positive("--batch-size", self.batch_size)
        _positive("--grad-accum", self.grad_accum)
        _positive("--lora-r", self.lora_r)
        _positive("--lora-alpha", self.lora_alpha)
        _positive("--lr", self.lr)
        if self.max_length < 8:
            raise InputError(f"--max-length must be at least 8, got {self.max_length}")
        if not 0.0 <= self.head_fraction <= 1.0:
            raise InputError(f"--head-fraction must be within 0-1, got {self.head_fraction}")
        if not 0.0 <= self.lora_dropout < 1.0:
            raise InputError(f"--lora-dropout must be within [0, 1), got {self.lora_dropout}")
        if not 0.0 <= self.warmup_ratio < 1.0:
            raise InputError(f"--warmup-ratio must be within [0, 1), got {self.warmup_ratio}")
        if self.weight_decay < 0 or self.max_grad_norm < 0 or self.progress_seconds < 0 or self.threads < 0:
            raise InputError("--weight-decay, --max-grad-norm, --progress-seconds and --threads must not be negative")
        _choice("--device", self.device, DEVICES)
        _choice("--dtype", self.dtype, DTYPES)
        _choice("--unsloth", self.unsloth, UNSLOTH_MODES)
        _choice("--quantize", self.quantize, QUANTIZE)
        if not self.target_modules.strip():
            raise InputError("--target-modules must not be empty")
        self.selection()

    def hyperparameters(self) -> dict[str, Any]:
        """The recipe as run, for distill_model.json (everything but paths)."""
        d = dataclasses.asdict(self)
        for k in ("out", "dimensions", "base_model", "progress_seconds", "threads", "weights", "gatekeepers"):
            d.pop(k)
        if d["select_by"] == "mae":  # the default, unnamed as before --select-by
            d.pop("select_by")
        if d["grad_accum"] == 1:  # the default, unnamed as before --grad-accum
            d.pop("grad_accum")
        return d


@dataclasses.dataclass
class PredictOptions:
    model: str = ""
    base_model: str = ""  # overrides the base model recorded in the artifact (e.g. it moved)
    batch_size: int = 32
    device: str = "auto"
    dtype: str = "auto"
    quantize: str = "auto"  # auto: as trained (the artifact's hyperparameters), else 4bit, 8bit or none
    threads: int = 0

    def validate(self) -> None:
        if not self.model:
            raise InputError("--model is required")
        _positive("--batch-size", self.batch_size)
        _choice("--device", self.device, DEVICES)
        _choice("--dtype", self.dtype, DTYPES)
        _choice("--quantize", self.quantize, PREDICT_QUANTIZE)
        if self.threads < 0:
            raise InputError(f"--threads must not be negative, got {self.threads}")


def _positive(flag: str, value: float) -> None:
    if not (value > 0 and math.isfinite(value)):
        raise InputError(f"{flag} must be positive, got {value}")


def _choice(flag: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise InputError(f"{flag} must be one of {', '.join(choices)}, got {value!r}")


def resolve_base_model(name: str) -> str:
    """A local directory as an absolute path, or a hub id as given.

    A path that looks like a path (starts with / . or ~, or exists) but is not
    a directory is an error here, before transformers turns it into a hub
    lookup with a confusing message.
    """
    expanded = os.path.expanduser(name)
    if os.path.isdir(expanded):
        return os.path.abspath(expanded)
    if name.startswith(("/", ".", "~")) or os.path.exists(expanded) or name.count("/") > 1:
        raise InputError(f"--base-model {name!r}: no such directory")
    return name
