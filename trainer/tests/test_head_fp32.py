"""The regression head computes in fp32 under bf16 autocast (a GPU's default dtype).

Autocast runs every nn.Linear in bf16 and returns bf16: a head left to it
rounds each score to bf16's grid (steps of 1/32 between 4 and 8), which no
later ``.float()`` recovers. CPU autocast does bf16 as a GPU's does, so these
run here: the head's output must be fp32 values off that grid, for each head
shape (BERT's classifier, RoBERTa's dense + out_proj, a decoder's score),
through peft's modules_to_save copy too; and fp32 runs must be unchanged.
"""

import pytest
import torch
from conftest import json_lines
from peft import LoraConfig, TaskType, get_peft_model

from distill_trainer import modeling

torch.set_num_threads(1)
LABELS = 2

TINY = {
    "bert": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=1, num_attention_heads=2, vocab_size=100),
    "roberta": dict(
        hidden_size=64, intermediate_size=128, num_hidden_layers=1, num_attention_heads=2, vocab_size=100,
        max_position_embeddings=130, type_vocab_size=1, pad_token_id=1,
    ),
    "qwen2": dict(
        hidden_size=64, intermediate_size=128, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
        vocab_size=100, pad_token_id=0,
    ),
}


def save_tiny(tmp_path, model_type):
    import transformers

    cls = {"bert": transformers.BertConfig, "roberta": transformers.RobertaConfig, "qwen2": transformers.Qwen2Config}
    config = cls[model_type](**TINY[model_type])
    torch.manual_seed(0)
    folder = tmp_path / model_type
    transformers.AutoModel.from_config(config).save_pretrained(folder)
    return str(folder)


class Tok:
    """What modeling.forward reads of a tokenizer."""

    pad_token_id = 0
    padding_side = "right"


def head_linears(model):
    return [
        (name, m)
        for name, m in model.named_modules()
        if isinstance(m, torch.nn.Linear) and set(name.split(".")) & set(modeling.HEAD_MODULES)
    ]


def student(tmp_path, model_type, dtype):
    base, _ = modeling.load_base(save_tiny(tmp_path, model_type), LABELS, dtype, 0)
    config = LoraConfig(task_type=TaskType.SEQ_CLS, r=4, lora_alpha=8, target_modules="all-linear")
    return get_peft_model(base, config).eval()


SEQS = [[5, 6, 7, 8, 9, 10, 11], [12, 13, 14], [20, 21, 22, 23, 24]]


@pytest.mark.parametrize("model_type", sorted(TINY))
def test_head_output_is_fp32_off_the_bf16_grid(tmp_path, model_type):
    model = student(tmp_path, model_type, torch.bfloat16)
    for name, m in head_linears(model):  # the frozen original and peft's trained copy alike
        assert m.weight.dtype == torch.float32, name
        assert isinstance(m, modeling.FP32Linear), name
    with torch.no_grad():
        # Head weights large enough that scores span several units, as a trained head's do.
        for _, m in head_linears(model):
            m.weight.normal_(0, 1.0)
        out = modeling.forward(model, SEQS, Tok, "cpu", torch.bfloat16)
        with modeling.autocast("cpu", torch.bfloat16):
            raw = model(input_ids=torch.tensor([SEQS[1]]), attention_mask=torch.ones(1, 3, dtype=torch.long)).logits
    assert raw.dtype == torch.float32, "the head's output under autocast"
    assert out.dtype == torch.float32
    on_grid = out.to(torch.bfloat16).float() == out
    assert not on_grid.all(), f"every output is a bf16 value: {out.tolist()}"


@pytest.mark.parametrize("model_type", sorted(TINY))
def test_fp32_runs_are_unchanged(tmp_path, model_type):
    """In fp32 the head computes exactly what a plain nn.Linear does: bit-identical outputs."""
    model = student(tmp_path, model_type, torch.float32)
    with torch.no_grad():
        got = modeling.forward(model, SEQS, Tok, "cpu", torch.float32)
        for _, m in head_linears(model):
            m.__class__ = torch.nn.Linear
        want = modeling.forward(model, SEQS, Tok, "cpu", torch.float32)
    assert torch.equal(got, want)


def test_state_dict_keys_are_those_of_plain_linear_heads(tmp_path):
    """The head's class changes, not its parameters: adapters saved before load as they did."""
    import transformers

    folder = save_tiny(tmp_path, "roberta")
    plain = transformers.AutoModelForSequenceClassification.from_pretrained(folder, num_labels=LABELS)
    base, _ = modeling.load_base(folder, LABELS, torch.float32, 1)
    assert list(base.state_dict()) == list(plain.state_dict())
    assert {n for n, _ in head_linears(base)} == {"classifier.dense", "classifier.out_proj"}


def test_a_head_cast_to_bf16_still_computes_in_fp32(tmp_path):
    """A head something cast to bf16 (Unsloth's set-up, a caller's .to(bfloat16)) still runs: F.linear
    got an fp32 input and bf16 weights and refused the mix."""
    model = student(tmp_path, "qwen2", torch.bfloat16)
    for _, m in head_linears(model):
        m.to(torch.bfloat16)
    with torch.no_grad():
        out = modeling.forward(model, SEQS, Tok, "cpu", torch.bfloat16)
    assert out.dtype == torch.float32 and torch.isfinite(out).all()
