"""An exported model predicts outside distill what distill predicted: the
folder's predict.py, run in this venv (the linear student needs only the
standard library), scores the real ai-tech articles a linear model predicted,
and every dimension, overall and tier matches the lake's
<filter>.predictions read back with `distill sql`, within 1e-6."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DISTILL = Path(os.environ.get("DISTILL_BIN", ROOT / "bin" / "distill"))
SHARED = Path(os.environ.get("DISTILL_SHARED", ROOT.parent / "shared"))
FILTER = ROOT / "filters" / "uplifting" / "v1"
SAMPLE = SHARED / "corpus" / "ai-tech-articles" / "ai-tech-articles.sample.jsonl.gz"


def distill(lake, *args):
    out = subprocess.run([str(DISTILL), "--lake", str(lake), *args], check=True, capture_output=True, text=True)
    return out.stdout


def sql(lake, query):
    return json.loads(distill(lake, "sql", "--format", "json", query))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A lake of the ai-tech sample with a trained, calibrated linear model that
    predicted every article, and the model exported."""
    tmp = tmp_path_factory.mktemp("export")
    lake = tmp / "lake"
    distill(lake, "init")
    distill(lake, "ingest", str(SAMPLE))
    for stage in (["prefilter"], ["compress"], ["label", "--oracle", "keywords"], ["split"], ["train"], ["predict", "--split", "all"]):
        distill(lake, stage[0], "--filter", str(FILTER), *stage[1:])
    model = json.loads(distill(lake, "model", "list", "--filter", str(FILTER), "--json"))[0]["id"]
    folder = tmp / "model"
    distill(lake, "model", "export", model, "-o", str(folder))
    return lake, model, folder


def test_predict_py_matches_the_lake(exported, tmp_path):
    lake, model, folder = exported
    # Run from a copy elsewhere: the folder is all it needs.
    moved = tmp_path / "shipped"
    shutil.copytree(folder, moved)
    rows = sql(lake, f"SELECT p.*, c.text FROM uplifting.predictions p JOIN uplifting.compressed c ON c.id = p.id "
                     f"WHERE p.model = '{model}' ORDER BY p.id")
    assert len(rows) > 600
    articles = tmp_path / "articles.jsonl"
    articles.write_text("".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in rows))
    out = subprocess.run([sys.executable, str(moved / "predict.py"), str(moved), str(articles)],
                         check=True, capture_output=True, text=True, cwd=tmp_path)
    got = [json.loads(line) for line in out.stdout.splitlines()]
    dims = json.loads((moved / "manifest.json").read_text())["model"]["dimensions"]
    assert [g["id"] for g in got] == [r["id"] for r in rows]
    worst = 0.0
    for g, r in zip(got, rows):
        assert g["tier"] == r["tier"], (g, r)
        for k in dims + ["overall"]:
            worst = max(worst, abs(g[k] - r[k]))
            assert abs(g[k] - r[k]) <= 1e-6, (r["id"], k, g[k], r[k])
    print(f"{len(got)} articles, largest difference {worst:g}")


def test_predict_py_reads_stdin_and_refuses_bad_lines(exported):
    _, _, folder = exported
    ok = subprocess.run([sys.executable, str(folder / "predict.py"), str(folder)], input='{"id": "x", "text": "Solar panels for a village school"}\n',
                        check=True, capture_output=True, text=True)
    row = json.loads(ok.stdout)
    assert row["id"] == "x" and "overall" in row and "tier" in row
    bad = subprocess.run([sys.executable, str(folder / "predict.py"), str(folder)], input='{"text": "no id"}\n',
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "line 1" in bad.stderr
    # A null text or id is refused, never scored as the word "None"; the
    # lines before a bad one are all written (the output is a prefix).
    for line in ('{"id": "n", "text": null}', '{"id": null, "text": "x"}', '{"id": true, "text": "x"}'):
        good = "".join(f'{{"id": "g{i}", "text": "wind farm {i}"}}\n' for i in range(300))
        out = subprocess.run([sys.executable, str(folder / "predict.py"), str(folder)], input=good + line + "\n",
                             capture_output=True, text=True)
        assert out.returncode == 2 and "line 301" in out.stderr, (line, out.stderr)
        assert [json.loads(x)["id"] for x in out.stdout.splitlines()] == [f"g{i}" for i in range(300)], line


def test_verify_fails_on_a_swapped_file(exported, tmp_path):
    lake, _, folder = exported
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    distill(lake, "model", "verify", str(copy))
    (copy / "filter" / "prompt.md").write_text("another prompt\n")
    out = subprocess.run([str(DISTILL), "--lake", str(lake), "model", "verify", str(copy)], capture_output=True, text=True)
    assert out.returncode == 1 and "filter/prompt.md" in out.stderr
