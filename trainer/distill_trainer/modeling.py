"""The student: a sequence-classification model with one regression output per
dimension, LoRA on its linear projections, its head trained in full.

peft's ``modules_to_save`` carries the head (and any other module the base
checkpoint lacks, e.g. DistilBERT's pre_classifier or a missing BERT pooler)
into the adapter, so the adapter alone plus the base model reproduce the
trained student exactly.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import urllib.parse
from typing import Any, Sequence

import torch
import transformers
from peft import LoraConfig, PeftModel, TaskType, get_peft_model
from transformers import AutoModelForSequenceClassification, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from distill_trainer.errors import InputError, TrainerError
from distill_trainer.options import TrainOptions, resolve_base_model
from distill_trainer.text import length_batches, pad_batch

HEAD_MODULES = ["classifier", "score"]  # the regression head's name in BERT-like and decoder models


def log(msg: str) -> None:
    print(f"distill_trainer: {msg}", file=sys.stderr, flush=True)


def set_threads(n: int) -> None:
    # torch's OpenMP threads spin while they wait for each other; on cores busy
    # with other processes every small op then waits for a time slice. Measured
    # here (2 cores, load ~4): a small BERT trained 20x faster with 1 thread than 2.
    if n > 0:
        torch.set_num_threads(n)


def resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda: torch sees no CUDA device (torch.cuda.is_available() is False)")
    return device


def resolve_dtype(dtype: str, device: str) -> torch.dtype:
    """bf16 on a GPU that supports it, fp32 otherwise (and always fp32 on CPU unless asked)."""
    if dtype == "auto":
        if device == "cuda" and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    if dtype == "bf16":
        return torch.bfloat16
    return torch.float32


def dtype_name(dtype: torch.dtype) -> str:
    return {torch.bfloat16: "bf16", torch.float32: "fp32"}[dtype]


def _hub_error(name: str, err: Exception) -> InputError:
    why = _hub_unreachable() or "no network, offline mode, or no such model"
    return InputError(
        f"--base-model {name!r} is not a local directory and could not be loaded from the Hugging Face hub "
        f"({why}): {str(err).strip().rstrip('.')}. Pass a local model directory instead."
    )


_probe: dict[str, str] = {}


def _hub_unreachable() -> str:
    """Why the hub cannot be reached, or "" when it may be; probed once, in at most 5 s.

    Without this, a machine with no network spends about a minute in
    huggingface_hub's retries before failing.
    """
    if "result" not in _probe:
        _probe["result"] = ""
        if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
            _probe["result"] = "HF_HUB_OFFLINE is set"
        elif not any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
            url = urllib.parse.urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
            port = url.port or (443 if url.scheme == "https" else 80)
            try:
                socket.create_connection((url.hostname, port), timeout=5).close()
            except OSError as e:
                _probe["result"] = f"{url.hostname}:{port} is unreachable: {e}"
    return _probe["result"]


def _hub_kwargs(name: str) -> dict[str, Any]:
    """from_pretrained arguments: the local cache only when the hub cannot be reached."""
    if os.path.isdir(name):
        return {}
    why = _hub_unreachable()
    if why:
        log(f"{why}; looking for {name} in the local Hugging Face cache only")
        return {"local_files_only": True}
    return {}


def load_tokenizer(name: str) -> PreTrainedTokenizerBase:
    try:
        tok = AutoTokenizer.from_pretrained(name, **_hub_kwargs(name))
    except Exception as e:  # noqa: BLE001 - hub errors are not all OSErrors
        if os.path.isdir(name):
            raise InputError(f"loading the tokenizer from {name}: {e}") from e
        raise _hub_error(name, e) from e
    if tok.pad_token_id is None:
        # Decoder tokenizers (Qwen, Llama) have no pad token; the EOS serves: the
        # model's head reads each sequence's last token that is not a pad.
        if tok.eos_token is None:
            raise TrainerError(f"the tokenizer of {name} has neither a pad nor an EOS token")
        tok.pad_token = tok.eos_token
    return tok


def load_base(
    name: str, num_labels: int, dtype: torch.dtype, pad_token_id: int | None
) -> tuple[PreTrainedModel, list[str]]:
    """The base model with a fresh regression head, and the names of modules it had to initialise."""
    kwargs: dict[str, Any] = dict(
        num_labels=num_labels, problem_type="regression", dtype=dtype, output_loading_info=True
    )
    kwargs.update(_hub_kwargs(name))
    try:
        model, info = AutoModelForSequenceClassification.from_pretrained(name, **kwargs)
    except Exception as e:  # noqa: BLE001 - hub errors are not all OSErrors
        if os.path.isdir(name):
            raise InputError(f"loading the base model from {name}: {e}") from e
        raise _hub_error(name, e) from e
    if model.config.pad_token_id is None:
        model.config.pad_token_id = pad_token_id
    new_modules = _new_modules(model, info.get("missing_keys", ()))
    # The head and any module trained in full stay fp32 (their copies in the
    # adapter are fp32 too), whatever the base model's dtype.
    for mod_name, module in model.named_modules():
        if mod_name in new_modules or mod_name.split(".")[-1] in HEAD_MODULES:
            module.float()
    return model, new_modules


def _new_modules(model: torch.nn.Module, missing_keys: Sequence[str]) -> list[str]:
    """Modules whose parameters the checkpoint lacked (randomly initialised), head excluded."""
    params = dict(model.named_parameters())
    mods: set[str] = set()
    for key in missing_keys:
        if key not in params:
            continue  # a buffer, e.g. position_ids
        mod = key.rsplit(".", 1)[0]
        if not set(mod.split(".")) & set(HEAD_MODULES):  # the head is saved whole already
            mods.add(mod)
    return sorted(mods)


def lora_config(opts: TrainOptions, new_modules: list[str]) -> LoraConfig:
    targets = _target_modules(opts)
    return LoraConfig(
        task_type=TaskType.SEQ_CLS,
        r=opts.lora_r,
        lora_alpha=opts.lora_alpha,
        lora_dropout=opts.lora_dropout,
        target_modules=targets,
        # SEQ_CLS puts the head (classifier, score) in modules_to_save itself.
        modules_to_save=new_modules or None,
        exclude_modules=new_modules or None,
    )


def _target_modules(opts: TrainOptions) -> str | list[str]:
    """all-linear as is (peft's own keyword), else the comma list's names."""
    targets = opts.target_modules.strip()
    if targets == "all-linear":
        return targets
    return [t.strip() for t in targets.split(",") if t.strip()]


def build_student(
    opts: TrainOptions, num_labels: int, device: str, dtype: torch.dtype
) -> tuple[torch.nn.Module, PreTrainedTokenizerBase, str]:
    """(model, tokenizer, backend) ready to train: LoRA applied, trainable params in fp32."""
    name = resolve_base_model(opts.base_model)
    if use_unsloth(opts, device):
        try:
            model, tok = _build_with_unsloth(opts, name, num_labels, dtype)
            return model, tok, "unsloth"
        except Exception as e:  # noqa: BLE001 - any Unsloth failure falls back in auto mode
            if opts.unsloth == "on":
                raise TrainerError(f"--unsloth on: Unsloth could not build the model: {e}") from e
            log(f"Unsloth could not build the model, using plain peft: {e}")
    tok = load_tokenizer(name)
    model, new_modules = load_base(name, num_labels, dtype, tok.pad_token_id)
    if opts.gradient_checkpointing:
        # Non-reentrant checkpointing needs no input gradients, so a frozen base works as is.
        # transformers 5 renamed the method; 4.x has only the old name.
        if hasattr(model, "activation_checkpointing_enable"):
            model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
        else:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if new_modules:
        log(f"trained in full and saved with the adapter (not in the checkpoint): {', '.join(new_modules)}")
    try:
        peft_model = get_peft_model(model, lora_config(opts, new_modules))
    except ValueError as e:
        raise InputError(f"--target-modules {opts.target_modules!r}: {e}") from e
    _trainable_to_fp32(peft_model)
    return peft_model.to(device), tok, "peft"


def use_unsloth(opts: TrainOptions, device: str) -> bool:
    if opts.unsloth == "off":
        return False
    if device != "cuda":
        if opts.unsloth == "on":
            raise InputError("--unsloth on needs a CUDA device")
        return False
    if "unsloth" not in sys.modules:
        if opts.unsloth == "on":
            raise InputError("--unsloth on: unsloth is not importable")
        return False
    return True


def _build_with_unsloth(
    opts: TrainOptions, name: str, num_labels: int, dtype: torch.dtype
) -> tuple[torch.nn.Module, PreTrainedTokenizerBase]:
    # Unsloth's FastModel loads sequence-classification models when given
    # num_labels and auto_model; its get_peft_model wraps peft's. Untested here
    # (this machine has no GPU): any failure falls back to plain peft in auto mode.
    from unsloth import FastModel

    model, tok = FastModel.from_pretrained(
        model_name=name,
        auto_model=AutoModelForSequenceClassification,
        num_labels=num_labels,
        max_seq_length=opts.max_length,
        dtype=dtype,
        load_in_4bit=False,
        full_finetuning=False,
    )
    model.config.problem_type = "regression"
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tok.pad_token_id
    targets = _target_modules(opts)
    model = FastModel.get_peft_model(
        model,
        r=opts.lora_r,
        lora_alpha=opts.lora_alpha,
        lora_dropout=opts.lora_dropout,
        target_modules=targets,
        modules_to_save=HEAD_MODULES,
        task_type=TaskType.SEQ_CLS,
        random_state=opts.seed,
        use_gradient_checkpointing="unsloth" if opts.gradient_checkpointing else False,
    )
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    if not any("lora_" in n for n in names) or not any("modules_to_save" in n for n in names):
        raise TrainerError("Unsloth's model has no trainable LoRA or head parameters")
    _trainable_to_fp32(model)
    return model, tok


def init_head_bias(model: torch.nn.Module, means: Sequence[float]) -> bool:
    """Start the head's output bias at the train labels' means; returns whether there was one.

    Scores are 0-10 and a fresh head outputs about 0, so without this the first
    steps go to learning the mean instead of the signal. Decoder heads
    (``score``) have no bias and start from 0.
    """
    done = False
    for name, module in model.named_modules():
        if (
            "modules_to_save" in name
            and isinstance(module, torch.nn.Linear)
            and module.out_features == len(means)
            and module.bias is not None
        ):
            with torch.no_grad():
                module.bias.copy_(torch.tensor(means, dtype=module.bias.dtype))
            done = True
    return done


def _trainable_to_fp32(model: torch.nn.Module) -> None:
    # bf16 base weights, fp32 adapter and head: the optimizer state and updates
    # stay precise while the frozen weights take half the memory.
    for p in model.parameters():
        if p.requires_grad and p.dtype != torch.float32:
            p.data = p.data.float()


def count_params(model: torch.nn.Module) -> tuple[int, int]:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return trainable, total


def load_student(
    artifact_dir: str, base_model: str, num_labels: int, device: str, dtype: torch.dtype
) -> tuple[torch.nn.Module, PreTrainedTokenizerBase]:
    """(model, tokenizer) from an artifact: base model + adapter (head included), eval mode."""
    tok = load_tokenizer(artifact_dir)
    # The base load reports the head as missing and untrained; the adapter
    # brings it, so that report would only mislead here.
    level = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()
    try:
        base, _ = load_base(base_model, num_labels, dtype, tok.pad_token_id)
    finally:
        transformers.logging.set_verbosity(level)
    try:
        model = PeftModel.from_pretrained(base, artifact_dir, is_trainable=False)
    except (OSError, ValueError) as e:
        raise TrainerError(f"loading the adapter from {artifact_dir}: {e}") from e
    model.to(device)
    model.eval()
    return model, tok


def autocast(device: str, dtype: torch.dtype) -> contextlib.AbstractContextManager[Any]:
    if dtype == torch.bfloat16:
        return torch.autocast(device_type=device, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def forward(
    model: torch.nn.Module,
    sequences: Sequence[Sequence[int]],
    tok: PreTrainedTokenizerBase,
    device: str,
    dtype: torch.dtype,
) -> torch.Tensor:
    """Raw regression outputs (fp32, on the model's device) for one batch of token-id lists."""
    ids, mask = pad_batch(sequences, tok.pad_token_id, tok.padding_side)
    with autocast(device, dtype):
        out = model(
            input_ids=torch.tensor(ids, dtype=torch.long, device=device),
            attention_mask=torch.tensor(mask, dtype=torch.long, device=device),
        )
    logits: torch.Tensor = out.logits
    return logits.float()


@torch.no_grad()
def predict_sequences(
    model: torch.nn.Module,
    sequences: Sequence[Sequence[int]],
    tok: PreTrainedTokenizerBase,
    device: str,
    dtype: torch.dtype,
    batch_size: int,
) -> list[list[float]]:
    """Predictions clipped to the 0-10 scale, in input order."""
    was_training = model.training
    model.eval()
    result: list[list[float]] = [[] for _ in sequences]
    for idx in length_batches(sequences, batch_size):
        logits = forward(model, [sequences[i] for i in idx], tok, device, dtype)
        values = logits.clamp(0.0, 10.0).cpu().double().tolist()
        for i, v in zip(idx, values):
            result[i] = v
    if was_training:
        model.train()
    return result


def versions() -> dict[str, str]:
    import peft
    import pyarrow
    import tokenizers

    v = {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
        "tokenizers": tokenizers.__version__,
        "pyarrow": pyarrow.__version__,
    }
    if "unsloth" in sys.modules:
        v["unsloth"] = getattr(sys.modules["unsloth"], "__version__", "unknown")
    return v
