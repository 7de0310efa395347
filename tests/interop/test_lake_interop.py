"""The lake is plain Iceberg + Parquet: pyiceberg (SQL catalog) and DuckDB's
own Parquet reader read what `distill` wrote, with no distill code involved."""

import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest
from pyiceberg.catalog.sql import SqlCatalog

ROOT = Path(__file__).resolve().parents[2]
DISTILL = Path(os.environ.get("DISTILL_BIN", ROOT / "bin" / "distill"))
SHARED = Path(os.environ.get("DISTILL_SHARED", ROOT.parent / "shared"))


def distill(lake, *args):
    out = subprocess.run([str(DISTILL), "--lake", str(lake), *args], check=True, capture_output=True, text=True)
    return out.stdout


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    lake = tmp_path_factory.mktemp("interop") / "lake"
    distill(lake, "init")
    distill(lake, "ingest", str(SHARED / "corpus" / "ag_news" / "test.csv"))
    distill(lake, "ingest", str(SHARED / "corpus" / "bbc-fulltext" / "bbc" / "tech"))
    distill(lake, "tag", "ag-only", "corpus.raw@1")
    return lake


def distill_count(lake, query):
    return int(distill(lake, "sql", "--format", "csv", query).splitlines()[1])


def catalog(lake):
    # The catalog name is "distill"; the SQL catalog opens catalog.db directly.
    return SqlCatalog("distill", uri=f"sqlite:///{lake}/catalog.db", warehouse=f"file://{lake}/warehouse")


def test_pyiceberg_reads_current_and_old_snapshots(lake):
    tbl = catalog(lake).load_table("corpus.raw")
    total = distill_count(lake, "SELECT count(*) FROM corpus.raw")
    assert total > 7600  # AG News plus the BBC tech articles that are not duplicates
    assert tbl.scan().to_arrow().num_rows == total
    snaps = sorted(tbl.snapshots(), key=lambda s: s.sequence_number)
    assert [s.sequence_number for s in snaps] == [1, 2]
    first = tbl.scan(snapshot_id=snaps[0].snapshot_id).to_arrow()
    assert first.num_rows == 7600
    assert tbl.metadata.refs["ag-only"].snapshot_id == snaps[0].snapshot_id
    props = snaps[1].summary.additional_properties
    assert props["distill.stage"] == "ingest"
    assert props["distill.run-id"]
    assert json.loads(props["distill.params"])["paths"][0].endswith("tech")


def test_pyiceberg_sees_schema_and_empty_rejects(lake):
    cat = catalog(lake)
    raw = cat.load_table("corpus.raw")
    names = [f.name for f in raw.schema().fields]
    assert names[:5] == ["id", "dataset", "source", "title", "content"]
    assert "extra" in names and "content_sha256" in names
    rejects = cat.load_table("corpus.rejects")
    assert rejects.scan().to_arrow().num_rows == 0


def test_duckdb_parquet_reader_reads_data_files(lake):
    files = sorted(str(p) for p in (lake / "warehouse").rglob("*.parquet"))
    assert files, "no data files"
    con = duckdb.connect()
    n = con.execute("SELECT count(*) FROM read_parquet(?)", [files]).fetchone()[0]
    assert n == distill_count(lake, "SELECT count(*) FROM corpus.raw")
    tags = con.execute(
        "SELECT count(*) FROM read_parquet(?) WHERE tags = ['tech']", [files]
    ).fetchone()[0]
    assert tags == distill_count(lake, "SELECT count(*) FROM corpus.raw WHERE tags = ['tech']") > 300
