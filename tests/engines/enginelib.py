"""Shared setup of the engine tests: Spark (pyspark 3.5 with Iceberg's Spark
runtime and the SQLite JDBC driver) and pyiceberg reading and writing a lake
that the real `distill` binary built, and the checksums that compare them.

The two jars come from Maven Central through `mvn dependency:copy` (Maven
checks them against the registry's checksums) and are kept in a cache folder
(DISTILL_ENGINES_CACHE, default ~/.cache/distill-engines), so only the first
run downloads them (~60 MB). `python tests/engines/enginelib.py fetch` fills
the cache by hand.

Where Java, pyspark or the jars cannot be had, the Spark tests skip with the
reason; with DISTILL_ENGINES_REQUIRED=1 (set by .ci/run) they fail instead, so
CI cannot pass by skipping them."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[2]
DISTILL = Path(os.environ.get("DISTILL_BIN", ROOT / "bin" / "distill"))
SHARED = Path(os.environ.get("DISTILL_SHARED", ROOT.parent / "shared"))

# The versions docs/engines.md documents as tested: keep the three in step.
SPARK_VERSION = "3.5.9"
JARS = (
    "org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:1.10.1",
    "org.xerial:sqlite-jdbc:3.51.1.0",
)
CATALOG = "distill"  # the catalog name stored in catalog.db: Spark's catalog must have it
DEMO_FILTER = "filters/sustainability_tech_deployment/v1"


def cache_dir():
    return Path(os.environ.get("DISTILL_ENGINES_CACHE", Path.home() / ".cache" / "distill-engines"))


def jar_path(coord):
    _, artifact, version = coord.split(":")
    return cache_dir() / f"{artifact}-{version}.jar"


def fetch_jars():
    """Downloads the missing jars into the cache; returns why it could not, or None."""
    missing = [c for c in JARS if not jar_path(c).is_file()]
    if not missing:
        return None
    if shutil.which("mvn") is None:
        return f"mvn (Maven) is not installed, and {', '.join(missing)} are not in {cache_dir()}"
    cache_dir().mkdir(parents=True, exist_ok=True)
    for coord in missing:
        # Copied to a temporary folder first: a download cut short never
        # leaves a partial jar under the cached name.
        with tempfile.TemporaryDirectory(dir=cache_dir()) as tmp:
            out = subprocess.run(
                ["mvn", "-q", "-B", "dependency:copy", f"-Dartifact={coord}", f"-DoutputDirectory={tmp}"],
                capture_output=True, text=True, timeout=900,
            )
            got = Path(tmp) / jar_path(coord).name
            if out.returncode != 0 or not got.is_file():
                return f"mvn could not fetch {coord}: exit {out.returncode}: {(out.stdout + out.stderr)[-600:]}"
            got.replace(jar_path(coord))
    return None


def java_version():
    """The major version of the java on PATH (or JAVA_HOME), or None."""
    java = Path(os.environ["JAVA_HOME"]) / "bin" / "java" if os.environ.get("JAVA_HOME") else shutil.which("java")
    if java is None or not Path(java).exists():
        return None
    out = subprocess.run([str(java), "-version"], capture_output=True, text=True)
    for word in out.stderr.split():
        word = word.strip('"')
        if word[:1].isdigit():
            major = word.split(".")[0]
            return int(major) if major != "1" else int(word.split(".")[1])
    return None


_REASON = []


def spark_unavailable():
    """Why the Spark tests cannot run here (None when they can). Fetches the jars once."""
    if _REASON:
        return _REASON[0]
    reason = None
    try:
        import pyspark  # noqa: F401

        if pyspark.__version__ != SPARK_VERSION:
            reason = f"pyspark {pyspark.__version__} is installed; the tests pin {SPARK_VERSION} (tests/requirements.txt)"
    except ImportError:
        reason = f"pyspark is not installed (pip install -r tests/requirements.txt pins {SPARK_VERSION})"
    if reason is None:
        v = java_version()
        if v is None:
            reason = "no java (JAVA_HOME, else PATH): Spark 3.5 needs Java 8, 11 or 17 (apt-get install openjdk-17-jre-headless)"
        elif v not in (8, 11, 17):
            reason = f"java {v} on PATH: Spark 3.5 runs on Java 8, 11 or 17 (set JAVA_HOME to one)"
    if reason is None:
        reason = fetch_jars()
    _REASON.append(reason)
    return reason


def skip_without_spark(pytest):
    """Skips the calling test module (or fails it under DISTILL_ENGINES_REQUIRED=1)."""
    reason = spark_unavailable()
    if reason is None or required():
        return  # where required, the spark_base fixture fails each test with the reason
    pytest.skip(f"Spark tests skipped: {reason}", allow_module_level=True)


def required():
    return os.environ.get("DISTILL_ENGINES_REQUIRED") == "1"


# ---- distill ---------------------------------------------------------------


def distill(lake, *args, cwd=None, check=True, timeout=600):
    out = subprocess.run(
        [str(DISTILL), "--lake", str(lake), *[str(a) for a in args]],
        capture_output=True, text=True, cwd=cwd, timeout=timeout,
    )
    if check:
        err = out.stderr.strip()
        if len(err) > 1500:  # a panic: its message is at the top, the stack below
            err = err[:1000] + " [...] " + err[-300:]
        assert out.returncode == 0, f"distill {' '.join(map(str, args))[:120]}: exit {out.returncode}: {err}"
    return out


def distill_json(lake, query):
    return json.loads(distill(lake, "sql", "--format", "json", query).stdout)


def distill_count(lake, table):
    return distill_json(lake, f"SELECT count(*) AS n FROM {quote_ref(table)}")[0]["n"]


def quote_ref(ref):
    """ns.table stays plain; "ns.table@N" and "ns.table@TAG" are quoted (time travel)."""
    return f'"{ref}"' if "@" in ref else ref


def distill_tables(lake):
    return sorted(line.split()[0] for line in distill(lake, "tables").stdout.splitlines()[1:] if line.strip())


def distill_snapshots(lake, table):
    return [s for s in json.loads(distill(lake, "snapshots", "--json", table).stdout) if s["table"] == table]


def demo_lake(tmp, articles=300):
    """A lake made by `distill demo` (every stage ran once), with two tags. Returns (demo dir, lake)."""
    distill(tmp / "unused-lake", "demo", "--dir", "demo", "--articles", articles, cwd=tmp)
    lake = tmp / "demo" / "lake"
    distill(lake, "tag", "first-ingest", "corpus.raw@1")
    distill(lake, "tag", "decided", "sustainability_tech_deployment.prefiltered@1")
    return tmp / "demo", lake


def write_jsonl(path, prefix, n):
    """n new articles whose ids, titles and bodies start with prefix (so no duplicates of earlier ones)."""
    with open(path, "w") as f:
        for i in range(n):
            f.write(json.dumps({
                "id": f"{prefix}-{i}",
                "title": f"{prefix} article {i}: a solar plant is deployed",
                "content": f"{prefix} body {i}. The utility commissioned a 40 MW solar farm and storage in 2025.",
                "url": f"https://example.org/{prefix}/{i}",
            }) + "\n")
    return path


# ---- checksums -------------------------------------------------------------
# As tests/interop/test_differential.py: per column the number of non-null
# values and md5 over the sorted md5s of each value's text (timestamps as
# epoch microseconds, so no time zone enters). distill computes it in its
# DuckDB session over the files it plans; the other engine's rows come back
# as Arrow and the same expression runs over them in a plain DuckDB, so the
# two sides share the arithmetic but not the planning or the file reading.


def checksum_sql(columns):
    """columns: [(name, is_timestamp)]. One SELECT list: rows, then n<i> and h<i> per column."""
    exprs = ["count(*) AS rows"]
    for i, (name, is_ts) in enumerate(columns):
        col = '"' + name.replace('"', '""') + '"'
        text = f"epoch_us({col})::VARCHAR" if is_ts else f"{col}::VARCHAR"
        exprs.append(f"count({col}) AS n{i}")
        exprs.append(f"md5(string_agg(md5({text}), ',' ORDER BY md5({text}))) AS h{i}")
    return ", ".join(exprs)


def arrow_columns(schema):
    return [(f.name, pa.types.is_timestamp(f.type)) for f in schema]


def checksums_of_arrow(table, columns=None):
    columns = columns or arrow_columns(table.schema)
    con = duckdb.connect()
    con.register("t", table)
    cur = con.execute(f"SELECT {checksum_sql(columns)} FROM t")
    names = [d[0] for d in cur.description]
    return dict(zip(names, cur.fetchone()))


def checksums_by_distill(lake, ref, columns):
    return distill_json(lake, f"SELECT {checksum_sql(columns)} FROM {quote_ref(ref)}")[0]


def name_columns(columns, sums):
    """Readable form of a checksum row for assertion messages: {column: (non-null, md5)}."""
    out = {"rows": sums["rows"]}
    for i, (name, _) in enumerate(columns):
        out[name] = (sums[f"n{i}"], sums[f"h{i}"])
    return out


def differing(columns, got, want):
    """The columns (and rows) whose checksums differ, by name."""
    a, b = name_columns(columns, got), name_columns(columns, want)
    return {k: (a[k], b.get(k)) for k in a if a[k] != b.get(k)}


# ---- Spark -----------------------------------------------------------------


def spark_base(tmp):
    """The one SparkContext of a test run: local[2], two shuffle partitions, no UI.
    Each lake gets its own session from it (catalog_session)."""
    from pyspark.sql import SparkSession

    jars = ",".join(str(jar_path(c)) for c in JARS)
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("distill-engines")
        .config("spark.jars", jars)
        .config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "1g")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(tmp / "spark-warehouse"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={tmp}")
    )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def catalog_properties(lake, shared=True):
    """The `distill` catalog's Spark properties for a lake, as docs/engines.md gives them.
    shared=False leaves Iceberg's defaults (init-catalog-tables, the table cache) as they are."""
    props = {
        f"spark.sql.catalog.{CATALOG}": "org.apache.iceberg.spark.SparkCatalog",
        f"spark.sql.catalog.{CATALOG}.type": "jdbc",
        f"spark.sql.catalog.{CATALOG}.uri": f"jdbc:sqlite:{lake}/catalog.db",
        f"spark.sql.catalog.{CATALOG}.warehouse": f"file://{lake}/warehouse",
    }
    if shared:
        props[f"spark.sql.catalog.{CATALOG}.jdbc.init-catalog-tables"] = "false"
        props[f"spark.sql.catalog.{CATALOG}.cache-enabled"] = "false"
    return props


def catalog_session(base, lake, shared=True):
    """A new Spark session (same JVM, own SQL conf and catalogs) whose `distill` catalog is the lake's."""
    s = base.newSession()
    for k, v in catalog_properties(lake, shared).items():
        s.conf.set(k, v)
    return s


def spark_arrow(df):
    """A DataFrame's rows as one Arrow table (Spark's own Arrow conversion; no pandas)."""
    from pyspark.sql.pandas.types import to_arrow_schema

    schema = to_arrow_schema(df.schema)
    batches = df._collect_as_arrow()
    if not batches:
        return schema.empty_table()
    return pa.Table.from_batches(batches).cast(schema)


def spark_tables(spark):
    names = []
    for ns in spark.sql(f"SHOW NAMESPACES IN {CATALOG}").collect():
        for t in spark.sql(f"SHOW TABLES IN {CATALOG}.{ns[0]}").collect():
            names.append(f"{ns[0]}.{t.tableName}")
    return sorted(names)


def spark_count(spark, table, version=None):
    q = f"SELECT count(*) FROM {CATALOG}.{table}"
    if version is not None:
        q += f" VERSION AS OF {version!r}" if isinstance(version, str) else f" VERSION AS OF {version}"
    return spark.sql(q).collect()[0][0]


def spark_error(exc):
    """The Java exception's class and message, without py4j's wrapping."""
    java = getattr(exc, "java_exception", None)
    if java is None:
        return " ".join(str(exc).split())[:800]
    parts = []
    while java is not None and len(parts) < 6:
        parts.append(java.toString())
        java = java.getCause()
    return " ".join(" <- caused by: ".join(parts).split())[:1200]


def compare_with_spark(spark, lake, table, version=None, distill_ref=None):
    """Asserts distill and Spark read the same rows of a table (at a snapshot id or tag)."""
    q = f"SELECT * FROM {CATALOG}.{table}"
    if version is not None:
        q += f" VERSION AS OF {version!r}" if isinstance(version, str) else f" VERSION AS OF {version}"
    arrow = spark_arrow(spark.sql(q))
    columns = arrow_columns(arrow.schema)
    want = checksums_of_arrow(arrow, columns)
    ref = distill_ref or table
    got = checksums_by_distill(lake, ref, columns)
    assert got == want, f"{ref}: distill sql and Spark disagree (distill, Spark): {differing(columns, got, want)}"
    return want["rows"]


def insert_values_sql(spark, table, rows):
    """INSERT INTO a table every column of which is given: the named values, NULL for the rest.
    rows: list of {column: SQL literal}."""
    fields = spark.table(f"{CATALOG}.{table}").schema.fields
    tuples = []
    for row in rows:
        vals = [row.get(f.name, f"CAST(NULL AS {f.dataType.simpleString()})") for f in fields]
        tuples.append("(" + ", ".join(vals) + ")")
    return f"INSERT INTO {CATALOG}.{table} VALUES " + ", ".join(tuples)


def raw_row(prefix, i, **extra):
    """A corpus.raw row as SQL literals: required id and content_sha256, a tag list and a timestamp."""
    row = {
        "id": f"'{prefix}-{i}'",
        "dataset": f"'{prefix}'",
        "title": f"'{prefix} title {i}'",
        "content": f"'{prefix} content {i}: a heat pump factory opened'",
        "content_sha256": f"sha2('{prefix} content {i}: a heat pump factory opened', 256)",
        "tags": f"array('{prefix}', 'spark')",
        "line": str(i),
        "ingested_at": "TIMESTAMP '2026-01-02 03:04:05.123456'",
    }
    row.update(extra)
    return row


if __name__ == "__main__":
    if sys.argv[1:] == ["fetch"]:
        why = fetch_jars()
        print(why or f"jars in {cache_dir()}: " + ", ".join(jar_path(c).name for c in JARS))
        sys.exit(1 if why else 0)
    print("usage: enginelib.py fetch")
    sys.exit(2)


# ---- pyiceberg -------------------------------------------------------------


def pyiceberg_catalog(lake):
    from pyiceberg.catalog.sql import SqlCatalog

    return SqlCatalog(CATALOG, uri=f"sqlite:///{lake}/catalog.db", warehouse=f"file://{lake}/warehouse")


def compare_with_pyiceberg(lake, table, snapshot_id=None, distill_ref=None):
    """Asserts distill and pyiceberg read the same rows of a table (current or at a snapshot id)."""
    tbl = pyiceberg_catalog(lake).load_table(table)
    arrow = tbl.scan(snapshot_id=snapshot_id).to_arrow()
    columns = arrow_columns(arrow.schema)
    want = checksums_of_arrow(arrow, columns)
    ref = distill_ref or table
    got = checksums_by_distill(lake, ref, columns)
    assert got == want, f"{ref}: distill sql and pyiceberg disagree (distill, pyiceberg): {differing(columns, got, want)}"
    return want["rows"]


def counts_everywhere(lake, spark=None):
    """{table: (distill, pyiceberg[, Spark])} row counts of every table of the lake."""
    cat = pyiceberg_catalog(lake)
    out = {}
    for t in distill_tables(lake):
        row = (distill_count(lake, t), cat.load_table(t).scan().to_arrow().num_rows)
        if spark is not None:
            row += (spark_count(spark, t),)
        out[t] = row
    return out


def assert_counts_agree(lake, spark=None):
    counts = counts_everywhere(lake, spark)
    bad = {t: c for t, c in counts.items() if len(set(c)) != 1}
    assert not bad, f"row counts differ (distill, pyiceberg{', Spark' if spark else ''}): {bad}"
    return counts


def unprefiltered(lake):
    """Raw articles that have no prefilter decision (every one must have one after prefilter)."""
    return distill_json(
        lake,
        "SELECT count(*) AS n FROM corpus.raw r "
        "WHERE NOT EXISTS (SELECT 1 FROM sustainability_tech_deployment.prefiltered p WHERE p.id = r.id)",
    )[0]["n"]
