"""Spark 3.5 (pyspark, Iceberg's Spark runtime, the SQLite JDBC driver) on a
lake the real `distill` binary built: Spark reads every table, every old
snapshot by id and every tag with the rows `distill sql` reads (counts and
per-column checksums), and what Spark writes back (append, copy-on-write
and merge-on-read deletes, a v3 table with deletion vectors, a new column,
a tag) distill reads the same way, and its ingest and stages keep working."""

import pytest

import enginelib as E

E.skip_without_spark(pytest)

RAW = "corpus.raw"
PREFILTERED = "sustainability_tech_deployment.prefiltered"


@pytest.fixture(scope="module")
def read_lake(tmp_path_factory):
    return E.demo_lake(tmp_path_factory.mktemp("spark-read"))[1]


@pytest.fixture(scope="module")
def reader(spark_base, read_lake):
    return E.catalog_session(spark_base, read_lake)


@pytest.fixture()
def demo(tmp_path):
    """A fresh demo lake per write test, so one failing write cannot hide another."""
    return E.demo_lake(tmp_path)


@pytest.fixture()
def spark(spark_base, demo):
    return E.catalog_session(spark_base, demo[1])


def compare_all(check):
    """Runs check for each case and reports every mismatch, not only the first."""
    problems = []
    for case in check:
        try:
            case()
        except AssertionError as e:
            problems.append(str(e).splitlines()[0])
    assert not problems, f"{len(problems)} mismatches:\n" + "\n".join(problems)


def test_spark_lists_every_table(reader, read_lake):
    tables = E.distill_tables(read_lake)
    assert len(tables) >= 11, tables
    assert E.spark_tables(reader) == tables


def test_spark_reads_every_table(reader, read_lake):
    compare_all([lambda t=t: E.compare_with_spark(reader, read_lake, t) for t in E.distill_tables(read_lake)])


def test_spark_reads_every_snapshot_by_id(reader, read_lake):
    cases = []
    for t in E.distill_tables(read_lake):
        for s in E.distill_snapshots(read_lake, t):
            cases.append(lambda t=t, s=s: E.compare_with_spark(
                reader, read_lake, t, version=s["snapshot_id"], distill_ref=f"{t}@{s['sequence']}"))
    assert len(cases) >= 12
    compare_all(cases)


def test_spark_reads_tags(reader, read_lake):
    for table, tag, seq in ((RAW, "first-ingest", 1), (PREFILTERED, "decided", 1)):
        refs = {r.name: r.snapshot_id for r in reader.sql(f"SELECT * FROM {E.CATALOG}.{table}.refs").collect()}
        want = next(s["snapshot_id"] for s in E.distill_snapshots(read_lake, table) if s["sequence"] == seq)
        assert refs.get(tag) == want, f"{table}: Spark's refs {refs}, distill tagged {want}"
        rows = E.compare_with_spark(reader, read_lake, table, version=tag, distill_ref=f"{table}@{tag}")
        assert rows == E.distill_count(read_lake, f"{table}@{seq}")


def test_spark_append_and_tag(spark, demo):
    _, lake = demo
    before = E.distill_count(lake, RAW)
    old = E.distill_snapshots(lake, RAW)
    spark.sql(E.insert_values_sql(spark, RAW, [E.raw_row("spark", i) for i in range(3)])).collect()
    spark.sql(f"ALTER TABLE {E.CATALOG}.{RAW} CREATE TAG `spark-append`").collect()
    assert E.compare_with_spark(spark, lake, RAW) == before + 3
    new = E.distill_snapshots(lake, RAW)
    assert len(new) == len(old) + 1
    assert new[-1]["sequence"] == old[-1]["sequence"] + 1
    E.compare_with_spark(spark, lake, RAW, version=new[-1]["snapshot_id"], distill_ref=f"{RAW}@{new[-1]['sequence']}")
    E.compare_with_spark(spark, lake, RAW, version=old[-1]["snapshot_id"], distill_ref=f"{RAW}@{old[-1]['sequence']}")
    assert E.compare_with_spark(spark, lake, RAW, version="spark-append", distill_ref=f"{RAW}@spark-append") == before + 3
    assert E.distill_count(lake, f"{RAW}@first-ingest") == E.spark_count(spark, RAW, "first-ingest")


def delete_files(spark, table):
    return [(r.content, r.file_format) for r in
            spark.sql(f"SELECT content, file_format FROM {E.CATALOG}.{table}.delete_files").collect()]


def test_spark_copy_on_write_delete(spark, demo):
    _, lake = demo
    before = E.distill_snapshots(lake, RAW)[-1]
    spark.sql(f"DELETE FROM {E.CATALOG}.{RAW} WHERE line % 7 = 0").collect()
    assert delete_files(spark, RAW) == [], "distill's tables say write.delete.mode=copy-on-write"
    rows = E.compare_with_spark(spark, lake, RAW)
    assert 0 < rows < before["total_rows"]
    E.compare_with_spark(spark, lake, RAW, version=before["snapshot_id"], distill_ref=f"{RAW}@{before['sequence']}")


def test_spark_merge_on_read_delete_v2(spark, demo):
    demo_dir, lake = demo
    before = E.distill_snapshots(lake, RAW)[-1]
    spark.sql(f"ALTER TABLE {E.CATALOG}.{RAW} SET TBLPROPERTIES ('write.delete.mode'='merge-on-read')").collect()
    spark.sql(f"DELETE FROM {E.CATALOG}.{RAW} WHERE line % 7 = 0").collect()
    assert (1, "PARQUET") in delete_files(spark, RAW), "Spark wrote no position delete file"
    # Time travel to before the deletes reads no delete file at all.
    E.compare_with_spark(spark, lake, RAW, version=before["snapshot_id"], distill_ref=f"{RAW}@{before['sequence']}")
    rows = E.compare_with_spark(spark, lake, RAW)
    assert 0 < rows < before["total_rows"]
    # distill keeps working on a table with delete files: ingest, then a stage.
    E.distill(lake, "ingest", E.write_jsonl(demo_dir / "after-mor.jsonl", "after-mor", 4))
    E.distill(lake, "prefilter", "--filter", demo_dir / E.DEMO_FILTER)
    assert E.compare_with_spark(spark, lake, RAW) == rows + 4
    assert E.unprefiltered(lake) == 0
    E.assert_counts_agree(lake, spark)


def test_spark_deletion_vectors_v3(spark, demo):
    _, lake = demo
    v3 = "corpus.spark_v3"
    spark.sql(f"CREATE TABLE {E.CATALOG}.{v3} USING iceberg "
              "TBLPROPERTIES ('format-version'='3', 'write.delete.mode'='merge-on-read') "
              f"AS SELECT * FROM {E.CATALOG}.{RAW}").collect()
    first = spark.sql(f"SELECT snapshot_id FROM {E.CATALOG}.{v3}.snapshots").collect()[0][0]
    spark.sql(f"DELETE FROM {E.CATALOG}.{v3} WHERE line % 7 = 0").collect()
    assert (1, "PUFFIN") in delete_files(spark, v3), "Spark wrote no deletion vector"
    assert v3 in E.distill_tables(lake)
    E.compare_with_spark(spark, lake, v3, version=first, distill_ref=f"{v3}@1")
    rows = E.compare_with_spark(spark, lake, v3)
    assert 0 < rows < E.distill_count(lake, RAW)


def test_spark_add_column_then_distill_ingest_and_prefilter(spark, demo):
    demo_dir, lake = demo
    spark.sql(f"ALTER TABLE {E.CATALOG}.{RAW} ADD COLUMN spark_note string").collect()
    spark.sql(E.insert_values_sql(spark, RAW, [E.raw_row("noted", 0, spark_note="'from spark'")])).collect()
    E.compare_with_spark(spark, lake, RAW)
    assert E.distill_json(lake, f"SELECT count(spark_note) AS n FROM {RAW}")[0]["n"] == 1
    # ingest panicked here ("arrow/array: some fields have excessive number of rows").
    E.distill(lake, "ingest", E.write_jsonl(demo_dir / "after-add.jsonl", "after-add", 4))
    rows = E.compare_with_spark(spark, lake, RAW)
    assert rows == E.distill_snapshots(lake, RAW)[-1]["total_rows"]
    E.distill(lake, "prefilter", "--filter", demo_dir / E.DEMO_FILTER)
    assert E.unprefiltered(lake) == 0
    E.assert_counts_agree(lake, spark)


def test_distill_pipeline_after_spark_writes(spark, demo):
    """Spark appends, deletes (copy-on-write) and tags; then distill ingests and
    reruns the demo's pipeline; every table reads the same in all three engines."""
    demo_dir, lake = demo
    spark.sql(E.insert_values_sql(spark, RAW, [E.raw_row("spark", i) for i in range(5)])).collect()
    spark.sql(f"DELETE FROM {E.CATALOG}.{RAW} WHERE id = 'spark-4' OR (dataset = 'demo_sample' AND line % 11 = 0)").collect()
    spark.sql(f"ALTER TABLE {E.CATALOG}.{RAW} CREATE TAG `spark-edit`").collect()
    E.distill(lake, "ingest", E.write_jsonl(demo_dir / "more.jsonl", "more", 6))
    out = E.distill(lake, "run", "pipeline.yaml", cwd=demo_dir)
    assert "prefilter" in out.stdout + out.stderr
    assert E.unprefiltered(lake) == 0
    E.assert_counts_agree(lake, spark)
    ids = {r["id"] for r in E.distill_json(lake, f"SELECT id FROM {RAW} WHERE id LIKE 'spark-%' OR id LIKE 'more-%'")}
    assert ids == {f"spark-{i}" for i in range(4)} | {f"more-{i}" for i in range(6)}
    assert E.compare_with_spark(spark, lake, RAW, version="spark-edit", distill_ref=f"{RAW}@spark-edit") > 0


def test_spark_reordered_columns_then_distill_ingest(spark, demo):
    """Another engine moves columns; distill's writers write by name, not by position."""
    demo_dir, lake = demo
    spark.sql(f"ALTER TABLE {E.CATALOG}.{RAW} ALTER COLUMN run_id FIRST").collect()
    spark.sql(f"ALTER TABLE {E.CATALOG}.{RAW} ALTER COLUMN title AFTER url").collect()
    E.distill(lake, "ingest", E.write_jsonl(demo_dir / "after-move.jsonl", "after-move", 4))
    E.compare_with_spark(spark, lake, RAW)
    got = E.distill_json(lake, f"SELECT count(title) AS titles, count(run_id) AS runs FROM {RAW} WHERE id LIKE 'after-move-%'")[0]
    assert got == {"titles": 4, "runs": 4}
    E.distill(lake, "prefilter", "--filter", demo_dir / E.DEMO_FILTER)
    assert E.unprefiltered(lake) == 0
    E.assert_counts_agree(lake, spark)


def test_spark_lz4_parquet_reads_or_names_the_file(spark, demo):
    """Spark can write Parquet with the legacy (Hadoop) LZ4 codec, which DuckDB
    does not read. distill reads such a table correctly, or fails naming the
    codec and the file and saying to rewrite it; never with wrong values."""
    _, lake = demo
    spark.sql(f"ALTER TABLE {E.CATALOG}.{RAW} SET TBLPROPERTIES ('write.parquet.compression-codec'='lz4')").collect()
    spark.sql(E.insert_values_sql(spark, RAW, [E.raw_row("lz4", i) for i in range(3)])).collect()
    newest = spark.sql(f"SELECT snapshot_id FROM {E.CATALOG}.{RAW}.snapshots ORDER BY committed_at DESC LIMIT 1").collect()[0][0]
    lz4_files = [r.file_path.rsplit("/", 1)[-1] for r in spark.sql(
        f"SELECT file_path FROM {E.CATALOG}.{RAW}.entries e JOIN {E.CATALOG}.{RAW}.files f "
        f"ON e.data_file.file_path = f.file_path WHERE e.snapshot_id = {newest}").collect()]
    assert lz4_files
    arrow = E.spark_arrow(spark.sql(f"SELECT * FROM {E.CATALOG}.{RAW}"))
    columns = E.arrow_columns(arrow.schema)
    out = E.distill(lake, "sql", "--format", "json", f"SELECT {E.checksum_sql(columns)} FROM {RAW}", check=False)
    if out.returncode == 0:
        import json

        got = json.loads(out.stdout)[0]
        want = E.checksums_of_arrow(arrow, columns)
        assert got == want, f"LZ4 file read wrong: {E.differing(columns, got, want)}"
        return
    msg = out.stderr
    assert "LZ4" in msg.upper() and any(f in msg for f in lz4_files) and "rewrite" in msg.lower(), \
        f"the error must name the codec and the file and say how to rewrite it: {msg.strip()[:800]}"


def data_files(spark, table):
    return spark.sql(f"SELECT count(*) FROM {E.CATALOG}.{table}.files WHERE content = 0").collect()[0][0]


def test_spark_nested_columns(spark, demo):
    """Map and struct columns (distill writes none) read in distill, selected or not."""
    _, lake = demo
    t = "corpus.spark_nested"
    spark.sql(f"CREATE TABLE {E.CATALOG}.{t} (id string, attrs map<string, int>, "
              "author struct<name: string, age: int>, scores array<double>) USING iceberg").collect()
    spark.sql(f"INSERT INTO {E.CATALOG}.{t} VALUES "
              "('a', map('x', 1, 'y', 2), named_struct('name', 'Ada', 'age', 36), array(1.5, 2.0)), "
              "('b', NULL, named_struct('name', NULL, 'age', 7), NULL), "
              "('c', map(), NULL, array())").collect()
    assert E.distill_json(lake, f"SELECT count(*) AS n, count(id) AS ids FROM {t}")[0] == {"n": 3, "ids": 3}
    assert E.compare_with_spark(spark, lake, t) == 3


def test_spark_format_version_1_table(spark, demo):
    """A v1 table (no sequence numbers in its metadata) still has @1, @2, ... in distill."""
    _, lake = demo
    t = "corpus.spark_v1"
    spark.sql(f"CREATE TABLE {E.CATALOG}.{t} USING iceberg TBLPROPERTIES ('format-version'='1') "
              f"AS SELECT id, title, line FROM {E.CATALOG}.{RAW} WHERE line < 100").collect()
    spark.sql(f"INSERT INTO {E.CATALOG}.{t} SELECT id, title, line FROM {E.CATALOG}.{RAW} WHERE line >= 100").collect()
    ids = [r.snapshot_id for r in spark.sql(
        f"SELECT snapshot_id FROM {E.CATALOG}.{t}.snapshots ORDER BY committed_at").collect()]
    snaps = E.distill_snapshots(lake, t)
    assert [s["sequence"] for s in snaps] == [1, 2], snaps
    assert [s["snapshot_id"] for s in snaps] == ids
    assert E.compare_with_spark(spark, lake, t, version=ids[0], distill_ref=f"{t}@1") > 0
    assert E.compare_with_spark(spark, lake, t, version=ids[1], distill_ref=f"{t}@2") == E.distill_count(lake, RAW)


def test_distill_compacts_a_spark_partitioned_table(spark, demo):
    _, lake = demo
    t = "corpus.spark_parts"
    spark.sql(f"CREATE TABLE {E.CATALOG}.{t} (id string, dataset string, line bigint) USING iceberg "
              "PARTITIONED BY (dataset)").collect()
    for lo in range(0, 300, 60):
        spark.sql(f"INSERT INTO {E.CATALOG}.{t} SELECT id, dataset, line FROM {E.CATALOG}.{RAW} "
                  f"WHERE line >= {lo} AND line < {lo + 60}").collect()
    before_files, rows = data_files(spark, t), E.compare_with_spark(spark, lake, t)
    assert before_files >= 5
    parts = sorted((r.partition.dataset, r.record_count) for r in spark.sql(f"SELECT * FROM {E.CATALOG}.{t}.partitions").collect())
    E.distill(lake, "compact", t)
    after_files = data_files(spark, t)
    assert after_files < before_files, f"compact left {after_files} of {before_files} data files"
    assert E.compare_with_spark(spark, lake, t) == rows
    # Each rewritten file stays in its partition (spec 0, the same partition values and counts).
    assert sorted((r.partition.dataset, r.record_count) for r in spark.sql(f"SELECT * FROM {E.CATALOG}.{t}.partitions").collect()) == parts
    assert {r.spec_id for r in spark.sql(f"SELECT spec_id FROM {E.CATALOG}.{t}.files").collect()} == {0}
