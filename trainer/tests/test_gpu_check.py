"""gpu_check.sh's 4-bit mode as a CPU smoke run: tiny 1B- and 7B-shaped decoders
quantized by bitsandbytes' CPU kernels, trained and predicted through the
trainer's own code, one JSON line out, nothing installed."""

import json
import os
import subprocess
import sys
import sysconfig

import pytest

TRAINER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(TRAINER, "gpu_check.sh")

SMOKE = dict(
    DEVICE="cpu", THREADS="1", HIDDEN="64", INTERMEDIATE="128", LAYERS="2", HEADS="2", KV_HEADS="1", VOCAB="600",
    MAX_LENGTH="64", BATCH_SIZE="4", TRAIN_ROWS="48", TRAIN_SECONDS="2", WARMUP_STEPS="1", PREDICT_SECONDS="1",
    PREDICT_BATCH="8",
)


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if k not in ("WHEELHOUSE", "MODE", "SHAPES", "PYTHONPATH")}
    env.update(PYTHON=sys.executable, PIP_NO_INDEX="1", TMPDIR=str(tmp_path), SCRATCH=str(tmp_path), **extra)
    return env


def _site_packages():
    path = sysconfig.get_paths()["purelib"]
    return sorted(os.listdir(path))


def test_smoke_run_prints_one_json_line_with_every_figure(tmp_path):
    before = _site_packages()
    p = subprocess.run(["bash", SCRIPT], env=_env(tmp_path, **SMOKE), capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-4000:]
    lines = p.stdout.strip().splitlines()
    assert len(lines) == 1, p.stdout
    out = json.loads(lines[0])

    assert out["ok"] is True and out["mode"] == "4bit" and out["device"] == "cpu"
    for pkg in ("torch", "transformers", "peft", "bitsandbytes"):
        assert out["versions"][pkg], pkg
    assert set(out["shapes"]) == {"1b", "7b"}
    assert out["recipe"]["lora_r"] == 16 and out["recipe"]["gradient_checkpointing"] is True
    assert out["recipe"]["batch_size"] == 4 and out["recipe"]["max_length"] == 64
    for name, arch, tied in (("1b", "llama", True), ("7b", "qwen2", False)):
        s = out["shapes"][name]
        assert s["ok"] is True and s["timed_out"] is False and s["error"] is None, s
        assert s["shape"]["arch"] == arch and s["shape"]["tied"] is tied and s["shape"]["hidden"] == 64
        assert s["linear4bit_layers"] == 2 * 7  # q k v o gate up down, two layers: every Linear in 4-bit
        assert 0 < s["trainable_params"] < s["total_params"]
        assert s["train_steps_measured"] >= 1 and s["train_examples_per_second"] > 0
        assert s["predict_articles"] > 0 and s["predict_ms_per_article"] > 0
        assert s["predict_tokens_per_article"] == 64  # every text fills the token budget
        assert s["batch_size"] == 4 and s["max_length"] == 64
        assert s.get("train_peak_gib") is None and s["load_peak_gib"] is None  # no GPU: no GPU memory figure
        assert 0 < s["plan_peak_gib"] < 1  # the plan of this very run, from the saved config.json
    proj = out["projections"]
    eps = out["shapes"]["1b"]["train_examples_per_second"]
    assert abs(proj["train_minutes_1b_3x8000x512"] - 24000 / eps / 60) < 0.01 * proj["train_minutes_1b_3x8000x512"] + 0.01
    assert proj["predict_ms_per_article_1b"] == out["shapes"]["1b"]["predict_ms_per_article"]
    # Tiny shapes at 64 tokens meet or miss nothing: the targets are left unjudged.
    assert out["full_shapes"] is False and out["targets_met"] is False
    assert set(out["targets"]) == {
        "train_1b_3x8000x512_under_10_min", "predict_1b_at_most_5_ms_per_article", "train_7b_peak_reserved_within_16_gb"
    }
    assert all(v is None for v in out["targets"].values())
    assert "max_memory_reserved() <= 16e9 bytes" in out["target_7b_peak_basis"]
    assert out["recipe"]["predict_batch_size"] == 8 and out["shapes"]["1b"]["predict_batch_size"] == 8  # PREDICT_BATCH
    assert proj["train_peak_reserved_bytes_7b"] is None  # no GPU

    # Nothing installed, nothing left behind.
    assert "installing" not in p.stderr
    assert _site_packages() == before
    assert not [f for f in os.listdir(tmp_path) if f.startswith("gpu-check")], os.listdir(tmp_path)


def test_unknown_mode_and_shape_are_refused(tmp_path):
    p = subprocess.run(["bash", SCRIPT], env=_env(tmp_path, MODE="8bit"), capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "MODE must be 4bit or bert" in p.stderr and p.stdout == ""
    p = subprocess.run(["bash", SCRIPT], env=_env(tmp_path, SHAPES="1b,13b", DEVICE="cpu"), capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "unknown shape(s) 13b" in p.stderr


def test_missing_torch_stops_before_installing_anything(tmp_path):
    # python -S sees no site-packages: no torch, and nothing may come from the network instead.
    wrapper = tmp_path / "python-nosite"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    wrapper.chmod(0o755)
    env = _env(tmp_path)
    env["PYTHON"] = str(wrapper)
    p = subprocess.run(["bash", SCRIPT], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "has no torch" in p.stderr and p.stdout == ""


def _wheel_of_installed(package, dist_glob, dest):
    """A wheel of an installed package, zipped from site-packages (stored, not compressed: fast)."""
    import glob
    import zipfile

    site = sysconfig.get_paths()["purelib"]
    (dist,) = glob.glob(os.path.join(site, dist_glob))
    tags = [ln.split(":", 1)[1].strip() for ln in open(os.path.join(dist, "WHEEL")) if ln.startswith("Tag:")]
    version = os.path.basename(dist)[len(package) + 1 : -len(".dist-info")]
    path = os.path.join(dest, f"{package}-{version}-{tags[0]}.whl")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for top in (os.path.join(site, package), dist):
            for root, _, files in os.walk(top):
                for f in files:
                    if "__pycache__" not in root:
                        full = os.path.join(root, f)
                        z.write(full, os.path.relpath(full, site))
    return path


def test_a_missing_package_comes_from_the_wheelhouse_only(tmp_path):
    # A Python that lacks tokenizers: the venv's interpreter without its site
    # (-S) and its site-packages linked in, tokenizers left out.
    site = sysconfig.get_paths()["purelib"]
    linked = tmp_path / "site"
    linked.mkdir()
    for name in os.listdir(site):
        if not name.startswith("tokenizers"):
            os.symlink(os.path.join(site, name), linked / name)
    wrapper = tmp_path / "python-notokenizers"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH="${{PYTHONPATH:+$PYTHONPATH:}}{linked}" exec "{sys.executable}" -S "$@"\n')
    wrapper.chmod(0o755)
    env = _env(tmp_path, **dict(SMOKE, SHAPES="1b"))
    env["PYTHON"] = str(wrapper)

    p = subprocess.run(["bash", SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "cannot import tokenizers;" in p.stderr and "WHEELHOUSE" in p.stderr and p.stdout == ""

    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _wheel_of_installed("tokenizers", "tokenizers-*.dist-info", str(wheels))
    env["WHEELHOUSE"] = str(wheels)
    p = subprocess.run(["bash", SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-4000:]
    assert "installing tokenizers from" in p.stderr
    out = json.loads(p.stdout)
    assert out["ok"] is True and list(out["shapes"]) == ["1b"] and out["versions"]["tokenizers"]
    # The temporary install is gone with the run.
    assert not [f for f in os.listdir(tmp_path) if f.startswith("gpu-check")], os.listdir(tmp_path)


def test_preflight_minimums_are_pyprojects():
    """The preflight checks the trainer's own lower bounds, not figures of its own."""
    import re
    import tomllib

    sys.path.insert(0, TRAINER)
    import gpu_check_lib

    with open(os.path.join(TRAINER, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)["project"]
    declared = {}
    for req in project["dependencies"] + project["optional-dependencies"]["quantize"]:
        name, version = re.match(r"([A-Za-z0-9_-]+)>=(\S+)", req).groups()
        declared[name] = version
    for pkg, version in gpu_check_lib.MINIMUMS.items():
        assert declared[pkg] == version, pkg
    assert gpu_check_lib.predict_batch() == 32  # the product's predict batch (PredictOptions' default)


HIDE_ACCELERATE = '''
import sys

class _Hide:
    def find_spec(self, name, path=None, target=None):
        if name == "accelerate" or name.startswith("accelerate."):
            raise ModuleNotFoundError("No module named 'accelerate' (hidden by the test)", name=name)
        return None

sys.meta_path.insert(0, _Hide())
'''

OLD_PEFT = '''
import importlib.metadata as m

_version = m.version
m.version = lambda name: "0.13.2" if name == "peft" else _version(name)
'''


@pytest.mark.parametrize(
    "site, says",
    [
        (HIDE_ACCELERATE, "accelerate does not import (from_pretrained(device_map=...)"),
        (OLD_PEFT, "peft 0.13.2 is older than 0.14 (LoraConfig(exclude_modules=...))"),
    ],
    ids=["no-accelerate", "old-peft"],
)
def test_preflight_names_what_is_missing_before_building_anything(tmp_path, site, says):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(site)
    env = _env(tmp_path, **SMOKE)
    env["PYTHONPATH"] = str(tmp_path / "site")
    p = subprocess.run(["bash", SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2, p.stderr[-3000:]
    lines = p.stdout.strip().splitlines()
    assert len(lines) == 1, p.stdout
    out = json.loads(lines[0])
    assert out["ok"] is False and out["preflight"] is False and out["mode"] == "4bit"
    assert [m for m in out["missing"] if m.startswith(says)], out["missing"]
    assert says in out["error"]
    assert "gpu_check: preflight" in out["error"]
    # Nothing was built: no shape started, no scratch folder made.
    assert "gpu_check: 1b" not in p.stderr
    assert not [f for f in os.listdir(tmp_path) if f.startswith("gpu-check")], os.listdir(tmp_path)
