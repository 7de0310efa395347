"""Token budget: head+tail truncation, and padding into batches.

Articles are longer than the budget. The start carries the headline and lede,
the end often the outcome, so we keep the first ``head_fraction`` of the
budget from the start and the rest from the end, the way the oracle's input
was compressed. Special tokens (e.g. [CLS] ... [SEP], or a BOS) are kept and
count against the budget.
"""

from __future__ import annotations

from typing import Any, Sequence


def head_tail(ids: Sequence[int], budget: int, head_fraction: float) -> list[int]:
    """Keep ``budget`` tokens of ``ids``: the first round(budget*head_fraction), then the last."""
    if len(ids) <= budget:
        return list(ids)
    head = int(round(budget * head_fraction))
    tail = budget - head
    return list(ids[:head]) + (list(ids[len(ids) - tail :]) if tail > 0 else [])


def _split_specials(ids: list[int], special_mask: Sequence[int]) -> tuple[list[int], list[int], list[int]]:
    """(prefix, content, suffix): the leading and trailing runs of special tokens and what is between."""
    start = 0
    while start < len(ids) and special_mask[start]:
        start += 1
    end = len(ids)
    while end > start and special_mask[end - 1]:
        end -= 1
    return ids[:start], ids[start:end], ids[end:]


def encode(tokenizer: Any, texts: Sequence[str], max_length: int, head_fraction: float) -> list[list[int]]:
    """Token ids for each text, at most max_length each, special tokens included.

    The tokenizer's own post-processor places the special tokens; we find
    them with the special-tokens mask, so this works for BERT-, RoBERTa- and
    decoder-style tokenizers alike.
    """
    enc = tokenizer(
        list(texts),
        add_special_tokens=True,
        truncation=False,
        return_special_tokens_mask=True,
        return_attention_mask=False,
        verbose=False,
    )
    out: list[list[int]] = []
    for ids, mask in zip(enc["input_ids"], enc["special_tokens_mask"]):
        prefix, content, suffix = _split_specials(ids, mask)
        budget = max(max_length - len(prefix) - len(suffix), 1)
        seq = prefix + head_tail(content, budget, head_fraction) + suffix
        if not seq:  # an empty text with a tokenizer that adds nothing
            seq = [_filler_id(tokenizer)]
        out.append(seq)
    return out


def _filler_id(tokenizer: Any) -> int:
    for tid in (tokenizer.eos_token_id, tokenizer.pad_token_id, tokenizer.unk_token_id):
        if tid is not None:
            return int(tid)
    return 0


def pad_batch(
    sequences: Sequence[Sequence[int]], pad_id: int, padding_side: str = "right"
) -> tuple[list[list[int]], list[list[int]]]:
    """Pad token-id lists to one length: (input_ids, attention_mask) as lists of lists."""
    width = max(len(s) for s in sequences)
    ids: list[list[int]] = []
    mask: list[list[int]] = []
    for s in sequences:
        fill = width - len(s)
        if padding_side == "left":
            ids.append([pad_id] * fill + list(s))
            mask.append([0] * fill + [1] * len(s))
        else:
            ids.append(list(s) + [pad_id] * fill)
            mask.append([1] * len(s) + [0] * fill)
    return ids, mask


def length_batches(sequences: Sequence[Sequence[int]], batch_size: int) -> list[list[int]]:
    """Index batches in order of length, so each batch pads little; the caller restores order."""
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
