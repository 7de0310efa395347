"""The embed command: texts in, one unit sentence vector per text out.

A frozen transformers encoder (e.g. all-MiniLM-L6-v2): the mean of its last
hidden state over the attention mask, L2-normalised, which is what
sentence-transformers computes for that model. The model loads and the
output schema goes out before stdin is read, so the Go side learns the
encoder's dimension and digest (schema metadata) before it sends a text.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from typing import IO, Any

import pyarrow as pa
import pyarrow.ipc

from distill_trainer.errors import InputError
from distill_trainer.fetch import MINILM_SHA256, file_sha256

DEVICES = ("auto", "cpu", "cuda")
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
# What besides the weights fixes the token ids, hence the vectors.
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")
# Bumped when the pooling or the normalisation changes: the digest, hence the encoder's name, changes with it.
POOLING = "mean-l2/1"
FETCH_HINT = "fetch all-MiniLM-L6-v2 with: python -m distill_trainer fetch-minilm --out DIR"

# Schema metadata of the output stream (PROTOCOL.md, ## embed).
META_KIND = "distill.encoder.kind"
META_DIM = "distill.encoder.dim"
META_DIGEST = "distill.encoder.digest"
META_MODEL_SHA256 = "distill.model_sha256"
META_MAX_LENGTH = "distill.max_length"


@dataclasses.dataclass
class EmbedOptions:
    model: str
    batch_size: int = 32
    max_length: int = 256
    device: str = "auto"
    threads: int = 0

    def validate(self) -> None:
        if self.batch_size < 1:
            raise InputError(f"--batch-size {self.batch_size}: want at least 1")
        if self.max_length < 2:
            raise InputError(f"--max-length {self.max_length}: want at least 2 (the special tokens count)")
        if self.device not in DEVICES:
            raise InputError(f"--device {self.device!r}: want one of {', '.join(DEVICES)}")
        if self.threads < 0:
            raise InputError(f"--threads {self.threads}: want 0 (one per core) or more")


@dataclasses.dataclass
class ModelInfo:
    """What the folder says about the encoder, read without torch."""

    path: str
    kind: str  # "minilm" for all-MiniLM-L6-v2's weights, else the config's model_type
    dim: int
    max_length: int  # the token budget used: --max-length, at most the model's positions
    model_sha256: str  # of the weights file
    digest: str  # sha256 of everything that fixes the vectors


def inspect_model(path: str, max_length: int) -> ModelInfo:
    """Check the model folder and digest it; errors (exit 2) say what to do."""
    if not os.path.isdir(path):
        raise InputError(f"--model {path}: no such model folder ({FETCH_HINT})")
    config = _read_json(path, "config.json")
    if config is None:
        raise InputError(f"--model {path}: not a transformers model folder (no config.json)")
    weights = [f for f in WEIGHT_FILES if os.path.isfile(os.path.join(path, f))]
    if not weights:
        raise InputError(f"--model {path}: no weights ({' or '.join(WEIGHT_FILES)}); {FETCH_HINT}")
    _check_pooling(path)
    dim = config.get("hidden_size")
    if not isinstance(dim, int) or dim < 1:
        raise InputError(f"--model {path}: config.json has hidden_size {dim!r}, want a positive integer")
    positions = config.get("max_position_embeddings")
    budget = min(max_length, positions) if isinstance(positions, int) and positions > 1 else max_length
    weights_sha = file_sha256(os.path.join(path, weights[0]))
    h = hashlib.sha256()
    h.update(json.dumps({"pooling": POOLING, "weights": weights_sha, "max_length": budget}, sort_keys=True).encode())
    for name in TOKENIZER_FILES:
        if os.path.isfile(os.path.join(path, name)):
            h.update(f"\n{name}\n{file_sha256(os.path.join(path, name))}".encode())
    kind = "minilm" if weights_sha == MINILM_SHA256 else _kind_of(config)
    return ModelInfo(path, kind, dim, budget, weights_sha, h.hexdigest())


def _read_json(path: str, name: str) -> Any:
    try:
        with open(os.path.join(path, name), encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise InputError(f"--model {path}: reading {name}: {e}") from e


def _check_pooling(path: str) -> None:
    """Refuse a sentence-transformers folder that pools other than by the mean."""
    modules = _read_json(path, "modules.json") or []
    for m in modules if isinstance(modules, list) else []:
        if isinstance(m, dict) and str(m.get("type", "")).endswith(".Pooling"):
            pooling = _read_json(os.path.join(path, str(m.get("path", ""))), "config.json") or {}
            modes = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
            others = [k for k in modes if k != "pooling_mode_mean_tokens"]
            if others or pooling.get("pooling_mode_mean_tokens") is False:
                raise InputError(
                    f"--model {path}: its sentence-transformers pooling is {', '.join(others) or 'not the mean'};"
                    " embed pools by the mean only"
                )


def _kind_of(config: dict[str, Any]) -> str:
    kind = re.sub(r"[^a-z0-9]+", "", str(config.get("model_type", "")).lower())
    return kind or "encoder"


def output_schema(info: ModelInfo) -> Any:
    meta = {
        META_KIND: info.kind,
        META_DIM: str(info.dim),
        META_DIGEST: info.digest,
        META_MODEL_SHA256: info.model_sha256,
        META_MAX_LENGTH: str(info.max_length),
    }
    return pa.schema([pa.field("vector", pa.list_(pa.float32(), info.dim))], metadata=meta)


class EagerStreamWriter:
    """An Arrow IPC stream writer that writes the schema at once.

    pyarrow's writer holds the schema back until the first batch; the Go side
    must read it (the encoder's dimension and digest) before it sends a text.
    The bytes are those pyarrow's stream writer would write.
    """

    _END = b"\xff\xff\xff\xff\x00\x00\x00\x00"  # continuation marker, zero length: end of stream

    def __init__(self, sink: IO[bytes], schema: Any) -> None:
        self._sink = sink
        self.schema = schema
        sink.write(schema.serialize().to_pybytes())
        sink.flush()

    def write_batch(self, batch: Any) -> None:
        self._sink.write(batch.serialize().to_pybytes())
        self._sink.flush()

    def close(self) -> None:
        self._sink.write(self._END)
        self._sink.flush()


def check_input_schema(schema: Any) -> None:
    i = schema.get_field_index("text")
    if i < 0:
        raise InputError(f"embed input: missing column text (have {', '.join(schema.names) or 'none'})")
    t = schema.field(i).type
    if pa.types.is_dictionary(t):
        t = t.value_type
    if not (pa.types.is_string(t) or pa.types.is_large_string(t) or str(t) == "string_view"):
        raise InputError(f"embed input: column text is {t}, want string")


def batch_texts(batch: Any, offset: int) -> list[str]:
    texts: list[str] = batch.column(batch.schema.get_field_index("text")).to_pylist()
    for i, text in enumerate(texts):
        if text is None:
            raise InputError(f"embed input: row {offset + i} has a null text")
    return texts


def run(opts: EmbedOptions, source: IO[bytes], sink: IO[bytes]) -> int:
    """Embed every batch of the Arrow stream on source into sink, one output
    batch per input batch, flushed as written; returns the row count."""
    from distill_trainer import arrow_io

    info = inspect_model(opts.model, opts.max_length)
    encoder = _Encoder(info, opts)  # torch and transformers: seconds, so only now
    writer = EagerStreamWriter(sink, output_schema(info))
    reader = arrow_io.open_stream(source)
    check_input_schema(reader.schema)
    rows = 0
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except (pa.ArrowInvalid, OSError) as e:
            raise InputError(f"stdin: reading the Arrow stream: {e}") from e
        texts = batch_texts(batch, rows)
        vectors = encoder.encode(texts)
        flat = pa.array(vectors.reshape(-1), pa.float32())
        writer.write_batch(pa.record_batch([pa.FixedSizeListArray.from_arrays(flat, info.dim)], schema=writer.schema))
        rows += len(texts)
    writer.close()
    return rows


class _Encoder:
    """The model on its device; encode is mean pooling and L2 normalisation."""

    def __init__(self, info: ModelInfo, opts: EmbedOptions) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        from distill_trainer import modeling

        modeling.set_threads(opts.threads)
        self.device = modeling.resolve_device(opts.device)
        self.info = info
        self.batch_size = opts.batch_size
        try:
            self.tok = AutoTokenizer.from_pretrained(info.path, local_files_only=True)
            model = AutoModel.from_pretrained(info.path, dtype=torch.float32, local_files_only=True)
        except Exception as e:  # noqa: BLE001 - transformers' load errors are not all OSErrors
            raise InputError(f"--model {info.path}: loading the model: {e}") from e
        self.model = model.to(self.device).eval()
        hidden = self.model.config.hidden_size
        if hidden != info.dim:
            raise InputError(f"--model {info.path}: the model's hidden size is {hidden}, config.json says {info.dim}")
        modeling.log(f"embed: {info.kind} ({info.dim} dimensions, {info.max_length} tokens) on {self.device}")

    def encode(self, texts: list[str]) -> Any:
        """A float32 array of one unit vector per text, in their order."""
        import numpy as np
        import torch

        out = np.zeros((len(texts), self.info.dim), dtype=np.float32)
        # Longest first in each forward pass: less padding, the same vectors.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                enc = self.tok(
                    [texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self.info.max_length,
                    return_tensors="pt",
                ).to(self.device)
                hidden = self.model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                unit = torch.nn.functional.normalize(mean, p=2, dim=1)
                out[idx] = unit.float().cpu().numpy()
        return out
