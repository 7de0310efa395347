"""Measures one Spark application sharing a lake's SQLite catalog with
`distill`, with the catalog in WAL mode (what distill sets) and in SQLite's
rollback journal, and prints one JSON line per case (docs/engines.md has the
figures). Not a test: run it by hand.

    python tests/engines/measure_journal.py --wal bin/distill --rollback DISTILL_ROLLBACK_BUILD [--n 8]

The rollback binary is distill built with `journal_mode(DELETE)&_pragma=synchronous(FULL)`
in place of `journal_mode(WAL)&_pragma=synchronous(NORMAL)` in lake/lake.go's
catalogDSN (a scratch copy: the pragma is set on every connection distill opens,
and a new lake then stays in that mode).

Two scenarios per journal mode and Spark setting:
- interleaved: N times, one `distill ingest` (5 rows), then Spark counts
  corpus.raw and inserts one row: how many commits of each land, and how often
  Spark's count equals distill's right after distill's commit;
- concurrent (only the settings docs/engines.md recommends): a Spark thread
  counting corpus.raw and a Spark thread inserting rows, both in a loop, while
  distill runs N ingests back to back: the ingests' times and failures."""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import enginelib as E  # noqa: E402


def run_distill(binary, lake, *args, timeout=45):
    t = time.monotonic()
    out = subprocess.run([binary, "--lake", str(lake), *map(str, args)], capture_output=True, text=True, timeout=timeout)
    return out.returncode, (out.stdout + out.stderr).strip(), time.monotonic() - t


def new_lake(binary, tmp):
    lake = tmp / "lake"
    run_distill(binary, lake, "init")
    run_distill(binary, lake, "ingest", E.write_jsonl(tmp / "in0.jsonl", "d0", 5))
    return lake


def session(base, lake, setting):
    s = base.newSession()
    props = E.catalog_properties(lake, shared=setting != "default")
    if setting == "init-false-cached":
        del props[f"spark.sql.catalog.{E.CATALOG}.cache-enabled"]
    for k, v in props.items():
        s.conf.set(k, v)
    return s


def count_by_distill(binary, lake):
    rc, out, _ = run_distill(binary, lake, "sql", "--format", "csv", "SELECT count(*) FROM corpus.raw")
    return int(out.splitlines()[1]) if rc == 0 else None


def interleaved(base, binary, tmp, setting, n):
    lake = new_lake(binary, tmp)
    s = session(base, lake, setting)
    res = {"distill_ok": 0, "spark_ok": 0, "spark_saw": 0, "errors": [], "distill_s": [], "spark_s": []}
    E.spark_count(s, "corpus.raw")
    for i in range(1, n + 1):
        try:
            rc, out, dt = run_distill(binary, lake, "ingest", E.write_jsonl(tmp / f"in{i}.jsonl", f"d{i}", 5))
        except subprocess.TimeoutExpired:
            res["errors"].append("distill ingest still waiting after 45 s (killed)")
            break
        res["distill_s"].append(round(dt, 2))
        res["distill_ok"] += rc == 0
        if rc != 0:
            res["errors"].append("distill: " + out[-300:])
        if E.spark_count(s, "corpus.raw") == count_by_distill(binary, lake):
            res["spark_saw"] += 1
        t = time.monotonic()
        try:
            s.sql(E.insert_values_sql(s, "corpus.raw", [E.raw_row("s", i)])).collect()
            res["spark_ok"] += 1
        except Exception as e:  # noqa: BLE001 - the error is the measurement
            res["errors"].append("spark: " + E.spark_error(e)[:300])
        res["spark_s"].append(round(time.monotonic() - t, 2))
    res["data_files"] = len(list((lake / "warehouse").rglob("*.parquet")))
    return res


def concurrent(base, binary, tmp, n):
    lake = new_lake(binary, tmp)
    reader, writer = session(base, lake, "shared"), session(base, lake, "shared")
    stop = threading.Event()
    stats = {"spark_reads": 0, "spark_read_errors": [], "spark_inserts": 0, "spark_insert_errors": []}

    def read_loop():
        while not stop.is_set():
            try:
                E.spark_count(reader, "corpus.raw")  # loads the table from the catalog each time (no cache)
                stats["spark_reads"] += 1
            except Exception as e:  # noqa: BLE001
                stats["spark_read_errors"].append(E.spark_error(e)[:200])

    def write_loop():
        i = 0
        while not stop.is_set():
            i += 1
            try:
                writer.sql(E.insert_values_sql(writer, "corpus.raw", [E.raw_row("c", i)])).collect()
                stats["spark_inserts"] += 1
            except Exception as e:  # noqa: BLE001
                stats["spark_insert_errors"].append(E.spark_error(e)[:200])

    threads = [threading.Thread(target=read_loop), threading.Thread(target=write_loop)]
    for t in threads:
        t.start()
    time.sleep(2)
    times, failures = [], []
    for i in range(1, n + 1):
        try:
            rc, out, dt = run_distill(binary, lake, "ingest", E.write_jsonl(tmp / f"c{i}.jsonl", f"dc{i}", 5), timeout=120)
        except subprocess.TimeoutExpired:
            failures.append("still waiting after 120 s")
            continue
        times.append(dt)
        if rc != 0:
            failures.append(out[-300:])
    stop.set()
    for t in threads:
        t.join()
    rc, out, _ = run_distill(binary, lake, "sql", "--format", "csv",
                             "SELECT count(*) FILTER (WHERE id LIKE 'dc%'), count(*) FILTER (WHERE id LIKE 'c-%') FROM corpus.raw")
    landed = out.splitlines()[-1]
    return {
        "distill_ok": n - len(failures), "distill_failures": failures[:3],
        "distill_s_median": round(statistics.median(times), 2) if times else None,
        "distill_s_max": round(max(times), 2) if times else None,
        "rows_landed_distill_spark": landed, **{k: (v if not isinstance(v, list) else v[:3]) for k, v in stats.items()},
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wal", required=True, help="distill as built (catalog in WAL mode)")
    ap.add_argument("--rollback", required=True, help="distill built with journal_mode(DELETE)")
    ap.add_argument("--n", type=int, default=8)
    args = ap.parse_args()
    why = E.spark_unavailable()
    if why:
        sys.exit(why)
    tmp = Path(tempfile.mkdtemp(prefix="distill-journal-"))
    base = E.spark_base(tmp)
    for mode, binary in (("wal", args.wal), ("rollback", args.rollback)):
        for setting in ("default", "init-false-cached", "shared"):
            d = tmp / f"{mode}-{setting}"
            d.mkdir()
            t = time.monotonic()
            r = interleaved(base, binary, d, setting, args.n)
            print(json.dumps({"scenario": "interleaved", "journal": mode, "spark": setting, **r,
                              "wall_s": round(time.monotonic() - t, 1)}), flush=True)
        d = tmp / f"{mode}-concurrent"
        d.mkdir()
        t = time.monotonic()
        r = concurrent(base, binary, d, args.n)
        print(json.dumps({"scenario": "concurrent", "journal": mode, "spark": "shared", **r,
                          "wall_s": round(time.monotonic() - t, 1)}), flush=True)
    base.stop()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
