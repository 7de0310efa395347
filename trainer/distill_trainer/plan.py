"""``python -m distill_trainer plan``: the peak GPU memory of a LoRA/QLoRA run, before it runs.

Pure arithmetic on a model's shape: a folder's ``config.json`` (read with
json, no weights needed) or a built-in architecture. Nothing here imports
torch, transformers or peft, so the plan answers at once on any machine.

The estimate is of what ``torch.cuda.max_memory_allocated()`` reports for the
trainer's own recipe (modeling.py, train.py): AutoModelForSequenceClassification
in bf16 under torch.autocast, LoRA (fp32) on the target Linear layers, the head
trained in full (peft's modules_to_save: the frozen original plus an fp32
copy), torch AdamW, SDPA attention. Its parts:

- weights: quantized Linear layers (NF4 with double quantization: half a byte
  per weight plus a uint8 absmax per 64 weights and an fp32 absmax per 256
  blocks; LLM.int8: a byte per weight plus an fp32 scale per output row),
  everything else in bf16 (fp32 with --dtype fp32), the head in fp32 twice
  (it also computes in fp32 under autocast: modeling.FP32Linear).
- adapter + optimizer: LoRA and head parameters, fp32, with their fp32 grads and
  AdamW's two fp32 states: 16 bytes each.
- activations: the tensors autograd keeps for backward, counted per module the
  way torch, transformers 5 and peft 0.21 save them (tests/test_plan.py checks
  the count against saved_tensors_hooks on CPU). With gradient checkpointing:
  each layer's input, plus one layer's activations recomputed during backward.
- transients: working memory at the worst moment of backward (the gradients of
  a layer's widest activations, a quantized layer's weight dequantized to bf16),
  or AdamW's foreach step, whichever is larger.

Separately, OVERHEAD_BYTES for what max_memory_allocated does not see: fits
means peak + overhead <= the GPU's memory.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
from typing import Any

from distill_trainer.errors import InputError
from distill_trainer.options import DTYPES, QUANTIZE  # the trainer's own choices; options imports no torch

GIB = 1 << 30
# The CUDA context (with lazy module loading, ~0.3-0.5 GiB on CUDA 12), cuBLAS
# workspaces and the caching allocator's rounding and fragmentation (reserved
# above allocated): none of it shows in max_memory_allocated, all of it takes
# room on the card. 1 GiB is the upper end of what those add up to in practice.
OVERHEAD_BYTES = 1 * GIB

NF4_BLOCK = 64  # bitsandbytes' 4-bit blocksize (Params4bit's default on CUDA)
NESTED_BLOCK = 256  # double quantization's blocksize for the absmax values
NF4_STATE_EXTRA = 16 * 4 + 256 * 4 + 4  # per layer: NF4 code, the nested dynamic map, the offset (fp32)

DECODERS = ("llama", "qwen2", "gemma3_text", "gemma3")
ENCODERS = ("bert", "roberta", "xlm-roberta", "camembert", "distilbert")
HEAD_NAMES = ("classifier", "score")


@dataclasses.dataclass(frozen=True)
class Linear:
    name: str  # the module's last name, as target_modules matches it
    fan_in: int
    fan_out: int
    bias: bool
    reads: str  # which tensor it reads: "x" (the layer's normed input), "attn", "mlp", "ffn"

    @property
    def params(self) -> int:
        return self.fan_in * self.fan_out + (self.fan_out if self.bias else 0)


@dataclasses.dataclass(frozen=True)
class Arch:
    """A model's shape: all the plan needs of its config.json."""

    model_type: str
    source: str  # the model card (built-ins) or the config.json's path
    hidden: int
    intermediate: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int
    tied: bool = True
    qkv_bias: bool = False
    o_bias: bool = False
    mlp_bias: bool = False
    sliding: tuple[bool, ...] = ()  # Gemma 3: per layer, whether it is a sliding-window layer
    sliding_window: int = 0
    max_positions: int = 0  # encoders
    type_vocab: int = 0
    hidden_dropout: float = 0.0

    @property
    def decoder(self) -> bool:
        return self.model_type in DECODERS

    @property
    def gemma(self) -> bool:
        return self.model_type in ("gemma3_text", "gemma3")

    def layer_linears(self) -> list[Linear]:
        h, i, q, kv = self.hidden, self.intermediate, self.heads * self.head_dim, self.kv_heads * self.head_dim
        if self.decoder:
            return [
                Linear("q_proj", h, q, self.qkv_bias, "x"),
                Linear("k_proj", h, kv, self.qkv_bias, "x"),
                Linear("v_proj", h, kv, self.qkv_bias, "x"),
                Linear("o_proj", q, h, self.o_bias, "attn"),
                Linear("gate_proj", h, i, self.mlp_bias, "mlp"),
                Linear("up_proj", h, i, self.mlp_bias, "mlp"),
                Linear("down_proj", i, h, self.mlp_bias, "ffn"),
            ]
        if self.model_type == "distilbert":
            names = ("q_lin", "k_lin", "v_lin", "out_lin", "lin1", "lin2")
        else:
            names = ("query", "key", "value", "dense", "dense", "dense")  # attention.output, intermediate, output
        return [
            Linear(names[0], h, h, True, "x"),
            Linear(names[1], h, h, True, "x"),
            Linear(names[2], h, h, True, "x"),
            Linear(names[3], h, h, True, "attn"),
            Linear(names[4], h, i, True, "mlp"),
            Linear(names[5], i, h, True, "ffn"),
        ]

    def extra_linears(self) -> list[Linear]:
        """Linear layers outside the layer stack that LoRA may target (BERT's pooler)."""
        if self.model_type == "bert":
            return [Linear("dense", self.hidden, self.hidden, True, "pooled")]
        return []

    def head_params(self, num_labels: int) -> int:
        """The regression head, trained in full (DistilBERT's pre_classifier too: its checkpoints lack it)."""
        h = self.hidden
        if self.decoder:
            return h * num_labels  # score, no bias
        if self.model_type == "bert":
            return h * num_labels + num_labels
        return h * h + h + h * num_labels + num_labels  # RoBERTa's classifier.dense + out_proj; DistilBERT's pre_classifier

    def norm_params_per_layer(self) -> int:
        if self.gemma:
            return 4 * self.hidden + 2 * self.head_dim  # four RMSNorms and q_norm, k_norm
        if self.decoder:
            return 2 * self.hidden
        return 4 * self.hidden  # two LayerNorms, weight and bias

    def body_params(self) -> int:
        """Everything but the head (and an LM head): the base model AutoModelForSequenceClassification builds."""
        h = self.hidden
        layer = sum(lin.params for lin in self.layer_linears()) + self.norm_params_per_layer()
        if self.decoder:
            return self.vocab * h + self.layers * layer + h
        emb = (self.vocab + self.max_positions + self.type_vocab) * h + 2 * h
        return emb + self.layers * layer + sum(lin.params for lin in self.extra_linears())

    def causal_lm_params(self) -> int:
        """A decoder's parameter count as its model card gives it (the LM head counted when untied)."""
        return self.body_params() + (0 if self.tied else self.vocab * self.hidden)

    def describe(self) -> dict[str, Any]:
        return {
            "model_type": self.model_type,
            "source": self.source,
            "hidden_size": self.hidden,
            "intermediate_size": self.intermediate,
            "num_hidden_layers": self.layers,
            "num_attention_heads": self.heads,
            "num_key_value_heads": self.kv_heads,
            "head_dim": self.head_dim,
            "vocab_size": self.vocab,
        }


def _gemma_sliding(layers: int, pattern: int = 6) -> tuple[bool, ...]:
    return tuple((i + 1) % pattern != 0 for i in range(layers))


# Built-in architectures, entered by hand from the model cards' config.json (no config is downloaded).
BUILTINS: dict[str, Arch] = {
    # Qwen/Qwen2.5-7B: 7.61B parameters (6.53B without embeddings), untied embeddings, q/k/v biases.
    "qwen2.5-7b": Arch(
        model_type="qwen2",
        source="Qwen/Qwen2.5-7B",
        hidden=3584,
        intermediate=18944,
        layers=28,
        heads=28,
        kv_heads=4,
        head_dim=128,
        vocab=152064,
        tied=False,
        qkv_bias=True,
    ),
    # google/gemma-3-1b-pt: ~1B parameters, tied embeddings, sliding window 512 on 5 of every 6 layers.
    "gemma-3-1b": Arch(
        model_type="gemma3_text",
        source="google/gemma-3-1b-pt",
        hidden=1152,
        intermediate=6912,
        layers=26,
        heads=4,
        kv_heads=1,
        head_dim=256,
        vocab=262144,
        tied=True,
        sliding=_gemma_sliding(26),
        sliding_window=512,
    ),
    # Qwen/Qwen2.5-1.5B, the trainer's default base: 1.54B parameters (1.31B without embeddings), tied.
    "qwen2.5-1.5b": Arch(
        model_type="qwen2",
        source="Qwen/Qwen2.5-1.5B",
        hidden=1536,
        intermediate=8960,
        layers=28,
        heads=12,
        kv_heads=2,
        head_dim=128,
        vocab=151936,
        tied=True,
        qkv_bias=True,
    ),
    # meta-llama/Llama-3.2-1B's shape (the 1B-shaped decoder gpu_check.sh builds): 1.24B parameters, tied.
    "1b": Arch(
        model_type="llama",
        source="meta-llama/Llama-3.2-1B",
        hidden=2048,
        intermediate=8192,
        layers=16,
        heads=32,
        kv_heads=8,
        head_dim=64,
        vocab=128256,
        tied=True,
    ),
}


def load_arch(base_model: str) -> Arch:
    """A built-in architecture by name, or a folder's config.json (the weights need not be there)."""
    if base_model in BUILTINS:
        return BUILTINS[base_model]
    path = os.path.expanduser(base_model)
    if not os.path.exists(path):
        # A built-in's hub id (the trainer's default, Qwen/Qwen2.5-1.5B, among them) is the built-in.
        for arch in BUILTINS.values():
            if base_model.lower() == arch.source.lower():
                return arch
    path = os.path.expanduser(base_model)
    if os.path.isdir(path):
        path = os.path.join(path, "config.json")
    elif not path.endswith(".json"):
        raise InputError(
            f"--base-model {base_model!r} is neither a built-in architecture ({', '.join(BUILTINS)}) "
            "nor a folder holding a config.json"
        )
    try:
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
    except FileNotFoundError as e:
        raise InputError(f"--base-model {base_model!r}: {path} is missing (the plan needs the model's config.json)") from e
    except (OSError, ValueError) as e:
        raise InputError(f"--base-model {base_model!r}: {path} is not a readable JSON file: {e}") from e
    if not isinstance(config, dict):
        raise InputError(f"{path}: not a JSON object")
    return arch_from_config(config, path)


def _field(config: dict[str, Any], key: str, source: str, default: Any = None) -> Any:
    value = config.get(key, default)
    if value is None:
        raise InputError(f"{source}: the field {key!r} is missing")
    return value


def _int(config: dict[str, Any], key: str, source: str, default: int | None = None) -> int:
    value = _field(config, key, source, default)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InputError(f"{source}: {key} must be a positive integer, got {value!r}")
    return value


def arch_from_config(config: dict[str, Any], source: str) -> Arch:
    """An Arch from a transformers config.json's fields: the sizes and counts are required (a missing
    one is an InputError naming it); the others take their config class's defaults when absent."""
    model_type = config.get("model_type")
    if model_type == "gemma3":
        text = config.get("text_config")
        if not isinstance(text, dict):
            raise InputError(f"{source}: model_type gemma3 needs a text_config object")
        return arch_from_config({"model_type": "gemma3_text", **text}, source)
    if model_type in DECODERS:
        return _decoder_arch(config, str(model_type), source)
    if model_type in ENCODERS:
        return _encoder_arch(config, str(model_type), source)
    raise InputError(
        f"{source}: the field model_type is {model_type!r}; the plan knows decoders "
        f"({', '.join(DECODERS)}) and encoders ({', '.join(ENCODERS)})"
    )


def _decoder_arch(config: dict[str, Any], model_type: str, source: str) -> Arch:
    gemma = model_type == "gemma3_text"
    hidden = _int(config, "hidden_size", source)
    heads = _int(config, "num_attention_heads", source)
    layers = _int(config, "num_hidden_layers", source)
    default_head_dim = 256 if gemma else hidden // heads
    if config.get("head_dim") is None:
        config = {**config, "head_dim": default_head_dim}
    sliding: tuple[bool, ...] = ()
    window = 0
    if gemma:
        window = _int(config, "sliding_window", source, 4096)
        types = config.get("layer_types")
        if isinstance(types, list) and len(types) == layers:
            sliding = tuple(t == "sliding_attention" for t in types)
        else:
            sliding = _gemma_sliding(layers, _int(config, "sliding_window_pattern", source, 6))
    elif model_type == "qwen2" and config.get("use_sliding_window"):
        raise InputError(f"{source}: use_sliding_window is true; the plan knows Qwen2 with full attention only")
    attention_bias = bool(config.get("attention_bias", False))
    return Arch(
        model_type=model_type,
        source=source,
        hidden=hidden,
        intermediate=_int(config, "intermediate_size", source),
        layers=layers,
        heads=heads,
        kv_heads=_int(config, "num_key_value_heads", source, heads),
        head_dim=_int(config, "head_dim", source),
        vocab=_int(config, "vocab_size", source),
        tied=bool(config.get("tie_word_embeddings", gemma)),
        qkv_bias=model_type == "qwen2" or attention_bias,
        o_bias=model_type != "qwen2" and attention_bias,
        mlp_bias=model_type == "llama" and bool(config.get("mlp_bias", False)),
        sliding=sliding,
        sliding_window=window,
    )


def _encoder_arch(config: dict[str, Any], model_type: str, source: str) -> Arch:
    if model_type == "distilbert":
        hidden, layers = _int(config, "dim", source, 768), _int(config, "n_layers", source, 6)
        heads = _int(config, "n_heads", source, 12)
        inter, types, dropout = _int(config, "hidden_dim", source, 4 * hidden), 0, float(config.get("dropout", 0.1))
    else:
        hidden, layers = _int(config, "hidden_size", source), _int(config, "num_hidden_layers", source)
        heads, inter = _int(config, "num_attention_heads", source), _int(config, "intermediate_size", source)
        types, dropout = _int(config, "type_vocab_size", source, 2), float(config.get("hidden_dropout_prob", 0.1))
    if hidden % heads:
        raise InputError(f"{source}: the hidden size {hidden} is not a multiple of the {heads} attention heads")
    return Arch(
        model_type=model_type,
        source=source,
        hidden=hidden,
        intermediate=inter,
        layers=layers,
        heads=heads,
        kv_heads=heads,
        head_dim=hidden // heads,
        vocab=_int(config, "vocab_size", source),
        max_positions=_int(config, "max_position_embeddings", source, 512),
        type_vocab=types,
        hidden_dropout=dropout,
    )


@dataclasses.dataclass
class PlanOptions:
    base_model: str = ""
    num_labels: int = 1
    max_length: int = 512
    batch_size: int = 8
    grad_accum: int = 1
    lora_r: int = 16
    target_modules: str = "all-linear"
    lora_dropout: float = 0.05
    quantize: str = "none"
    gradient_checkpointing: bool = False
    dtype: str = "auto"  # auto: bf16, as train's auto on Ampere or newer; fp32 (a T4/V100 run): no autocast, all fp32
    gpu_memory: int = 16 * GIB

    def validate(self) -> None:
        for flag, value in (
            ("--num-labels", self.num_labels),
            ("--batch-size", self.batch_size),
            ("--grad-accum", self.grad_accum),
            ("--lora-r", self.lora_r),
            ("--gpu-memory", self.gpu_memory),
        ):
            if value <= 0:
                raise InputError(f"{flag} must be positive, got {value}")
        if self.max_length < 8:
            raise InputError(f"--max-length must be at least 8, got {self.max_length}")
        if not 0.0 <= self.lora_dropout < 1.0:
            raise InputError(f"--lora-dropout must be within [0, 1), got {self.lora_dropout}")
        if self.quantize not in QUANTIZE:
            raise InputError(f"--quantize must be one of {', '.join(QUANTIZE)}, got {self.quantize!r}")
        if self.dtype not in DTYPES:
            raise InputError(f"--dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if not self.target_modules.strip():
            raise InputError("--target-modules must not be empty")


_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)(i?)(b?)\s*$", re.IGNORECASE)


def parse_size(text: str, flag: str = "--gpu-memory") -> int:
    """Bytes from 17179869184, 16GiB, 16Gi, 16G (both 2^30), 16GB (10^9); K, M, T alike."""
    m = _SIZE.match(text)
    if not m:
        raise InputError(f"{flag} {text!r}: not a size; write e.g. 16GiB, 16GB, 80G or a number of bytes")
    number, unit, binary, b = m.groups()
    power = "kmgt".find(unit.lower()) + 1 if unit else 0
    if power == 0 and binary:
        raise InputError(f"{flag} {text!r}: not a size; write e.g. 16GiB, 16GB, 80G or a number of bytes")
    base = 1000 if (b and not binary and power) else 1024
    value = float(number) * base**power
    if value < 1 or not math.isfinite(value):
        raise InputError(f"{flag} {text!r}: must be at least one byte")
    return int(value)


@dataclasses.dataclass(frozen=True)
class _Run:
    """What the activation arithmetic needs of a run."""

    batch: int
    tokens: int
    r: int
    dropout: float
    quantize: str
    autocast: bool  # bf16 autocast (fp32: none)
    device: str = "cuda"  # cpu: the tests' measurements (dropout masks and LayerNorm differ)
    padded: bool = True  # a padding mask reaches SDPA (the trainer's padded batches)

    @property
    def n(self) -> int:
        return self.batch * self.tokens

    @property
    def a(self) -> int:
        return 2 if self.autocast else 4

    @property
    def mask_bytes(self) -> int:
        # CUDA's fused dropout keeps a bool mask; CPU's keeps a mask in the input's dtype (fp32: peft casts to it).
        return 1 if self.device == "cuda" else 4


def targets(arch: Arch, target_modules: str) -> tuple[list[Linear], list[Linear]]:
    """(per-layer, outside the layers) Linear layers LoRA wraps, matched on the module's last name like peft."""
    spec = target_modules.strip()
    layer, extra = arch.layer_linears(), arch.extra_linears()
    if spec == "all-linear":
        return layer, extra
    names = {t.strip() for t in spec.split(",") if t.strip()}
    chosen = [lin for lin in layer if lin.name in names], [lin for lin in extra if lin.name in names]
    unknown = names - {lin.name for lin in layer + extra}
    if unknown or not (chosen[0] or chosen[1]):
        known = ", ".join(dict.fromkeys(lin.name for lin in layer + extra))
        raise InputError(
            f"--target-modules {target_modules!r}: {', '.join(sorted(unknown)) or 'nothing'} matches no Linear layer "
            f"of a {arch.model_type} model; its Linear layers: {known} (or all-linear)"
        )
    return chosen


def lora_params(arch: Arch, target_modules: str, r: int) -> int:
    layer, extra = targets(arch, target_modules)
    return arch.layers * sum(r * (lin.fan_in + lin.fan_out) for lin in layer) + sum(
        r * (lin.fan_in + lin.fan_out) for lin in extra
    )


def quantized_linear_bytes(fan_in: int, fan_out: int, quantize: str) -> int:
    """A bitsandbytes Linear's weight with its quantization statistics (bias not included)."""
    numel = fan_in * fan_out
    if quantize == "4bit":
        blocks = -(-numel // NF4_BLOCK)
        return -(-numel // 2) + blocks + 4 * -(-blocks // NESTED_BLOCK) + NF4_STATE_EXTRA
    if quantize == "8bit":
        return numel + 4 * fan_out  # int8 CB and the fp32 SCB row scales
    raise ValueError(quantize)


def weight_bytes(arch: Arch, quantize: str, unquantized: int, num_labels: int) -> int:
    """Frozen weights plus the head's two fp32 copies (frozen original, trained copy)."""
    linears = arch.layer_linears() * arch.layers + arch.extra_linears()
    body = arch.body_params()
    if quantize == "none":
        total = body * unquantized
    else:
        kept = body - sum(lin.fan_in * lin.fan_out for lin in linears)  # embeddings, norms, biases
        total = kept * unquantized + sum(quantized_linear_bytes(lin.fan_in, lin.fan_out, quantize) for lin in linears)
    return total + 2 * 4 * arch.head_params(num_labels)


def _lora_saved(lin: Linear, run: _Run, grad_in: bool, shared: set[str]) -> int:
    """What one LoRA-wrapped Linear keeps for backward (the frozen base layer keeps no activation).

    peft casts the input to the adapter's fp32, drops it out, and (under
    autocast) lora_A casts that to bf16 again: a bf16 copy of the input per
    module, the dropout mask when the input needs a gradient, lora_A's output,
    and autocast's bf16 copies of the two adapter weights.
    """
    n, r = run.n, run.r
    if run.autocast:
        b = n * lin.fan_in * 2 + n * r * 2 + r * lin.fan_out * 2 + (r * lin.fan_in * 2 if grad_in else 0)
        if grad_in and run.dropout > 0:
            b += n * lin.fan_in * run.mask_bytes
        return b
    b = n * r * 4
    if run.dropout > 0:
        b += n * lin.fan_in * 4 + (n * lin.fan_in * run.mask_bytes if grad_in else 0)
    elif lin.reads not in shared:  # no dropout, no cast: modules reading one tensor keep it once,
        shared.add(lin.reads)  # and o_proj's input is a view of SDPA's output, which SDPA keeps already
        b += 0 if lin.reads == "attn" else n * lin.fan_in * 4
    return b


def _attention_masked(arch: Arch, run: _Run, sliding: bool) -> bool:
    """Whether SDPA gets a mask (and so no GQA, no flash kernel): padding, or a window shorter than the text."""
    return run.padded or (sliding and run.tokens >= arch.sliding_window)


def layer_saved(arch: Arch, run: _Run, targeted: set[str], first: bool, sliding: bool = False) -> int:
    """Bytes one layer keeps for backward. The first layer's input (frozen embeddings) needs no gradient."""
    n, a, h = run.n, run.a, arch.hidden
    total, shared, eight_bit = 0, set[str](), set[str]()
    for lin in arch.layer_linears():
        grad_in = not first or lin.reads != "x"
        if lin.name in targeted:
            total += _lora_saved(lin, run, grad_in, shared)
        if run.quantize == "8bit" and grad_in and lin.reads not in eight_bit:
            # bitsandbytes' MatMul8bitLt keeps its input (ctx.tensors) when the input needs a gradient.
            eight_bit.add(lin.reads)
            total += n * lin.fan_in * a
    q_width, kv_width = arch.heads * arch.head_dim, arch.kv_heads * arch.head_dim
    bht = run.batch * arch.heads * run.tokens
    if arch.decoder:
        norm = n * h * 4 + n * 4 + (h * 4 if arch.gemma else 0)  # RMSNorm: the fp32 input and 1/rms
        total += ((4 if arch.gemma else 2) - (1 if first else 0)) * norm
        if arch.gemma:  # q_norm, k_norm over each head
            total += n * (q_width + kv_width) * 4 + run.batch * run.tokens * (arch.heads + arch.kv_heads) * 4
        masked = _attention_masked(arch, run, sliding)
        if masked and arch.kv_heads < arch.heads:
            kv_width = q_width  # transformers repeats K and V for SDPA when there is a mask
        total += 2 * n * q_width * a + 2 * n * kv_width * a + bht * 4  # q, k, v, output, logsumexp
        total += run.batch * run.tokens * run.tokens * a if masked else 0
        total += 3 * n * arch.intermediate * a  # the activation's input, its output, up_proj's output
        return total
    fp32_norm = run.device == "cuda" or not run.autocast  # CUDA autocast runs LayerNorm in fp32
    ln = n * h * 4 + 2 * n * 4 if fp32_norm else n * h * a + 2 * n * a
    total += 2 * ln
    total += 4 * n * h * a + bht * 4 + (run.batch * run.tokens * run.tokens * a if run.padded else 0)
    total += n * arch.intermediate * a  # GELU's input
    if arch.hidden_dropout > 0:
        total += 2 * n * h * (1 if run.device == "cuda" else a)
    return total


def rope_table_bytes(arch: Arch, run: _Run) -> int:
    """cos and sin, shared by the layers (Gemma 3: one pair for local, one for global layers)."""
    tables = 2 if arch.gemma and any(arch.sliding) and not all(arch.sliding) else 1
    return tables * 2 * run.tokens * arch.head_dim * run.a


def outside_saved(arch: Arch, run: _Run, num_labels: int, extra_targeted: bool, checkpointing: bool) -> int:
    """Bytes kept outside the layers: rotary tables, the final norm, the head's input.

    With gradient checkpointing transformers makes the embeddings' output need a
    gradient (enable_input_require_grads): an encoder's embedding LayerNorm then
    keeps its input too.
    """
    n, a, h, b = run.n, run.a, arch.hidden, run.batch
    if arch.decoder:
        total = rope_table_bytes(arch, run)
        total += n * h * 4 + n * 4 + (h * 4 if arch.gemma else 0)  # the final RMSNorm
        # score reads every position, in fp32 (modeling.FP32Linear): it keeps an fp32 copy of the
        # final norm's bf16 output under autocast (in fp32 the output itself)
        total += n * h * 4
        return total + 2 * b * 8 + b * num_labels * 4
    total = 0
    if checkpointing:
        fp32_norm = run.device == "cuda" or not run.autocast
        total += n * h * 4 + 2 * n * 4 if fp32_norm else n * h * a + 2 * n * a
    # Encoders read the first token only: a few (batch, hidden) tensors for the pooler and head.
    first = dataclasses.replace(run, batch=1, tokens=b)
    drop = b * h * (1 if run.device == "cuda" else a) if arch.hidden_dropout > 0 else 0
    # The head's Linear layers compute in fp32 (modeling.FP32Linear): each keeps an fp32 input,
    # a copy of a bf16 one under autocast, and autocast makes no bf16 copy of their weights.
    if arch.model_type == "bert":  # pooler (LoRA'd by all-linear), tanh, dropout, classifier
        pooler = _lora_saved(arch.extra_linears()[0], first, True, set()) if extra_targeted else 0
        # the classifier's input: tanh's output itself in fp32 without dropout, else a new tensor
        head_in = b * h * 4 if (run.autocast or drop) else 0
        total += pooler + b * h * a + drop + head_in
    elif arch.model_type == "distilbert":  # pre_classifier (trained in full, bf16 under autocast), ReLU, dropout
        total += (h * h * 2 if run.autocast else 0) + 2 * b * h * a + drop + b * h * 4
    else:  # RoBERTa's classifier: dropout, dense, tanh, dropout, out_proj; all fp32 after dense's input
        total += 3 * b * h * 4 + 2 * drop
    return total + b * num_labels * 4


def stream_bytes(arch: Arch, run: _Run) -> int:
    """One layer's input (what gradient checkpointing keeps per layer)."""
    if arch.decoder or not run.autocast:
        return run.n * arch.hidden * run.a
    return run.n * arch.hidden * (4 if run.device == "cuda" else 2)  # CUDA: LayerNorm's fp32 output


def activation_bytes(arch: Arch, run: _Run, target_modules: str, num_labels: int, checkpointing: bool) -> tuple[int, int]:
    """(activations kept at the peak, the largest layer's share): all layers, or with gradient
    checkpointing each layer's input plus one layer recomputed during backward."""
    layer, extra = targets(arch, target_modules)
    targeted = {lin.name for lin in layer}
    sliding = arch.sliding or (False,) * arch.layers
    # The first layer's input needs no gradient (frozen embeddings), unless checkpointing makes it.
    per = [layer_saved(arch, run, targeted, i == 0 and not checkpointing, sliding[i]) for i in range(arch.layers)]
    outside = outside_saved(arch, run, num_labels, bool(extra), checkpointing)
    biggest = max(per)
    if checkpointing:
        return arch.layers * stream_bytes(arch, run) + outside + biggest, biggest
    return sum(per) + outside, biggest


def forward_saved(arch: Arch, run: _Run, target_modules: str, num_labels: int, checkpointing: bool) -> int:
    """What one forward leaves saved for backward (no layer recomputed yet): what the tests measure."""
    peak, biggest = activation_bytes(arch, run, target_modules, num_labels, checkpointing)
    return peak - biggest if checkpointing else peak


@dataclasses.dataclass
class Plan:
    options: PlanOptions
    arch: Arch
    base_params: int
    trainable_params: int
    lora_params: int
    head_params: int
    weights_bytes: int
    adapter_bytes: int
    activations_bytes: int
    transients_bytes: int
    peak_bytes: int
    overhead_bytes: int
    suggestion: dict[str, Any] | None = None

    @property
    def total_bytes(self) -> int:
        return self.peak_bytes + self.overhead_bytes

    @property
    def fits(self) -> bool:
        return self.total_bytes <= self.options.gpu_memory

    def to_json(self) -> dict[str, Any]:
        o = self.options
        return {
            "fits": self.fits,
            "peak_bytes": self.peak_bytes,
            "overhead_bytes": self.overhead_bytes,
            "total_bytes": self.total_bytes,
            "gpu_memory_bytes": o.gpu_memory,
            "components": {
                "weights_bytes": self.weights_bytes,
                "adapter_optimizer_bytes": self.adapter_bytes,
                "activations_bytes": self.activations_bytes,
                "transients_bytes": self.transients_bytes,
            },
            "params": {
                "base": self.base_params,
                "trainable": self.trainable_params,
                "lora": self.lora_params,
                "head": self.head_params,
            },
            "run": {
                "base_model": o.base_model,
                "num_labels": o.num_labels,
                "max_length": o.max_length,
                "batch_size": o.batch_size,
                "grad_accum": o.grad_accum,
                "lora_r": o.lora_r,
                "target_modules": o.target_modules,
                "lora_dropout": o.lora_dropout,
                "quantize": o.quantize,
                "gradient_checkpointing": o.gradient_checkpointing,
                "dtype": "fp32" if o.dtype == "fp32" else "bf16",
            },
            "architecture": self.arch.describe(),
            "suggestion": self.suggestion,
        }


def estimate(opts: PlanOptions, arch: Arch | None = None, device: str = "cuda", padded: bool = True) -> Plan:
    """The plan of one configuration (no suggestion).

    device and padded are for the tests' CPU measurements: a plan is for CUDA,
    with a padding mask reaching attention (the trainer pads its batches).
    """
    opts.validate()
    arch = arch or load_arch(opts.base_model)
    fp32 = opts.dtype == "fp32"
    run = _Run(
        batch=opts.batch_size,
        tokens=opts.max_length,
        r=opts.lora_r,
        dropout=opts.lora_dropout,
        quantize=opts.quantize,
        autocast=not fp32,
        device=device,
        padded=padded,
    )
    lora = lora_params(arch, opts.target_modules, opts.lora_r)
    head = arch.head_params(opts.num_labels)
    trainable = lora + head
    weights = weight_bytes(arch, opts.quantize, 4 if fp32 else 2, opts.num_labels)
    adapter = 16 * trainable  # fp32 parameter, gradient and AdamW's two states
    activations, _ = activation_bytes(arch, run, opts.target_modules, opts.num_labels, opts.gradient_checkpointing)
    backward = _backward_working_set(arch, run, opts.quantize)
    optimizer_step = 4 * trainable  # AdamW's foreach step: one fp32 temporary per parameter
    peak = weights + adapter + max(activations + backward, optimizer_step)
    return Plan(
        options=opts,
        arch=arch,
        base_params=arch.body_params() + head,
        trainable_params=trainable,
        lora_params=lora,
        head_params=head,
        weights_bytes=weights,
        adapter_bytes=adapter,
        activations_bytes=activations,
        transients_bytes=peak - weights - adapter - activations,
        peak_bytes=peak,
        overhead_bytes=OVERHEAD_BYTES,
    )


def _backward_working_set(arch: Arch, run: _Run, quantize: str) -> int:
    """Gradients in flight at the worst moment of a layer's backward, plus a dequantized weight.

    The widest activations are the MLP's (intermediate size): their gradient
    through LoRA's casts and dropout (bf16 -> fp32 -> fp32 masked -> bf16) is at
    most two fp32 copies alive at once, beside the base layer's bf16 gradient.
    A 4-bit or 8-bit layer's weight is dequantized to bf16 for its matmuls.
    """
    n = run.n
    mlp = n * arch.intermediate * (8 + run.a)
    attention = n * (arch.heads + 2 * arch.kv_heads) * arch.head_dim * run.a + run.batch * arch.heads * run.tokens * 4
    dequant = 0
    if quantize != "none":
        dequant = max(lin.fan_in * lin.fan_out for lin in arch.layer_linears()) * 2
    return max(mlp, attention) + dequant


def _flags(batch: int, accum: int, checkpointing: bool, extra: str = "") -> str:
    s = f"--batch-size {batch} --grad-accum {accum}"
    s += " --gradient-checkpointing" if checkpointing else ""
    return s + (f" {extra}" if extra else "")


def suggest(plan: Plan) -> dict[str, Any] | None:
    """For a plan that does not fit: the largest micro-batch dividing the effective batch that fits
    (keeping the effective batch through --grad-accum), without gradient checkpointing if that is
    enough, else with it. When not even a micro-batch of one fits: the longest --max-length that
    does, and 4-bit quantization."""
    if plan.fits:
        return None
    o, arch = plan.options, plan.arch
    effective = o.batch_size * o.grad_accum
    micro = [b for b in range(min(o.batch_size, effective), 0, -1) if effective % b == 0]
    for checkpointing in [False, True] if not o.gradient_checkpointing else [True]:
        for b in micro:
            candidate = dataclasses.replace(o, batch_size=b, grad_accum=effective // b, gradient_checkpointing=checkpointing)
            p = estimate(candidate, arch)
            if p.fits:
                return {
                    "fits": True,
                    "batch_size": b,
                    "grad_accum": effective // b,
                    "gradient_checkpointing": checkpointing,
                    "peak_bytes": p.peak_bytes,
                    "flags": _flags(b, effective // b, checkpointing),
                }
    one = dataclasses.replace(o, batch_size=1, grad_accum=effective, gradient_checkpointing=True)
    length = _longest_fitting(one, arch)
    four = 0
    if o.quantize != "4bit":
        four = o.max_length if estimate(dataclasses.replace(one, quantize="4bit"), arch).fits else 0
        four = four or _longest_fitting(dataclasses.replace(one, quantize="4bit"), arch)
    advice = []
    if length:
        advice.append(f"--max-length {length} or shorter")
    if four:
        advice.append("--quantize 4bit" + ("" if four == o.max_length else f" with --max-length {four} or shorter"))
    if not advice:
        advice.append("a GPU with more memory or a smaller base model")
    return {
        "fits": False,
        "message": "not even a micro-batch of 1 with gradient checkpointing fits; try " + ", or ".join(advice),
        "max_length": length or None,
        "quantize_4bit_max_length": four or None,
        "flags": _flags(1, effective, True, f"--max-length {length}" if length else ""),
    }


def _longest_fitting(opts: PlanOptions, arch: Arch) -> int:
    """The longest --max-length below opts' (a multiple of 64) at which opts fits, or 0."""
    for cand in range(opts.max_length - 1 - (opts.max_length - 1) % 64, 0, -64):
        if estimate(dataclasses.replace(opts, max_length=max(cand, 8)), arch).fits:
            return cand
    return 0


def plan(opts: PlanOptions) -> Plan:
    """The plan with its suggestion."""
    p = estimate(opts)
    p.suggestion = suggest(p)
    return p


def _gib(n: int) -> str:
    return f"{n / GIB:.2f}"


def _count(n: int) -> str:
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.2f}{unit}"
    return str(n)


def render(p: Plan) -> str:
    """The human table."""
    o, arch = p.options, p.arch
    dtype = "fp32" if o.dtype == "fp32" else "bf16"
    lines = [
        f"base model: {o.base_model} ({arch.model_type}, {arch.source})",
        f"parameters: {_count(p.base_params)} in the model, {_count(p.trainable_params)} trained "
        f"(LoRA r={o.lora_r} on {o.target_modules}: {_count(p.lora_params)}; head: {_count(p.head_params)})",
        f"run: micro-batch {o.batch_size} x {o.max_length} tokens, grad-accum {o.grad_accum} "
        f"(effective batch {o.batch_size * o.grad_accum}), quantize {o.quantize}, {dtype}, "
        f"gradient checkpointing {'on' if o.gradient_checkpointing else 'off'}, LoRA dropout {o.lora_dropout:g}",
        "",
        f"{'component':<32}{'GiB':>9}",
    ]
    rows = [
        (f"weights ({o.quantize if o.quantize != 'none' else dtype})", p.weights_bytes),
        ("adapter + optimizer", p.adapter_bytes),
        ("activations", p.activations_bytes),
        ("transients", p.transients_bytes),
        ("peak (max_memory_allocated)", p.peak_bytes),
        ("CUDA context + allocator", p.overhead_bytes),
        ("total", p.total_bytes),
        ("GPU", o.gpu_memory),
    ]
    lines += [f"{name:<32}{_gib(n):>9}" for name, n in rows]
    lines.append(f"{'fits':<32}{'yes' if p.fits else 'no':>9}")
    s = p.suggestion
    if s and s["fits"]:
        lines.append(f"\nfits with {s['flags']} (effective batch kept; peak {_gib(s['peak_bytes'])} GiB)")
    elif s:
        lines.append(f"\n{s['message']}")
    return "\n".join(lines) + "\n"
