"""A tiny BERT and a word-level tokenizer built locally: no download needed.

Also the synthetic data the tests train on: two dimensions, each set by the
presence of one word, so a student that learns anything beats the mean.
"""

import random

import pyarrow as pa

FILLER = (
    "the a of to in and for on with by from at as is was are be this that it its new report "
    "company city market plan year people data study energy water power policy project team "
    "local national project says said will would could more less first last week month"
).split()
SIGNALS = ("solar", "turbine")
DIMENSIONS = ("deployment", "impact")


def make_text(rng, words=(2, 8)):
    n = rng.randint(*words)
    toks = [rng.choice(FILLER) for _ in range(n)]
    has = []
    for s in SIGNALS:
        present = rng.random() < 0.5
        if present:
            toks.insert(rng.randint(0, len(toks)), s)
        has.append(present)
    return " ".join(toks), has


def labels_for(has):
    # deployment: 8 with "solar", 2 without; impact: 7 with "turbine", 1 without.
    return [8.0 if has[0] else 2.0, 7.0 if has[1] else 1.0]


def make_rows(n_train=320, n_val=80, seed=7, words=(2, 8)):
    rng = random.Random(seed)
    rows = []
    for i in range(n_train + n_val):
        text, has = make_text(rng, words)
        rows.append(("train" if i < n_train else "val", f"a{i:04d}", text, labels_for(has)))
    return rows


def mean_baseline_mae(rows):
    """MAE of predicting the train mean of each dimension on the val rows."""
    train = [r[3] for r in rows if r[0] == "train"]
    val = [r[3] for r in rows if r[0] == "val"]
    dims = len(train[0])
    means = [sum(t[j] for t in train) / len(train) for j in range(dims)]
    per = [sum(abs(v[j] - means[j]) for v in val) / len(val) for j in range(dims)]
    return sum(per) / dims


TRAIN_SCHEMA = pa.schema(
    [("split", pa.string()), ("id", pa.string()), ("text", pa.string()), ("labels", pa.list_(pa.float64()))]
)


def train_table(rows, schema=TRAIN_SCHEMA):
    cols = list(zip(*rows)) if rows else [[] for _ in schema]
    return pa.table([pa.array(list(c), f.type) for c, f in zip(cols, schema)], schema=schema)


def stream_bytes(table, max_chunksize=None):
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        for b in table.to_batches(max_chunksize=max_chunksize):
            w.write_batch(b)
    return sink.getvalue().to_pybytes()


def build_base_model(path, texts, layers=2, hidden=32, initializer_range=0.2, pooler=True):
    """Save a random-weight BERT encoder (pooler included, no head) and its tokenizer to ``path``.

    The Go test stages/train/lora_test.go calls this as build_base_model(path, texts).
    """
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(list(texts), trainers.WordLevelTrainer(special_tokens=specials))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))],
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=512,
    )
    fast.save_pretrained(path)
    config = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=2 * hidden,
        max_position_embeddings=128,
        # Weights well above BERT's 0.02: a random encoder that small otherwise
        # gives every text nearly the same [CLS] vector, and nothing can be learned.
        initializer_range=initializer_range,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    torch.manual_seed(0)
    BertModel(config, add_pooling_layer=pooler).save_pretrained(path)
    return config
