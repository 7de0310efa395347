"""The student: a sequence-classification model with one regression output per
dimension, LoRA on its linear projections, its head trained in full.

peft's ``modules_to_save`` carries the head (and any other module the base
checkpoint lacks, e.g. DistilBERT's pre_classifier or a missing BERT pooler)
into the adapter, so the adapter alone plus the base model reproduce the
trained student exactly.
"""

import contextlib
import os
import sys

import torch
import transformers
from peft import LoraConfig, PeftModel, TaskType, get_peft_model
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from distill_trainer.errors import InputError, TrainerError
from distill_trainer.options import resolve_base_model
from distill_trainer.text import length_batches, pad_batch

HEAD_MODULES = ["classifier", "score"]  # the regression head's name in BERT-like and decoder models


def log(msg):
    print(f"distill_trainer: {msg}", file=sys.stderr, flush=True)


def resolve_device(device):
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda: torch sees no CUDA device (torch.cuda.is_available() is False)")
    return device


def resolve_dtype(dtype, device):
    """bf16 on a GPU that supports it, fp32 otherwise (and always fp32 on CPU unless asked)."""
    if dtype == "auto":
        if device == "cuda" and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    if dtype == "bf16":
        return torch.bfloat16
    return torch.float32


def dtype_name(dtype):
    return {torch.bfloat16: "bf16", torch.float32: "fp32"}[dtype]


def _hub_error(name, err):
    return InputError(
        f"--base-model {name!r} is not a local directory and could not be loaded from the Hugging Face hub "
        f"(no network, offline mode, or no such model): {err}. Pass a local model directory instead."
    )


def load_tokenizer(name):
    try:
        tok = AutoTokenizer.from_pretrained(name)
    except (OSError, ValueError) as e:
        if os.path.isdir(name):
            raise TrainerError(f"loading the tokenizer from {name}: {e}") from e
        raise _hub_error(name, e) from e
    if tok.pad_token_id is None:
        # Decoder tokenizers (Qwen, Llama) have no pad token; the EOS serves, and
        # the model finds each sequence's last real token by the attention mask.
        if tok.eos_token is None:
            raise TrainerError(f"the tokenizer of {name} has neither a pad nor an EOS token")
        tok.pad_token = tok.eos_token
    return tok


def load_base(name, num_labels, dtype, pad_token_id):
    """The base model with a fresh regression head, and the names of modules it had to initialise."""
    kwargs = dict(num_labels=num_labels, problem_type="regression", dtype=dtype, output_loading_info=True)
    try:
        model, info = AutoModelForSequenceClassification.from_pretrained(name, **kwargs)
    except (OSError, ValueError) as e:
        if os.path.isdir(name):
            raise TrainerError(f"loading the base model from {name}: {e}") from e
        raise _hub_error(name, e) from e
    if model.config.pad_token_id is None:
        model.config.pad_token_id = pad_token_id
    new_modules = _new_modules(model, info.get("missing_keys", ()))
    # The head and any module trained in full stay fp32 (their copies in the
    # adapter are fp32 too), whatever the base model's dtype.
    for name, module in model.named_modules():
        if name in new_modules or name.split(".")[-1] in HEAD_MODULES:
            module.float()
    return model, new_modules


def _new_modules(model, missing_keys):
    """Modules whose parameters the checkpoint lacked (randomly initialised), head excluded."""
    params = dict(model.named_parameters())
    mods = set()
    for key in missing_keys:
        if key not in params:
            continue  # a buffer, e.g. position_ids
        mod = key.rsplit(".", 1)[0]
        if not set(mod.split(".")) & set(HEAD_MODULES):  # the head is saved whole already
            mods.add(mod)
    return sorted(mods)


def lora_config(opts, new_modules):
    targets = opts.target_modules.strip()
    if targets != "all-linear":
        targets = [t.strip() for t in targets.split(",") if t.strip()]
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


def build_student(opts, num_labels, device, dtype):
    """(model, tokenizer, backend) ready to train: LoRA applied, trainable params in fp32."""
    name = resolve_base_model(opts.base_model)
    if use_unsloth(opts, device):
        try:
            model, tok = _build_with_unsloth(opts, name, num_labels, dtype)
            return model, tok, "unsloth"
        except Exception as e:  # noqa: BLE001: any Unsloth failure falls back in auto mode
            if opts.unsloth == "on":
                raise TrainerError(f"--unsloth on: Unsloth could not build the model: {e}") from e
            log(f"Unsloth could not build the model, using plain peft: {e}")
    tok = load_tokenizer(name)
    model, new_modules = load_base(name, num_labels, dtype, tok.pad_token_id)
    if new_modules:
        log(f"trained in full and saved with the adapter (not in the checkpoint): {', '.join(new_modules)}")
    try:
        model = get_peft_model(model, lora_config(opts, new_modules))
    except ValueError as e:
        raise InputError(f"--target-modules {opts.target_modules!r}: {e}") from e
    _trainable_to_fp32(model)
    return model.to(device), tok, "peft"


def use_unsloth(opts, device):
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


def try_import_unsloth(mode, device):
    """Import Unsloth before transformers (it patches it on import) when it may be used.

    Called by the CLI before anything imports transformers. Unsloth prints a
    banner; the CLI has already pointed fd 1 at stderr, so the protocol stream
    stays clean.
    """
    if mode == "off" or device == "cpu":
        return
    try:
        import unsloth  # noqa: F401
    except Exception as e:  # noqa: BLE001: not installed, no GPU, incompatible versions
        if mode == "on":
            raise InputError(f"--unsloth on: unsloth is not importable: {e}") from e


def _build_with_unsloth(opts, name, num_labels, dtype):
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
    targets = opts.target_modules
    if targets != "all-linear":
        targets = [t.strip() for t in targets.split(",") if t.strip()]
    model = FastModel.get_peft_model(
        model,
        r=opts.lora_r,
        lora_alpha=opts.lora_alpha,
        lora_dropout=opts.lora_dropout,
        target_modules=targets,
        modules_to_save=HEAD_MODULES,
        task_type=TaskType.SEQ_CLS,
        random_state=opts.seed,
        use_gradient_checkpointing=False,
    )
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    if not any("lora_" in n for n in names) or not any("modules_to_save" in n for n in names):
        raise TrainerError("Unsloth's model has no trainable LoRA or head parameters")
    _trainable_to_fp32(model)
    return model, tok


def _trainable_to_fp32(model):
    # bf16 base weights, fp32 adapter and head: the optimizer state and updates
    # stay precise while the frozen weights take half the memory.
    for p in model.parameters():
        if p.requires_grad and p.dtype != torch.float32:
            p.data = p.data.float()


def count_params(model):
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return trainable, total


def load_student(artifact_dir, base_model, num_labels, device, dtype):
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


def autocast(device, dtype):
    if dtype == torch.bfloat16:
        return torch.autocast(device_type=device, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def forward(model, sequences, tok, device, dtype):
    """Raw regression outputs (fp32, on CPU) for one batch of token-id lists."""
    ids, mask = pad_batch(sequences, tok.pad_token_id, tok.padding_side)
    ids = torch.tensor(ids, dtype=torch.long, device=device)
    mask = torch.tensor(mask, dtype=torch.long, device=device)
    with autocast(device, dtype):
        out = model(input_ids=ids, attention_mask=mask)
    return out.logits.float()


@torch.no_grad()
def predict_sequences(model, sequences, tok, device, dtype, batch_size):
    """Predictions clipped to the 0-10 scale, in input order."""
    was_training = model.training
    model.eval()
    result = [None] * len(sequences)
    for idx in length_batches(sequences, batch_size):
        logits = forward(model, [sequences[i] for i in idx], tok, device, dtype)
        values = logits.clamp(0.0, 10.0).cpu().double().tolist()
        for i, v in zip(idx, values):
            result[i] = v
    if was_training:
        model.train()
    return result


def versions():
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
