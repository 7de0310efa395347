#!/usr/bin/env python3
"""Measure label --select on real corpora, through the CLI (issue 18).

The ai-tech sample, BBC and AG News, with a filter (sustainability_tech_deployment
by default) and its free keywords oracle as the stand-in oracle. For each seed,
a fresh lake per strategy spends the same budget of labels:

  random    --select random --budget B
  similar   --select similar --budget B --seeds 5 known upper-tier ids
  upper     --select random --budget B/2, train, then
            --select upper:0.5,random:0.5 --budget B/2 (the student's picks)
  diverse   --select diverse --budget B

and reports the upper-tier articles labeled (the seeds themselves not
counted), and the recall@k on the upper tiers of a linear student trained on
those labels (k = the upper-tier articles there are; the truth is the
keywords oracle on every article).

  python3 bench/selection.py [--budget 40] [--seeds 5] [--distill bin/distill]
"""
import argparse
import csv
import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run(distill, *args):
    p = subprocess.run([distill, *args], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"distill {' '.join(args)}: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p.stdout


def sql(distill, lake, query):
    out = run(distill, "sql", "--lake", lake, "--format", "csv", query)
    return list(csv.DictReader(io.StringIO(out)))


def build(distill, lake, filt, inputs):
    run(distill, "init", "--lake", lake)
    run(distill, "ingest", "--lake", lake, *inputs)
    for stage in ("prefilter", "compress", "embed"):
        run(distill, stage, "--lake", lake, "--filter", filt)


def student(distill, lake, filt, ns, upper_ids):
    """Split, train a linear student, predict every article: recall@k."""
    run(distill, "split", "--lake", lake, "--filter", filt)
    run(distill, "train", "--lake", lake, "--filter", filt)
    run(distill, "predict", "--lake", lake, "--filter", filt, "--model", "latest", "--split", "all")
    k = len(upper_ids)
    top = sql(distill, lake, f"""SELECT id FROM {ns}.predictions
        WHERE model = (SELECT id FROM {ns}.models ORDER BY trained_at DESC LIMIT 1)
        ORDER BY overall DESC, id LIMIT {k}""")
    return sum(r["id"] in upper_ids for r in top) / k


def labeled_upper(distill, lake, ns, upper_ids, exclude=()):
    rows = sql(distill, lake, f"SELECT DISTINCT id FROM {ns}.labels")
    return sum(r["id"] in upper_ids and r["id"] not in exclude for r in rows), len(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=int, default=40)
    ap.add_argument("--filter", default="sustainability_tech_deployment", help="a filter under filters/ (its v1)")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--distill", default=os.path.join(ROOT, "bin", "distill"))
    ap.add_argument("--shared", default=os.environ.get("DISTILL_SHARED", os.path.join(ROOT, "..", "shared")))
    a = ap.parse_args()
    filt = os.path.join(ROOT, "filters", a.filter, "v1")
    ns = a.filter
    c = os.path.join(a.shared, "corpus")
    inputs = [os.path.join(c, "ai-tech-articles", "ai-tech-articles.sample.jsonl.gz"),
              os.path.join(c, "bbc-fulltext", "bbc"), os.path.join(c, "ag_news", "test.csv")]
    tmp = tempfile.mkdtemp(prefix="distill-selection-")
    truth = os.path.join(tmp, "truth")
    build(a.distill, truth, filt, inputs)
    run(a.distill, "label", "--lake", truth, "--filter", filt, "--oracle", "keywords")
    rows = sql(a.distill, truth, f"""SELECT id, tier FROM {ns}.labels""")
    lowest = sql(a.distill, truth, f"SELECT tier FROM {ns}.labels ORDER BY overall LIMIT 1")[0]["tier"]
    upper_ids = {r["id"] for r in rows if r["tier"] != lowest}
    pool = len(rows)
    print(f"filter {a.filter}: pool {pool} compressed articles, {len(upper_ids)} in an upper tier by the keywords oracle "
          f"({100 * len(upper_ids) / pool:.1f}%); budget {a.budget} labels; {a.seeds} seeds", flush=True)
    results = {}
    half = a.budget // 2
    for seed in range(1, a.seeds + 1):
        seeds_ids = random.Random(seed).sample(sorted(upper_ids), min(5, len(upper_ids)))
        for strategy in ("random", "similar", "upper", "diverse"):
            lake = os.path.join(tmp, f"{strategy}-{seed}")
            build(a.distill, lake, filt, inputs)
            lab = ["label", "--lake", lake, "--filter", filt, "--oracle", "keywords", "--seed", str(seed)]
            exclude = ()
            t0 = time.time()
            if strategy == "similar":
                run(a.distill, *lab, "--select", "similar", "--budget", str(a.budget), "--seeds", ",".join(seeds_ids))
                exclude = set(seeds_ids)
            elif strategy == "upper":
                run(a.distill, *lab, "--select", "random", "--budget", str(half))
                student(a.distill, lake, filt, ns, upper_ids)
                run(a.distill, *lab, "--select", "upper:0.5,random:0.5", "--budget", str(a.budget - half))
            else:
                run(a.distill, *lab, "--select", strategy, "--budget", str(a.budget))
            found, n = labeled_upper(a.distill, lake, ns, upper_ids, exclude)
            recall = student(a.distill, lake, filt, ns, upper_ids)
            results.setdefault(strategy, []).append((found, n, recall))
            print(f"seed {seed} {strategy:8s} labeled {n}, upper-tier {found}"
                  f"{' (seeds not counted)' if exclude else ''}, student recall@{len(upper_ids)} {recall:.2f}"
                  f" ({time.time() - t0:.1f} s)", flush=True)
    print()
    print(f"| strategy | upper-tier articles labeled (of {a.budget}) | share | student recall@{len(upper_ids)} |")
    print("|---|---|---|---|")
    for strategy, rs in results.items():
        found = [r[0] for r in rs]
        rec = [r[2] for r in rs]
        sd = lambda xs: statistics.stdev(xs) if len(xs) > 1 else 0.0
        print(f"| {strategy} | {statistics.mean(found):.1f} ± {sd(found):.1f} | {100 * statistics.mean(found) / a.budget:.1f}% "
              f"| {statistics.mean(rec):.2f} ± {sd(rec):.2f} |")


if __name__ == "__main__":
    main()
