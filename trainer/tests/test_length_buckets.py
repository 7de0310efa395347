"""predict sorts each input batch by token length and pads each forward pass
only to its longest text; the predictions are those of every text run alone,
in the input's order.
"""

import random

import numpy as np
import pyarrow as pa
import tinymodel as tm
import torch
from conftest import predict

from distill_trainer import modeling
from distill_trainer.text import encode, length_batches


def mixed_texts(n=60, seed=3):
    """Texts of 0 to 200 words (past the 128-token budget), shuffled so long and short alternate."""
    rng = random.Random(seed)
    words = list(tm.FILLER) + list(tm.SIGNALS)
    texts = [" ".join(rng.choice(words) for _ in range(rng.choice([0, 1, 2, 5, 20, 60, 200]))) for _ in range(n)]
    rng.shuffle(texts)
    return texts


def padded_tokens(sequences, batches):
    return sum(len(b) * max(len(sequences[i]) for i in b) for b in batches)


def test_length_buckets_predict_what_each_text_alone_predicts(trained, base_model):
    model, tok = modeling.load_student(str(trained.out), str(base_model), 2, "cpu", torch.float32)
    seqs = encode(tok, mixed_texts(), 128, 0.7)
    lengths = sorted(len(s) for s in seqs)
    assert lengths[0] <= 3 and lengths[-1] == 128, "the texts span the whole token budget"

    alone = np.array([modeling.predict_sequences(model, [s], tok, "cpu", torch.float32, 1)[0] for s in seqs])
    bucketed = np.array(modeling.predict_sequences(model, seqs, tok, "cpu", torch.float32, 8))
    np.testing.assert_allclose(bucketed, alone, atol=1e-5, rtol=0)

    # Batches in input order pad every short text to a long one's length;
    # buckets of similar length pad far less.
    in_order = [list(range(i, min(i + 8, len(seqs)))) for i in range(0, len(seqs), 8)]
    buckets = length_batches(seqs, 8)
    assert sorted(i for b in buckets for i in b) == list(range(len(seqs)))
    for a, b in zip(buckets, buckets[1:]):
        assert max(len(seqs[i]) for i in a) <= min(len(seqs[i]) for i in b), "buckets follow length order"
    assert padded_tokens(seqs, buckets) < 0.7 * padded_tokens(seqs, in_order)


def test_predict_cli_sorted_batch_equals_one_text_per_batch(trained):
    """Through the CLI: one input batch of mixed lengths (sorted and bucketed
    inside the trainer) against one text per input batch (no padding at all)."""
    texts = mixed_texts()
    ids = [f"m{i:03d}" for i in range(len(texts))]
    whole = pa.ipc.open_stream(predict(trained.out, ids, texts, extra=["--batch-size", "8"]).stdout).read_all()
    single = pa.ipc.open_stream(predict(trained.out, ids, texts, chunk=1).stdout).read_all()
    assert whole.column("id").to_pylist() == ids == single.column("id").to_pylist(), "input order restored"
    np.testing.assert_allclose(
        np.array(whole.column("predictions").to_pylist()),
        np.array(single.column("predictions").to_pylist()),
        atol=1e-5,
        rtol=0,
    )
