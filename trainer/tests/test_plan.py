"""``plan``: the peak-memory arithmetic against the real thing, on CPU, nothing downloaded.

- parameter counts: the built-ins against their model cards; tiny Llama-,
  Qwen2-, Gemma3-text- and BERT-shaped configs (the same dicts written as
  config.json and given to transformers' Config classes) against the models
  AutoModelForSequenceClassification builds and the LoRA peft wraps;
- quantized weight bytes against bitsandbytes' own NF4 and LLM.int8 layers
  (bitsandbytes quantizes on CPU);
- activations against the tensors autograd saves during one bf16-autocast
  forward (saved_tensors_hooks), with and without gradient checkpointing and
  LoRA dropout;
- the fits/suggestion logic, size parsing, errors, and the CLI (no torch).
"""

import json
import os
import subprocess
import sys

import pytest
import torch

from conftest import TRAINER_DIR, cli_env, run_cli
from distill_trainer import plan as P
from distill_trainer.errors import InputError

torch.set_num_threads(1)

# Tiny shapes, multiples of 64 so bitsandbytes' blocks divide the weights.
H, I, LAYERS, HEADS, KV, HD, VOCAB, LABELS = 128, 256, 2, 4, 2, 32, 512, 3

CONFIGS = {
    "llama": dict(
        model_type="llama",
        hidden_size=H,
        intermediate_size=I,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        num_key_value_heads=KV,
        head_dim=HD,
        vocab_size=VOCAB,
        tie_word_embeddings=True,
        pad_token_id=0,
    ),
    "qwen2": dict(
        model_type="qwen2",
        hidden_size=H,
        intermediate_size=I,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        num_key_value_heads=KV,
        vocab_size=VOCAB,
        tie_word_embeddings=False,
        pad_token_id=0,
    ),
    "gemma3_text": dict(
        model_type="gemma3_text",
        hidden_size=H,
        intermediate_size=I,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        num_key_value_heads=KV,
        head_dim=HD,
        vocab_size=VOCAB,
        sliding_window=16,
        layer_types=["sliding_attention", "full_attention"],
        pad_token_id=0,
    ),
    "bert": dict(
        model_type="bert",
        hidden_size=H,
        intermediate_size=I,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        vocab_size=VOCAB,
        max_position_embeddings=128,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    ),
}


def config_class(model_type):
    import transformers

    return {
        "llama": transformers.LlamaConfig,
        "qwen2": transformers.Qwen2Config,
        "gemma3_text": transformers.Gemma3TextConfig,
        "bert": transformers.BertConfig,
    }[model_type]


def build(model_type, dtype=torch.float32):
    from transformers import AutoModelForSequenceClassification

    fields = {k: v for k, v in CONFIGS[model_type].items() if k != "model_type"}
    config = config_class(model_type)(**fields, num_labels=LABELS)
    config._attn_implementation = "sdpa"
    torch.manual_seed(0)
    return AutoModelForSequenceClassification.from_config(config, dtype=dtype)


def write_config(tmp_path, model_type):
    folder = tmp_path / model_type
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(CONFIGS[model_type]))
    return str(folder)


def lora(model, dropout=0.05, r=8):
    from peft import LoraConfig, TaskType, get_peft_model

    return get_peft_model(
        model, LoraConfig(task_type=TaskType.SEQ_CLS, r=r, lora_alpha=16, lora_dropout=dropout, target_modules="all-linear")
    )


# --- parameter counts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, card",
    [
        ("qwen2.5-7b", 7.61e9),  # Qwen/Qwen2.5-7B: "Number of Parameters: 7.61B"
        ("gemma-3-1b", 1.0e9),  # google/gemma-3-1b-pt: "1B"
        ("1b", 1.24e9),  # meta-llama/Llama-3.2-1B: 1.24B (safetensors), "1.23B" in its card's table
    ],
)
def test_builtin_parameter_counts_match_model_cards(name, card):
    arch = P.BUILTINS[name]
    assert abs(arch.causal_lm_params() - card) / card < 0.01, arch.causal_lm_params()


def test_qwen_non_embedding_count_matches_card():
    arch = P.BUILTINS["qwen2.5-7b"]  # the card: 6.53B without embeddings (input and LM head)
    non_embedding = arch.causal_lm_params() - 2 * arch.vocab * arch.hidden
    assert abs(non_embedding - 6.53e9) / 6.53e9 < 0.005


@pytest.mark.parametrize("model_type", sorted(CONFIGS))
def test_parameter_counts_equal_transformers_and_peft(tmp_path, model_type):
    arch = P.load_arch(write_config(tmp_path, model_type))
    model = build(model_type)
    assert arch.body_params() + arch.head_params(LABELS) == sum(p.numel() for p in model.parameters())
    peft_model = lora(model, r=8)
    trainable = sum(p.numel() for p in peft_model.parameters() if p.requires_grad)
    assert P.lora_params(arch, "all-linear", 8) + arch.head_params(LABELS) == trainable


def test_named_target_modules_count_like_peft(tmp_path):
    from peft import LoraConfig, TaskType, get_peft_model

    arch = P.load_arch(write_config(tmp_path, "qwen2"))
    model = get_peft_model(build("qwen2"), LoraConfig(task_type=TaskType.SEQ_CLS, r=4, target_modules=["q_proj", "v_proj"]))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert P.lora_params(arch, "q_proj,v_proj", 4) + arch.head_params(LABELS) == trainable


def test_gemma3_multimodal_config_reads_its_text_config(tmp_path):
    text = {k: v for k, v in CONFIGS["gemma3_text"].items() if k != "model_type"}
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "gemma3", "text_config": text, "vision_config": {}}))
    arch = P.load_arch(str(path))
    assert arch.model_type == "gemma3_text" and arch.hidden == H and arch.sliding == (True, False)


# --- quantized weights ------------------------------------------------------------------------


def quantized_bytes(model):
    """Bytes of every parameter with bitsandbytes' quantization statistics, head excluded.

    Buffers (rotary inv_freq, BERT's position_ids) are left out: a few hundred bytes the plan ignores.
    """
    seen, total = set(), 0

    def add(t):
        nonlocal total
        if t is None or t.untyped_storage().data_ptr() in seen:
            return
        seen.add(t.untyped_storage().data_ptr())
        total += t.untyped_storage().nbytes()

    for name, p in model.named_parameters():
        if set(name.split(".")) & set(P.HEAD_NAMES):
            continue
        add(p)
        qs = getattr(p, "quant_state", None)
        if qs is not None:
            for t in (qs.absmax, qs.code, qs.offset, qs.state2.absmax if qs.state2 else None, qs.state2.code if qs.state2 else None):
                add(t)
        add(getattr(p, "SCB", None))
    return total


@pytest.mark.parametrize("quantize", ["4bit", "8bit"])
@pytest.mark.parametrize("model_type", ["llama", "qwen2", "bert"])
def test_quantized_weight_bytes_match_bitsandbytes(tmp_path, model_type, quantize):
    from transformers import AutoModelForSequenceClassification, BitsAndBytesConfig

    folder = tmp_path / "model"
    build(model_type, torch.bfloat16).save_pretrained(folder)
    # transformers quantizes BERT's classifier unless told not to (it spares decoders' score by
    # itself): the head is trained in full, so it must stay out, as the plan assumes.
    skip = list(P.HEAD_NAMES)
    if quantize == "4bit":
        q = BitsAndBytesConfig(
            llm_int8_skip_modules=skip,
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16,
        )
    else:
        q = BitsAndBytesConfig(load_in_8bit=True, llm_int8_skip_modules=skip)
    model = AutoModelForSequenceClassification.from_pretrained(
        folder, quantization_config=q, dtype=torch.bfloat16, device_map={"": "cpu"}
    )
    arch = P.load_arch(write_config(tmp_path, model_type))
    linears = arch.layer_linears() * arch.layers + arch.extra_linears()
    counted = sum(1 for m in model.modules() if type(m).__name__ in ("Linear4bit", "Linear8bitLt"))
    assert counted == len(linears)  # every Linear but the head is quantized
    planned = P.weight_bytes(arch, quantize, 2, LABELS) - 2 * 4 * arch.head_params(LABELS)
    measured = quantized_bytes(model)
    # The plan counts the NF4 code and the nested dynamic map once per layer (about 1 KiB each);
    # bitsandbytes may share them. Everything else is exact.
    per_layer_maps = len(linears) * P.NF4_STATE_EXTRA if quantize == "4bit" else 0
    assert measured <= planned <= measured + per_layer_maps, (planned, measured)


# --- activations ------------------------------------------------------------------------------

BATCH, TOKENS, RANK = 2, 64, 8


def saved_for_backward(model_type, dropout, checkpointing, bf16=True):
    """Bytes autograd keeps after one training forward (and the loss), deduplicated by storage,
    parameters excluded; and the shapes kept."""
    dtype = torch.bfloat16 if bf16 else torch.float32
    model = build(model_type, dtype)
    for name, module in model.named_modules():
        if name.split(".")[-1] in P.HEAD_NAMES:
            module.float()  # as modeling.load_base does
    if checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model = lora(model, dropout=dropout, r=RANK)
    for p in model.parameters():
        if p.requires_grad:
            p.data = p.data.float()  # as modeling._trainable_to_fp32 does
    model.train()
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen, shapes = {}, []

    def pack(t):
        ptr = t.untyped_storage().data_ptr()
        if ptr not in params and ptr not in seen:
            seen[ptr] = t.untyped_storage().nbytes()
            shapes.append(tuple(t.shape))
        return t

    torch.manual_seed(1)
    ids = torch.randint(1, VOCAB, (BATCH, TOKENS))
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = model(input_ids=ids, attention_mask=torch.ones_like(ids))
        out.logits.float().pow(2).mean()
    return sum(seen.values()), shapes


def planned_saved(tmp_path, model_type, dropout, checkpointing, bf16=True):
    arch = P.load_arch(write_config(tmp_path, model_type))
    # device cpu: CPU dropout keeps an fp32 mask (CUDA: bool), CPU autocast runs LayerNorm in bf16;
    # no padding: SDPA gets no mask (transformers drops an all-ones one).
    run = P._Run(BATCH, TOKENS, RANK, dropout, "none", autocast=bf16, device="cpu", padded=False)
    planned = P.forward_saved(arch, run, "all-linear", LABELS, checkpointing)
    if checkpointing and arch.decoder:
        # cos and sin reach the checkpointed layers as arguments: kept alive by the checkpoint,
        # not through autograd's saved tensors, so the hooks do not see them.
        planned -= P.rope_table_bytes(arch, run)
    return planned


@pytest.mark.parametrize("checkpointing", [False, True], ids=["full", "checkpointed"])
@pytest.mark.parametrize("dropout", [0.05, 0.0], ids=["dropout", "no-dropout"])
@pytest.mark.parametrize("model_type", sorted(CONFIGS))
def test_activations_match_saved_tensors(tmp_path, model_type, dropout, checkpointing):
    measured, shapes = saved_for_backward(model_type, dropout, checkpointing)
    planned = planned_saved(tmp_path, model_type, dropout, checkpointing)
    # The count is per module and exact for these four families (measured: equal bytes, Gemma 3
    # within 512 bytes: a few hidden-sized fp32 copies of its norms' (1 + weight) that the plan
    # does not place exactly). 0.5% leaves room for such odd small tensors and nothing more:
    # one missing or extra activation of a layer is several percent here.
    assert abs(planned - measured) <= 0.005 * measured, (planned, measured)
    if model_type in ("llama", "qwen2", "bert"):  # no sliding window: SDPA has no mask to keep
        assert not [s for s in shapes if s[-2:] == (TOKENS, TOKENS)], "a T x T tensor was kept"


@pytest.mark.parametrize("dropout", [0.05, 0.0], ids=["dropout", "no-dropout"])
def test_fp32_activations_match_saved_tensors(tmp_path, dropout):
    measured, _ = saved_for_backward("qwen2", dropout, False, bf16=False)
    planned = planned_saved(tmp_path, "qwen2", dropout, False, bf16=False)
    assert abs(planned - measured) <= 0.005 * measured, (planned, measured)


def test_checkpointing_keeps_one_input_per_layer():
    _, shapes = saved_for_backward("llama", 0.05, True)
    assert shapes.count((BATCH, TOKENS, H)) >= LAYERS
