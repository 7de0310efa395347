"""Head+tail truncation, padding and the progress throttle, in process."""

import io
import json

import pytest

from distill_trainer.events import Emitter
from distill_trainer.text import encode, head_tail, pad_batch


def test_head_tail_keeps_first_70_and_last_30_percent():
    assert head_tail(list(range(100)), 10, 0.7) == [0, 1, 2, 3, 4, 5, 6, 97, 98, 99]


def test_head_tail_short_input_unchanged():
    assert head_tail([1, 2, 3], 10, 0.7) == [1, 2, 3]


@pytest.mark.parametrize("fraction, want", [(1.0, list(range(10))), (0.0, list(range(90, 100)))])
def test_head_tail_extremes(fraction, want):
    assert head_tail(list(range(100)), 10, fraction) == want


def test_encode_budget_includes_special_tokens(base_model):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(base_model))
    words = ("solar " + "the " * 50 + "turbine").split()
    (ids,) = encode(tok, [" ".join(words)], max_length=12, head_fraction=0.7)
    assert len(ids) == 12
    assert ids[0] == tok.cls_token_id and ids[-1] == tok.sep_token_id
    content = tok.convert_ids_to_tokens(ids[1:-1])
    assert content == words[:7] + words[-3:]  # budget 10: 7 from the start, 3 from the end


def test_encode_short_and_empty_texts(base_model):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(base_model))
    short, empty = encode(tok, ["solar power", ""], max_length=12, head_fraction=0.7)
    assert tok.convert_ids_to_tokens(short) == ["[CLS]", "solar", "power", "[SEP]"]
    assert tok.convert_ids_to_tokens(empty) == ["[CLS]", "[SEP]"]


def test_pad_batch_right_and_left():
    assert pad_batch([[5, 6, 7], [8]], 0) == ([[5, 6, 7], [8, 0, 0]], [[1, 1, 1], [1, 0, 0]])
    assert pad_batch([[5, 6, 7], [8]], 0, "left") == ([[5, 6, 7], [0, 0, 8]], [[1, 1, 1], [0, 0, 1]])


def test_emitter_throttles_step_events():
    now = [0.0]
    out = io.BytesIO()
    e = Emitter(out, step_seconds=2.0, clock=lambda: now[0])
    due = []
    for t in (0.5, 1.0, 2.1, 3.0, 4.2, 4.3):
        now[0] = t
        due.append(e.step_due())
    assert due == [False, False, True, False, True, False]
    assert e.step_due(final=True)
    e.emit("epoch", val_mae=float("nan"))
    assert json.loads(out.getvalue()) == {"event": "epoch", "val_mae": None}
