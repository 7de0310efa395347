"""Every notebook in notebooks/ runs, cell by cell in a real IPython kernel,
against lakes the real binary built: the demo lake carried through split,
train, predict and eval, and a lake that has only labels (each article
labeled twice) and must say what is missing rather than fail."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
DISTILL = Path(os.environ.get("DISTILL_BIN", ROOT / "bin" / "distill"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NS = "sustainability_tech_deployment"
KERNEL = "distill-notebooks-test"


def env():
    # Offline and free: with GEMINI_API_KEY set, `distill demo` would label with Gemini.
    drop = {"GEMINI_API_KEY", "OPENAI_API_KEY", "DISTILL_LAKE", "DISTILL_FILTER_NS"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def distill(*args):
    out = subprocess.run([str(DISTILL), *args], check=True, capture_output=True, text=True, env=env())
    return out.stdout


@pytest.fixture(scope="module")
def lakes(tmp_path_factory):
    if not DISTILL.is_file():
        pytest.fail(f"no distill binary at {DISTILL}: build it (make build) or set DISTILL_BIN")
    tmp = tmp_path_factory.mktemp("notebooks")
    demo = tmp / "demo"
    distill("demo", "--dir", str(demo))
    filt = str(demo / "filters" / NS / "v1")

    full = demo / "lake"
    run = ["--lake", str(full), "--filter", filt]
    distill("split", *run)
    model = json.loads(distill("train", *run, "--json"))["model"]["id"]
    distill("predict", *run, "--model", model)
    evaluation = json.loads(distill("eval", *run, "--model", model, "--json"))
    full_stats = json.loads(distill("stats", *run, "--json"))

    labels_only = tmp / "labels-only" / "lake"
    run = ["--lake", str(labels_only), "--filter", filt]
    distill("--lake", str(labels_only), "init")
    distill("--lake", str(labels_only), "ingest", str(demo / "sample.jsonl"))
    distill("prefilter", *run)
    distill("compress", *run)
    distill("label", *run, "--oracle", "keywords")
    distill("label", *run, "--oracle", "keywords", "--full")  # a second label row per article (from the cache)
    stats = json.loads(distill("stats", *run, "--json"))

    return {"full": full, "full_stats": full_stats, "model": model, "eval": evaluation,
            "labels_only": labels_only, "stats": stats}


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    # A kernelspec for this very interpreter, so that no python3 kernel
    # installed elsewhere on the machine (another Python, other packages) runs the notebooks.
    path = tmp_path_factory.mktemp("jupyter")
    spec = path / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": KERNEL, "language": "python"}))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(path))
        yield KERNEL


def execute(lake, kernel):
    """Run every notebook against `lake` (all at once, one kernel each); fail on
    any cell error. Returns each notebook's printed and displayed text, and the
    executed notebooks."""
    books = {p.stem: nbformat.read(p, as_version=4) for p in NOTEBOOKS}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DISTILL_LAKE", str(lake))
        mp.setenv("DISTILL_FILTER_NS", NS)
        mp.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend renders figures
        clients = [
            NotebookClient(book, kernel_name=kernel, timeout=600, startup_timeout=120,
                           resources={"metadata": {"path": str(ROOT / "notebooks")}})
            for book in books.values()
        ]

        async def run_all():
            await asyncio.gather(*(c.async_execute() for c in clients))

        asyncio.run(run_all())
    texts = {}
    for name, book in books.items():
        parts = []
        for cell in book.cells:
            for out in cell.get("outputs", []):
                if out.output_type == "stream":
                    parts.append(out.text)
                elif "data" in out:
                    parts.append(out.data.get("text/plain", ""))
        texts[name] = "\n".join(parts)
    return texts, books


def tables(text, *columns):
    """The rows (dicts) of the DuckDB box tables printed in `text` that have all these columns."""
    found, header, body = [], None, None
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if line.startswith("┌"):
            header, body = None, None
        elif line.startswith("│") and header is None:
            header = cells
        elif line.startswith("├"):
            body = []
        elif line.startswith("│") and body is not None:
            body.append(dict(zip(header, cells)))
        elif line.startswith("└") and body is not None and set(columns) <= set(header):
            found.extend(body)
    return found


def assert_tiers_as_stats(text, stats):
    """The tier table counts one label per article, as `distill stats` does."""
    rows = {r["tier"]: int(r["articles"]) for r in tables(text, "tier", "articles", "pct", "flag")}
    assert rows == {t["tier"]: t["articles"] for t in stats["tiers"]}
    assert list(rows) == [t["tier"] for t in stats["tiers"]]  # from the highest tier down


def test_notebooks_are_committed_without_outputs():
    assert NOTEBOOKS, "no notebooks in notebooks/"
    for path in NOTEBOOKS:
        book = nbformat.read(path, as_version=4)
        nbformat.validate(book)
        for cell in book.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name}: clear the outputs before committing"


def test_notebooks_run_on_the_demo_lake(lakes, kernel):
    texts, books = execute(lakes["full"], kernel)
    assert set(texts) == {"01_label_distributions", "02_split_balance", "03_student_errors"}
    for name, text in texts.items():
        assert "vaporware" in text and "early_commercial" in text, name
        assert "does not exist yet" not in text, name
    assert any("image/png" in out.get("data", {}) for c in books["01_label_distributions"].cells for out in c.get("outputs", []))

    assert_tiers_as_stats(texts["01_label_distributions"], lakes["full_stats"])
    [groups] = tables(texts["02_split_balance"], "groups", "straddling_groups")
    assert int(groups["groups"]) > 0 and groups["straddling_groups"] == "0"
    splits = tables(texts["02_split_balance"], "split", "articles", "balanced_out")
    assert [r["split"] for r in splits] == ["train", "val", "test"]

    # Per-dimension MAE on the test split: the figures `distill eval` computed.
    student = texts["03_student_errors"]
    model = lakes["model"]
    assert f"=== deployment_stage ({model})" in student
    [result] = [m for m in lakes["eval"]["models"] if m["model"] == model]
    # The notebook scores the predictions table's scores: the calibrated ones
    # when the model has a calibration (eval's "calibrated" figures).
    result = result.get("calibrated") or result
    rows = {r["dimension"]: r for r in tables(student, "model", "split", "dimension", "mae", "baseline")
            if r["model"] == model and r["split"] == "test"}
    assert result["dimensions"]
    for dim in result["dimensions"]:
        row = rows[dim["dimension"]]
        assert int(row["n"]) == dim["n"]
        assert abs(float(row["mae"]) - dim["mae"]) <= 0.0006, (row, dim)
        assert abs(float(row["baseline"]) - dim["baseline_mae"]) <= 0.0006, (row, dim)


def test_notebooks_say_what_is_missing(lakes, kernel):
    texts, _ = execute(lakes["labels_only"], kernel)
    labels, stats = texts["01_label_distributions"], lakes["stats"]
    assert stats["label_rows"] == 2 * stats["articles"] > 0
    [counts] = tables(labels, "label_rows", "relabeled_articles")
    assert counts == {"label_rows": str(stats["label_rows"]), "articles": str(stats["articles"]),
                      "rows_from_relabels": str(stats["articles"]), "relabeled_articles": str(stats["articles"])}
    assert_tiers_as_stats(labels, stats)  # the latest label of each article, not both rows
    assert f"{NS}.splits does not exist yet" in texts["02_split_balance"]
    assert f"{NS}.predictions does not exist yet" in texts["03_student_errors"]
