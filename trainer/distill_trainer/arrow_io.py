"""Arrow IPC streams in and out: the training table, the predict stream.

Only pyarrow is imported here, so that bad input is reported in a fraction of
a second, before torch and transformers are loaded.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import IO, Any, Sequence

import pyarrow as pa
import pyarrow.ipc

from distill_trainer.errors import InputError

TRAIN_COLUMNS = ("split", "id", "text", "labels")
RANKING_COLUMNS = ("overall", "relevant")  # a ranking --select-by's: the oracle's overall score, tier above the bottom
WEIGHT_COLUMN = "weight"  # optional: each train row's weight in the loss (distill train --sample-weight)
PREDICT_COLUMNS = ("id", "text")
SPLITS = ("train", "val")


@dataclasses.dataclass
class Rows:
    """One split: parallel lists of ids, texts and label vectors."""

    ids: list[str]
    texts: list[str]
    labels: list[list[float]]
    # The oracle's overall score and whether its tier is above the bottom one
    # (read for a ranking --select-by only).
    overall: list[float] = dataclasses.field(default_factory=list)
    relevant: list[bool] = dataclasses.field(default_factory=list)
    # Each row's weight in the training loss, when the input has a weight
    # column (train rows only; empty: every row weighs 1).
    weights: list[float] = dataclasses.field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


def open_stream(source: IO[bytes], what: str = "stdin") -> Any:
    """Open an Arrow IPC stream reader, turning a non-stream into a clear error."""
    try:
        return pa.ipc.open_stream(source)
    except (pa.ArrowInvalid, OSError, EOFError) as e:
        raise InputError(f"{what} is not an Arrow IPC stream: {e}") from e


def read_training_rows(source: IO[bytes], dimensions: Sequence[str], ranking: bool = False) -> tuple[Rows, Rows]:
    """Read the whole training stream and return (train, val) Rows.

    Every row is checked: split is train or val, id and text are non-null
    strings, ids are unique, labels has one finite number per dimension; with
    a weight column, a train row's weight is a finite number, 0 or more (a val
    row's is ignored), and not every one is 0.
    """
    reader = open_stream(source)
    check_columns(reader.schema, TRAIN_COLUMNS + (RANKING_COLUMNS if ranking else ()), "training input")
    _check_string(reader.schema, ("split", "id", "text"), "training input")
    _check_labels_type(reader.schema.field("labels"))
    weighted = reader.schema.get_field_index(WEIGHT_COLUMN) >= 0
    if weighted:
        _check_number(reader.schema.field(WEIGHT_COLUMN), "training input")
    try:
        table = reader.read_all()
    except (pa.ArrowInvalid, OSError) as e:
        raise InputError(f"stdin: reading the Arrow stream: {e}") from e

    splits = table.column("split").to_pylist()
    ids = table.column("id").to_pylist()
    texts = table.column("text").to_pylist()
    labels = table.column("labels").to_pylist()
    overall = table.column("overall").to_pylist() if ranking else [0.0] * len(ids)
    relevant = table.column("relevant").to_pylist() if ranking else [False] * len(ids)
    weights = table.column(WEIGHT_COLUMN).to_pylist() if weighted else [None] * len(ids)
    n = len(dimensions)
    out = {s: Rows([], [], []) for s in SPLITS}
    seen: set[str] = set()
    columns = zip(splits, ids, texts, labels, overall, relevant, weights)
    for i, (split, id_, text, lab, ov, rel, w) in enumerate(columns):
        where = f"row {i} (id {id_!r})"
        if id_ is None:
            raise InputError(f"row {i}: id is null")
        if id_ in seen:
            raise InputError(f"{where}: id appears more than once")
        seen.add(id_)
        if split not in SPLITS:
            raise InputError(f"{where}: split is {split!r}, want 'train' or 'val'")
        if text is None:
            raise InputError(f"{where}: text is null")
        if lab is None:
            raise InputError(f"{where}: labels is null")
        if len(lab) != n:
            raise InputError(
                f"{where}: labels has {len(lab)} values, want {n} (one per dimension: {','.join(dimensions)})"
            )
        for j, v in enumerate(lab):
            if v is None or not math.isfinite(v):
                raise InputError(f"{where}: label {dimensions[j]} is {v!r}, want a finite number")
        rows = out[split]
        rows.ids.append(id_)
        rows.texts.append(text)
        rows.labels.append([float(v) for v in lab])
        if ov is None or rel is None or not math.isfinite(ov):
            raise InputError(f"{where}: overall is {ov!r}, relevant {rel!r}: a ranking --select-by needs both")
        rows.overall.append(float(ov))
        rows.relevant.append(bool(rel))
        if weighted and split == "train":
            if w is None or not math.isfinite(w) or w < 0:
                raise InputError(f"{where}: weight is {w!r}, want a finite number, 0 or more")
            rows.weights.append(float(w))
    if not out["train"]:
        raise InputError("training input has no rows with split 'train'")
    if weighted and not any(out["train"].weights):
        raise InputError("training input: every train row's weight is 0")
    if not out["val"]:
        raise InputError("training input has no rows with split 'val' (the best epoch is chosen by validation MAE)")
    return out["train"], out["val"]


def check_columns(schema: Any, want: Sequence[str], what: str) -> None:
    missing = [c for c in want if schema.get_field_index(c) < 0]
    if missing:
        raise InputError(
            f"{what}: missing column {', '.join(missing)} (have {', '.join(schema.names) or 'none'}; want {', '.join(want)})"
        )


def _is_string(t: Any) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or (
        hasattr(pa.types, "is_string_view") and pa.types.is_string_view(t)
    )


def _check_string(schema: Any, names: Sequence[str], what: str) -> None:
    for name in names:
        t = schema.field(name).type
        if pa.types.is_dictionary(t):
            t = t.value_type
        if not _is_string(t):
            raise InputError(f"{what}: column {name} is {t}, want string")


def _check_labels_type(field: Any) -> None:
    t = field.type
    if not (pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)):
        raise InputError(f"training input: column labels is {t}, want list<double>")
    v = t.value_type
    if not (pa.types.is_floating(v) or pa.types.is_integer(v)):
        raise InputError(f"training input: column labels is {t}, want list<double>")


def _check_number(field: Any, what: str) -> None:
    if not (pa.types.is_floating(field.type) or pa.types.is_integer(field.type)):
        raise InputError(f"{what}: column {field.name} is {field.type}, want double")


def check_predict_schema(schema: Any) -> None:
    check_columns(schema, PREDICT_COLUMNS, "predict input")
    _check_string(schema, PREDICT_COLUMNS, "predict input")


def batch_ids_texts(batch: Any) -> tuple[list[str], list[str]]:
    """ids and texts of one predict input batch; a null text is an error."""
    ids = batch.column(batch.schema.get_field_index("id")).to_pylist()
    texts = batch.column(batch.schema.get_field_index("text")).to_pylist()
    for id_, text in zip(ids, texts):
        if id_ is None:
            raise InputError("predict input: a row has a null id")
        if text is None:
            raise InputError(f"predict input: row id {id_!r} has a null text")
    return ids, texts


def predictions_schema(dimensions: Sequence[str]) -> Any:
    """The predict output schema; the dimension order rides along as metadata."""
    return pa.schema(
        [pa.field("id", pa.string()), pa.field("predictions", pa.list_(pa.float64()))],
        metadata={"distill.dimensions": json.dumps(list(dimensions))},
    )


def predictions_batch(schema: Any, ids: Sequence[str], predictions: Sequence[Sequence[float]]) -> Any:
    return pa.record_batch(
        [pa.array(ids, pa.string()), pa.array(predictions, pa.list_(pa.float64()))], schema=schema
    )
