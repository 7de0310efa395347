"""distill agree's Krippendorff's alpha and offsets, checked by an
independent computation: the `krippendorff` package (PyPI) over the very
labels the lake holds, read back with `distill sql`.

Three sources label 40 articles through `distill label import` (each ask
an import of its own, ordered by analyzed_at): oracle sim/a twice, sim/b
once on 30 of them, with a known offset, and sim/c once on 10 others, so
units have two, three or four values and some have one."""

import json
import os
import random
import subprocess
from pathlib import Path

import krippendorff
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DISTILL = Path(os.environ.get("DISTILL_BIN", ROOT / "bin" / "distill"))
FILTER = ROOT / "filters" / "sustainability_tech_deployment" / "v1"


def distill(lake, *args):
    out = subprocess.run([str(DISTILL), "--lake", str(lake), *args], capture_output=True, text=True)
    assert out.returncode == 0, f"distill {' '.join(args)[:200]}: exit {out.returncode}: {out.stderr}"
    return out.stdout


def dimensions():
    """The filter's dimension names, in filter.yaml's order."""
    names, inside = [], False
    for line in (FILTER / "filter.yaml").read_text().splitlines():
        if line.startswith("dimensions:"):
            inside = True
        elif inside and line and not line.startswith(" "):
            break
        elif inside and line.strip().startswith("- name:"):
            names.append(line.split(":", 1)[1].strip())
    return names


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    lk = tmp_path_factory.mktemp("agree") / "lake"
    distill(lk, "init")
    rng = random.Random(17)
    dims = dimensions()
    truth = {f"art{i:03d}": {d: rng.uniform(2, 8) for d in dims} for i in range(40)}
    asks = [("a", 0, 0.0, 0.5, range(40)), ("a", 1, 0.0, 0.5, range(40)), ("b", 0, -1.2, 0.7, range(30)), ("c", 0, 0.5, 0.4, range(30, 40))]
    folder = lk.parent
    for n, (model, ask, offset, sd, which) in enumerate(asks):
        path = folder / f"{model}{ask}.jsonl"
        with path.open("w") as fh:
            for i in which:
                aid = f"art{i:03d}"
                analysis = {d: {"score": round(min(10, max(0, truth[aid][d] + offset + rng.gauss(0, sd))), 2), "evidence": f"{model} ask {ask}"} for d in dims}
                analysis["analyzed_at"] = f"2026-05-0{n + 1}T00:00:00Z"
                fh.write(json.dumps({"id": aid, "title": f"Article {aid}", "content": f"The text of {aid}, about heat pumps.", "analysis": analysis}) + "\n")
        distill(lk, "label", "import", "--filter", str(FILTER), "--key", "analysis", "--oracle", "sim", "--model", model, str(path))
    return lk


def agree(lake, *args):
    return json.loads(distill(lake, "agree", "--filter", str(FILTER), "--json", *args))


def labels(lake):
    dims = dimensions()
    q = "SELECT id, oracle || '/' || model AS oracle, labeled_at, " + ", ".join(dims) + " FROM labels ORDER BY id, oracle, labeled_at"
    return json.loads(distill(lake, "sql", "--filter", str(FILTER), "--format", "json", q))


def reliability(rows, dim, oracles):
    """The krippendorff package's input: one row per (oracle, ask), one
    column per article, NaN where that ask is missing."""
    ids = sorted({r["id"] for r in rows})
    coders = {}
    for r in rows:
        if r["oracle"] not in oracles:
            continue
        k = 0
        while (r["oracle"], k, r["id"]) in coders:
            k += 1
        coders[(r["oracle"], k, r["id"])] = r[dim]
    keys = sorted({(o, k) for (o, k, _) in coders})
    data = np.full((len(keys), len(ids)), np.nan)
    for (o, k, i), v in coders.items():
        data[keys.index((o, k)), ids.index(i)] = v
    return data, ids


def test_alpha_across_all_matches_krippendorff(lake):
    res = agree(lake)
    rows = labels(lake)
    for dim in dimensions():
        data, _ = reliability(rows, dim, {"sim/a", "sim/b", "sim/c"})
        want = krippendorff.alpha(reliability_data=data, level_of_measurement="interval")
        got = res["alpha"][dim]["alpha"]
        assert got == pytest.approx(want, abs=1e-9), dim


def test_pair_alpha_offset_and_self_noise(lake):
    res = agree(lake, "--a", "sim/a", "--b", "sim/b")
    rows = labels(lake)
    pairs = {(p["kind"], p["a"], p["b"]): p for p in res["pairs"]}
    assert set(pairs) == {("pair", "sim/a", "sim/b"), ("self", "sim/a", "sim/a")}
    pair, self_a = pairs[("pair", "sim/a", "sim/b")], pairs[("self", "sim/a", "sim/a")]
    assert pair["articles"] == 30 and self_a["articles"] == 40
    for dim in dimensions():
        # The pair's alpha: every ask of a and b on the 30 articles both scored.
        both = [r for r in rows if r["oracle"] in ("sim/a", "sim/b") and int(r["id"][3:]) < 30]
        data, _ = reliability(both, dim, {"sim/a", "sim/b"})
        want = krippendorff.alpha(reliability_data=data, level_of_measurement="interval")
        fig = pair["dimensions"][dim]
        assert fig["alpha"] == pytest.approx(want, abs=1e-9), dim
        # The offset, b - a: each article's mean over its ask pairs, then the mean.
        by = {}
        for r in both:
            by.setdefault(r["id"], {}).setdefault(r["oracle"], []).append(r[dim])
        per = [np.mean([b - a for a in v["sim/a"] for b in v["sim/b"]]) for v in by.values()]
        assert fig["offset"] == pytest.approx(np.mean(per), abs=1e-9), dim
        assert fig["offset_low"] < -1.2 + 0.5 and fig["offset_high"] > -1.2 - 0.5, dim
        # a against itself: asks 0 and 1 differ by N(0, 2 * 0.5^2).
        selfs = [r for r in rows if r["oracle"] == "sim/a"]
        d = {}
        for r in selfs:
            d.setdefault(r["id"], []).append(r[dim])
        mae = np.mean([abs(v[1] - v[0]) for v in d.values()])
        assert self_a["dimensions"][dim]["mae"] == pytest.approx(mae, abs=1e-9), dim
        data, _ = reliability(selfs, dim, {"sim/a"})
        assert self_a["dimensions"][dim]["alpha"] == pytest.approx(
            krippendorff.alpha(reliability_data=data, level_of_measurement="interval"), abs=1e-9), dim
