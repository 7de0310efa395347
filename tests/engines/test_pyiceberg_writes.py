"""pyiceberg 0.12 writes to a lake the real `distill` binary built (append,
delete, a new column, add_files of a plain Parquet file with no field ids),
and distill reads every such table the way pyiceberg does (counts and
per-column checksums) and its ingest and prefilter keep working. Needs no
Spark: these run wherever tests/requirements.txt is installed."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyiceberg.expressions import EqualTo, GreaterThanOrEqual
from pyiceberg.types import StringType

import enginelib as E

RAW = "corpus.raw"


@pytest.fixture()
def demo(tmp_path):
    return E.demo_lake(tmp_path)


def raw_rows(tbl, prefix, n, **extra):
    """n corpus.raw rows as an Arrow table of the table's own schema (NULL where not given)."""
    schema = tbl.schema().as_arrow()
    cols = {
        "id": [f"{prefix}-{i}" for i in range(n)],
        "dataset": [prefix] * n,
        "title": [f"{prefix} title {i}" for i in range(n)],
        "content": [f"{prefix} content {i}: wind turbines installed" for i in range(n)],
        "content_sha256": [f"{prefix}-sha-{i}" for i in range(n)],
        "tags": [[prefix, "pyiceberg"]] * n,
        "line": list(range(n)),
        "ingested_at": [pa.scalar(1767323045123456, pa.timestamp("us", tz="UTC")).as_py()] * n,
        **extra,
    }
    return pa.Table.from_pydict(
        {f.name: pa.array(cols.get(f.name, [None] * n), type=f.type) for f in schema}, schema=schema)


def test_pyiceberg_append(demo):
    _, lake = demo
    tbl = E.pyiceberg_catalog(lake).load_table(RAW)
    before = tbl.scan().to_arrow().num_rows
    tbl.append(raw_rows(tbl, "py", 4))
    assert E.compare_with_pyiceberg(lake, RAW) == before + 4
    snaps = E.distill_snapshots(lake, RAW)
    assert snaps[-1]["snapshot_id"] == E.pyiceberg_catalog(lake).load_table(RAW).current_snapshot().snapshot_id
    E.compare_with_pyiceberg(lake, RAW, snapshot_id=snaps[-2]["snapshot_id"], distill_ref=f"{RAW}@{snaps[-2]['sequence']}")


def test_pyiceberg_delete(demo):
    _, lake = demo
    tbl = E.pyiceberg_catalog(lake).load_table(RAW)
    before = tbl.scan().to_arrow().num_rows
    tbl.delete(GreaterThanOrEqual("line", 250))
    rows = E.compare_with_pyiceberg(lake, RAW)
    assert 0 < rows < before
    tbl.delete(EqualTo("dataset", "demo_messy"))
    assert E.compare_with_pyiceberg(lake, RAW) < rows


def test_pyiceberg_add_column_then_distill_ingest_and_prefilter(demo):
    demo_dir, lake = demo
    tbl = E.pyiceberg_catalog(lake).load_table(RAW)
    with tbl.update_schema() as u:
        u.add_column("py_note", StringType())
    tbl = E.pyiceberg_catalog(lake).load_table(RAW)
    tbl.append(raw_rows(tbl, "noted", 2, py_note=["from pyiceberg", None]))
    E.compare_with_pyiceberg(lake, RAW)
    assert E.distill_json(lake, f"SELECT count(py_note) AS n FROM {RAW}")[0]["n"] == 1
    # ingest panicked here ("arrow/array: some fields have excessive number of rows").
    E.distill(lake, "ingest", E.write_jsonl(demo_dir / "after-add.jsonl", "after-add", 3))
    E.compare_with_pyiceberg(lake, RAW)
    E.distill(lake, "prefilter", "--filter", demo_dir / E.DEMO_FILTER)
    assert E.unprefiltered(lake) == 0
    E.assert_counts_agree(lake)


def test_pyiceberg_add_files_without_field_ids(demo):
    """A Parquet file written by plain pyarrow (no field ids) added with add_files:
    readers map its columns to the table's by the table's name mapping, which
    distill itself sets (schema.name-mapping.default)."""
    demo_dir, lake = demo
    tbl = E.pyiceberg_catalog(lake).load_table(RAW)
    n = 5
    plain = pa.table({
        "id": pa.array([f"plain-{i}" for i in range(n)]),
        "dataset": pa.array(["plain"] * n),
        "title": pa.array([f"plain title {i}" for i in range(n)]),
        "content": pa.array([f"plain content {i}: a geothermal plant" for i in range(n)]),
        "content_sha256": pa.array([f"plain-sha-{i}" for i in range(n)]),
        "line": pa.array(list(range(n)), pa.int64()),
    })
    plain = plain.cast(pa.schema([f.with_nullable(f.name not in ("id", "content_sha256")) for f in plain.schema]))
    path = lake / "warehouse" / "corpus.db" / "raw" / "data" / "plain-pyarrow.parquet"
    pq.write_table(plain, path)
    assert pq.read_schema(path).field("id").metadata is None  # no PARQUET:field_id
    before = tbl.scan().to_arrow().num_rows
    tbl.add_files([f"file://{path}"])
    assert E.compare_with_pyiceberg(lake, RAW) == before + n
    got = E.distill_json(lake, f"SELECT count(id) AS ids, count(title) AS titles FROM {RAW} WHERE dataset = 'plain'")[0]
    assert got == {"ids": n, "titles": n}, "distill must read the file's columns through the name mapping"
    E.distill(lake, "prefilter", "--filter", demo_dir / E.DEMO_FILTER)
    assert E.unprefiltered(lake) == 0
