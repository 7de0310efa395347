"""The student: a sequence-classification model with one regression output per
dimension, LoRA on its linear projections, its head trained in full.

peft's ``modules_to_save`` carries the head (and any other module the base
checkpoint lacks, e.g. DistilBERT's pre_classifier or a missing BERT pooler)
into the adapter, so the adapter alone plus the base model reproduce the
trained student exactly.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import sys
import urllib.parse
from typing import Any, Sequence

import torch
import torch.nn.functional as F
import transformers
from peft import LoraConfig, PeftModel, TaskType, get_peft_model
from transformers import AutoModelForSequenceClassification, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from distill_trainer.errors import InputError, TrainerError
from distill_trainer.options import TrainOptions, resolve_base_model
from distill_trainer.text import length_batches, pad_batch

HEAD_MODULES = ["classifier", "score"]  # the regression head's name in BERT-like and decoder models


class FP32Linear(torch.nn.Linear):
    """A head Linear that computes in fp32 whatever autocast is on.

    Autocast runs every nn.Linear in bf16 and returns bf16, whatever its
    weights: a head left to it would round every score to bf16's grid (steps
    of 1/32 between 4 and 8), which no later ``.float()`` recovers. Only the
    class differs from nn.Linear (same parameters, same state-dict keys), so
    peft's modules_to_save copy (a deepcopy) keeps it and saved adapters load
    as before. In fp32 it computes exactly what nn.Linear does.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # The weights too: anything that cast the module (Unsloth's set-up, a
        # caller's .to(bf16)) would otherwise make F.linear refuse the mix.
        bias = None if self.bias is None else self.bias.float()
        with torch.autocast(x.device.type, enabled=False):
            return F.linear(x.float(), self.weight.float(), bias)


def head_to_fp32(model: torch.nn.Module, also: Sequence[str] = ()) -> None:
    """The head (any module named in HEAD_MODULES) in fp32, its Linear layers computing in fp32
    under autocast too; the modules named in ``also`` (those trained in full) in fp32 weights.

    Called on the base before peft wraps it, so the head's trained copy is alike.
    """
    for mod_name, module in model.named_modules():
        is_head = mod_name.split(".")[-1] in HEAD_MODULES
        if is_head or mod_name in also:
            module.float()
        if is_head:
            for sub in module.modules():
                if type(sub) is torch.nn.Linear:
                    sub.__class__ = FP32Linear


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
    """bf16 on a GPU that computes it natively (Ampere or newer), fp32 otherwise (and always fp32 on CPU unless asked)."""
    if dtype == "auto":
        if device == "cuda" and native_bf16():
            return torch.bfloat16
        return torch.float32
    if dtype == "bf16":
        return torch.bfloat16
    return torch.float32


def native_bf16() -> bool:
    """Whether the CUDA device has bf16 in hardware (compute capability 8.0, Ampere, or newer).

    torch.cuda.is_bf16_supported() counts emulation by default: a T4 (sm_75)
    or V100 (sm_70) would then run bf16 emulated, slower than fp32.
    """
    try:
        return bool(torch.cuda.is_bf16_supported(including_emulation=False))
    except TypeError:  # a torch without the keyword
        return torch.cuda.get_device_capability()[0] >= 8


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


def check_quantize(quantize: str, requested_device: str, device: str) -> None:
    """A quantized load needs bitsandbytes, and CUDA unless --device cpu was asked for.

    Never a silent fall-back to full precision: a run that cannot load its
    base the way it was asked fails here, before anything is read or built.
    bitsandbytes (0.47 and later) also quantizes on the CPU, far slower than
    on a GPU: allowed when --device cpu says so (the tests train that way).
    """
    if quantize in ("none", ""):
        return
    try:
        import bitsandbytes  # noqa: F401
    except Exception as e:  # noqa: BLE001 - not installed, or a broken install
        raise InputError(
            f"--quantize {quantize} needs bitsandbytes, which is not importable in {sys.executable} ({e}): "
            "pip install bitsandbytes into the trainer's Python, or pass --quantize none to train in full precision"
        ) from e
    if device == "cpu" and requested_device != "cpu":
        raise InputError(
            f"--quantize {quantize} needs a CUDA GPU, and torch sees none (torch.cuda.is_available() is False); "
            "it never falls back to full precision. Pass --quantize none to run unquantized, or --device cpu "
            "to run bitsandbytes' CPU kernels (slow: for tests)"
        )


def quantization_config(quantize: str, dtype: torch.dtype, skip: Sequence[str] = ()) -> Any:
    """bitsandbytes' config for a 4bit (NF4, double quantization) or 8bit (LLM.int8) load; None for none.

    The regression head is never quantized: it is trained in full, in fp32;
    nor is any module named in ``skip`` (those the checkpoint lacks).
    """
    if quantize in ("none", ""):
        return None
    from transformers import BitsAndBytesConfig

    if quantize == "4bit":
        return BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=dtype,
            llm_int8_skip_modules=HEAD_MODULES + list(skip),
        )
    return BitsAndBytesConfig(load_in_8bit=True, llm_int8_skip_modules=HEAD_MODULES + list(skip))


def load_base(
    name: str,
    num_labels: int,
    dtype: torch.dtype,
    pad_token_id: int | None,
    quantize: str = "none",
    device: str = "cpu",
) -> tuple[PreTrainedModel, list[str]]:
    """The base model with a fresh regression head, and the names of modules it had to initialise.

    Quantized (4bit, 8bit), the Linear layers are loaded straight onto
    ``device`` by bitsandbytes; the embeddings and norms stay in ``dtype``
    (not upcast to fp32 as peft's prepare_model_for_kbit_training does: on
    Qwen2.5-7B that would add 1.1 GB for its embedding alone).
    """
    model, info = _from_pretrained(name, num_labels, dtype, quantize, device, ())
    new_modules = _new_modules(model, info.get("missing_keys", ()))
    quantized_new = [m for m in new_modules if _is_bnb(model.get_submodule(m))]
    if quantized_new:
        # A module the checkpoint lacks (e.g. a BERT saved without its pooler) is
        # trained in full: bitsandbytes must leave it alone. Known only after a
        # load, so such a checkpoint is loaded twice.
        del model
        model, info = _from_pretrained(name, num_labels, dtype, quantize, device, quantized_new)
        new_modules = _new_modules(model, info.get("missing_keys", ()))
    if model.config.pad_token_id is None:
        model.config.pad_token_id = pad_token_id
    if quantize not in ("none", "") and device == "cpu":
        _unpacked_on_cpu(model)
    # The head and any module trained in full keep fp32 weights (their copies in
    # the adapter are fp32 too), whatever the base model's dtype; the head also
    # computes in fp32 under bf16 autocast (FP32Linear).
    head_to_fp32(model, new_modules)
    return model, new_modules


def _from_pretrained(
    name: str, num_labels: int, dtype: torch.dtype, quantize: str, device: str, skip: Sequence[str]
) -> tuple[PreTrainedModel, dict[str, Any]]:
    kwargs: dict[str, Any] = dict(
        num_labels=num_labels, problem_type="regression", dtype=dtype, output_loading_info=True
    )
    qconfig = quantization_config(quantize, dtype, skip)
    if qconfig is not None:
        kwargs.update(quantization_config=qconfig, device_map={"": device})
    kwargs.update(_hub_kwargs(name))
    try:
        model, info = AutoModelForSequenceClassification.from_pretrained(name, **kwargs)
    except Exception as e:  # noqa: BLE001 - hub errors are not all OSErrors
        if os.path.isdir(name):
            what = f"in {quantize} " if qconfig is not None else ""
            raise InputError(f"loading the base model {what}from {name}: {e}") from e
        raise _hub_error(name, e) from e
    return model, info


def _is_bnb(module: torch.nn.Module) -> bool:
    return type(module).__module__.startswith("bitsandbytes")


def _unpacked_on_cpu(model: torch.nn.Module) -> None:
    """Keep bitsandbytes' 4-bit layers off its CPU inference format.

    On a CPU with AVX512-BF16, bitsandbytes 0.50 repacks a 4-bit weight the
    first time it runs in eval mode, for good: the next training step then
    goes through a kernel with no backward ("a view of a leaf Variable that
    requires grad is being used in an in-place operation"), and a layer
    narrower than its block size (64) cannot be repacked at all. Training
    validates every epoch in eval mode, and predict must compute what
    validation computed, so the layers stay in the format they train in.
    """
    for module in model.modules():
        if hasattr(module, "support_avx512bf16_for_cpu"):
            setattr(module, "support_avx512bf16_for_cpu", False)


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
    model, new_modules = load_base(name, num_labels, dtype, tok.pad_token_id, opts.quantize, device)
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
    if opts.quantize != "none":
        return peft_model, tok, "peft"  # already on its device: bitsandbytes put it there
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
        load_in_4bit=opts.quantize == "4bit",
        load_in_8bit=opts.quantize == "8bit",
        full_finetuning=False,
    )
    model.config.problem_type = "regression"
    head_to_fp32(model)
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
    total = sum(_numel(p) for p in model.parameters())
    return trainable, total


def weight_bytes(model: torch.nn.Module) -> int:
    """Bytes the model's parameters and buffers take where they are, quantization statistics included."""
    total = 0
    for t in list(model.parameters()) + list(model.buffers()):
        total += t.numel() * t.element_size()
        state = getattr(t, "quant_state", None)
        if state is not None:
            total += _state_bytes(state)
        scb = getattr(t, "SCB", None)  # an 8-bit weight's row scales
        if isinstance(scb, torch.Tensor):
            total += scb.numel() * scb.element_size()
    return total


def _state_bytes(state: Any) -> int:
    """A bitsandbytes 4-bit QuantState's tensors: absmax, code, and the nested state of double quantization."""
    n = 0
    for name in ("absmax", "code", "offset"):
        t = getattr(state, name, None)
        if isinstance(t, torch.Tensor):
            n += t.numel() * t.element_size()
    nested = getattr(state, "state2", None)
    if nested is not None:
        n += _state_bytes(nested)
    return n


def _numel(p: torch.nn.Parameter) -> int:
    """Elements of the weight a parameter stands for: a 4-bit one packs two per byte in a flat tensor."""
    state = getattr(p, "quant_state", None)
    shape = getattr(state, "shape", None)
    if shape is not None:
        return int(math.prod(shape))
    return p.numel()


def load_student(
    artifact_dir: str, base_model: str, num_labels: int, device: str, dtype: torch.dtype, quantize: str = "none"
) -> tuple[torch.nn.Module, PreTrainedTokenizerBase]:
    """(model, tokenizer) from an artifact: base model (quantized as asked) + adapter (head included), eval mode."""
    tok = load_tokenizer(artifact_dir)
    # The base load reports the head as missing and untrained; the adapter
    # brings it, so that report would only mislead here.
    level = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()
    try:
        base, _ = load_base(base_model, num_labels, dtype, tok.pad_token_id, quantize, device)
    finally:
        transformers.logging.set_verbosity(level)
    try:
        model = PeftModel.from_pretrained(base, artifact_dir, is_trainable=False)
    except (OSError, ValueError) as e:
        raise TrainerError(f"loading the adapter from {artifact_dir}: {e}") from e
    if quantize == "none":
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
    if "bitsandbytes" in sys.modules:
        v["bitsandbytes"] = getattr(sys.modules["bitsandbytes"], "__version__", "unknown")
    if "unsloth" in sys.modules:
        v["unsloth"] = getattr(sys.modules["unsloth"], "__version__", "unknown")
    return v
