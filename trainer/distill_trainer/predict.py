"""The predict command: Arrow stream in, Arrow stream out, one output batch per
input batch as it arrives."""

from __future__ import annotations

from typing import IO, Any

import pyarrow as pa
import pyarrow.ipc

from distill_trainer import artifact, modeling
from distill_trainer.arrow_io import batch_ids_texts, predictions_batch, predictions_schema
from distill_trainer.errors import InputError
from distill_trainer.options import PredictOptions, resolve_base_model
from distill_trainer.text import encode


def run(opts: PredictOptions, reader: Any, sink: IO[bytes], meta: dict[str, Any]) -> int:
    """Predict every batch of ``reader`` and write it to ``sink`` (flushed per batch); returns the row count."""
    dims = meta["dimensions"]
    hp = meta["hyperparameters"]
    modeling.set_threads(opts.threads)
    device = modeling.resolve_device(opts.device)
    dtype = modeling.resolve_dtype(opts.dtype, device)
    quantize = artifact.quantize_of(meta, opts.quantize)
    modeling.check_quantize(quantize, opts.device, device)
    base = resolve_base_model(artifact.base_model_of(meta, opts.base_model))
    model, tok = modeling.load_student(opts.model, base, len(dims), device, dtype, quantize)

    schema = predictions_schema(dims)
    rows = 0
    writer = pa.ipc.new_stream(sink, schema)
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except (pa.ArrowInvalid, OSError) as e:
            raise InputError(f"stdin: reading the Arrow stream: {e}") from e
        ids, texts = batch_ids_texts(batch)
        preds: list[list[float]] = []
        if ids:
            seqs = encode(tok, texts, hp["max_length"], hp["head_fraction"])
            preds = modeling.predict_sequences(model, seqs, tok, device, dtype, opts.batch_size)
        writer.write_batch(predictions_batch(schema, ids, preds))
        sink.flush()
        rows += len(ids)
    writer.close()
    sink.flush()
    return rows
