"""A lake folder moved or copied with plain `mv` / `cp -a` is still one
Iceberg lake: after distill opens it once, pyiceberg reads it at its new
place, and a copy never reads its source (the source is moved out of the
way while the copy is read)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pyiceberg.catalog.sql import SqlCatalog

ROOT = Path(__file__).resolve().parents[2]
DISTILL = Path(os.environ.get("DISTILL_BIN", ROOT / "bin" / "distill"))
SHARED = Path(os.environ.get("DISTILL_SHARED", ROOT.parent / "shared"))


def distill(lake, *args):
    out = subprocess.run([str(DISTILL), "--lake", str(lake), *args], check=True, capture_output=True, text=True)
    return out.stdout


def distill_count(lake, query):
    return int(distill(lake, "sql", "--format", "csv", query).splitlines()[1])


def read_all(lake):
    """Every table's rows at every snapshot and tag, as pyiceberg reads them."""
    cat = SqlCatalog("distill", uri=f"sqlite:///{lake}/catalog.db", warehouse=f"file://{lake}/warehouse")
    out = {}
    for ns in cat.list_namespaces():
        for ident in cat.list_tables(ns):
            t = cat.load_table(ident)
            assert t.location().startswith(f"file://{lake}/"), t.location()
            snaps = {s.sequence_number: t.scan(snapshot_id=s.snapshot_id).to_arrow().num_rows for s in t.metadata.snapshots}
            tags = {n: r.snapshot_id for n, r in t.metadata.refs.items() if r.snapshot_ref_type == "tag"}
            out[".".join(ident)] = (snaps, tags)
    return out


@pytest.fixture()
def lake(tmp_path):
    lake = tmp_path / "lake"
    distill(lake, "init")
    distill(lake, "ingest", str(SHARED / "corpus" / "bbc-fulltext" / "bbc" / "tech"))
    distill(lake, "ingest", str(SHARED / "corpus" / "bbc-fulltext" / "bbc" / "sport"))
    distill(lake, "tag", "tech-only", "corpus.raw@1")
    return lake


def test_moved_lake_reads_in_pyiceberg(lake, tmp_path):
    want = read_all(lake)
    moved = tmp_path / "moved"
    lake.rename(moved)
    assert distill_count(moved, 'SELECT count(*) FROM "corpus.raw@tech-only"') == want["corpus.raw"][0][1]
    assert read_all(moved) == want


def files(folder):
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


def test_copied_lake_never_reads_or_writes_its_source(lake, tmp_path):
    want = read_all(lake)
    before = files(lake)
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(lake), str(copy)], check=True)
    away = tmp_path / "away"
    lake.rename(away)  # any read of the source's paths now fails
    assert distill_count(copy, "SELECT count(*) FROM corpus.raw") == want["corpus.raw"][0][2]
    assert read_all(copy) == want
    distill(copy, "ingest", str(SHARED / "corpus" / "bbc-fulltext" / "bbc" / "business"))
    away.rename(lake)
    # Compared before anything opens the source again: any SQLite reader
    # (pyiceberg's included) writes the catalog's -shm file.
    assert files(lake) == before
    assert read_all(lake) == want
    grown = read_all(copy)["corpus.raw"][0]
    assert sorted(grown) == [1, 2, 3] and grown[3] > want["corpus.raw"][0][2]


def test_notebook_helper_refuses_a_copy_distill_has_not_opened(lake, tmp_path):
    # notebooks/distill_lake.py reads through pyiceberg, which follows the
    # metadata's absolute paths: before distill has rewritten a copy's paths
    # they lead into the source. The helper must refuse, then read the copy
    # once distill has opened it.
    import sys

    sys.path.insert(0, str(ROOT / "notebooks"))
    try:
        import distill_lake
    finally:
        sys.path.pop(0)
    want = read_all(lake)["corpus.raw"][0][2]
    assert distill_lake.Lake(lake).load("corpus.raw") == want
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(lake), str(copy)], check=True)
    with pytest.raises(RuntimeError, match="moved or copied"):
        distill_lake.Lake(copy)
    moved = tmp_path / "moved"
    lake.rename(moved)
    with pytest.raises(RuntimeError, match="moved or copied"):
        distill_lake.Lake(moved)
    distill(copy, "tables")
    assert distill_lake.Lake(copy).load("corpus.raw") == want
