"""What other engines write, distill reads: tables pyiceberg writes into a
distill lake (struct, map and list columns, struct fields with names pyiceberg
sanitizes in Parquet; Parquet files added without field
ids through add_files, read by the table's name mapping) read the same through
`distill sql` as through pyiceberg (test_differential's checksums)."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from test_differential import catalog, compare_lake, distill


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    lake = tmp_path_factory.mktemp("foreign") / "lake"
    distill(lake, "init")
    cat = catalog(lake)
    cat.create_namespace("ext")

    nested = pa.schema([
        pa.field("id", pa.string(), nullable=False),
        pa.field("s", pa.struct([("a", pa.int32()), ("b c", pa.string())])),  # written as b_x20c
        pa.field("m", pa.map_(pa.string(), pa.int64())),
        pa.field("l", pa.list_(pa.struct([("x", pa.float64())]))),
    ])
    tbl = cat.create_table("ext.nested", schema=nested)
    tbl.append(pa.table({
        "id": ["r1", "r2", "r3"],
        "s": [{"a": 7, "b c": "x"}, None, {"a": None, "b c": "y"}],
        "m": [[("k1", 10), ("k2", None)], None, []],
        "l": [[{"x": 1.5}, {"x": 2.5}], [], None],
    }, schema=nested))

    plain = pa.schema([pa.field("id", pa.string(), nullable=False), pa.field("n", pa.int64())])
    tbl = cat.create_table("ext.plain", schema=plain)
    tbl.append(pa.table({"id": ["a1", "a2"], "n": [1, 2]}, schema=plain))
    path = lake / "warehouse" / "ext.db" / "plain" / "added.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"id": ["p1", "p2", "p3"], "n": [10, 20, None]}, schema=plain), path)  # no field ids
    tbl.add_files([f"file://{path}"])
    return lake


def test_every_foreign_table_reads_as_in_pyiceberg(lake):
    # ext.nested at its one snapshot, ext.plain at its two.
    assert compare_lake(lake) >= 3


def test_nested_values(lake):
    out = distill(lake, "sql", "--format", "csv",
                  "SELECT id, s.a, s.\"b c\", m['k1'], len(l), l[2].x FROM ext.nested ORDER BY id")
    # pyiceberg writes r3's NULL list as an empty one (its own scan reads [] too).
    assert out.splitlines()[1:] == ["r1,7,x,10,2,2.5", "r2,,,,0,", "r3,,y,,0,"]


def test_added_file_without_field_ids_reads_by_name(lake):
    out = distill(lake, "sql", "--format", "csv", "SELECT id, n FROM ext.plain ORDER BY id")
    assert out.splitlines()[1:] == ["a1,1", "a2,2", "p1,10", "p2,20", "p3,"]
