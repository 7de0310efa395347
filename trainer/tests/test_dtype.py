"""The dtype predict and train run in: bf16 on a CUDA device that supports
it, fp32 otherwise (no GPU here: CUDA's answers are mocked)."""

import pytest
import torch

from distill_trainer import modeling
from distill_trainer.options import PredictOptions


@pytest.fixture
def cuda(monkeypatch):
    """Pretend a CUDA device is there; the test sets whether it does bf16."""

    def set_bf16(supported):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: supported)

    return set_bf16


def test_predict_defaults_to_auto():
    opts = PredictOptions(model="m")
    assert (opts.device, opts.dtype) == ("auto", "auto")


def test_auto_is_bf16_on_a_gpu_that_supports_it(cuda):
    cuda(True)
    device = modeling.resolve_device("auto")
    assert device == "cuda"
    assert modeling.resolve_dtype("auto", device) is torch.bfloat16


def test_auto_is_fp32_on_a_gpu_without_bf16(cuda):
    cuda(False)
    assert modeling.resolve_dtype("auto", modeling.resolve_device("auto")) is torch.float32


def test_auto_is_fp32_on_cpu(cuda, monkeypatch):
    cuda(True)  # a GPU is there, but the run was asked for the CPU
    assert modeling.resolve_dtype("auto", modeling.resolve_device("cpu")) is torch.float32
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert modeling.resolve_device("auto") == "cpu"
    assert modeling.resolve_dtype("auto", "cpu") is torch.float32


def test_an_explicit_dtype_wins(cuda):
    cuda(True)
    assert modeling.resolve_dtype("fp32", "cuda") is torch.float32
    assert modeling.resolve_dtype("bf16", "cpu") is torch.bfloat16


@pytest.fixture
def card(monkeypatch):
    """Pretend a CUDA card of a compute capability whose torch emulates bf16 before Ampere
    (is_bf16_supported() is True by default there: including_emulation=True)."""

    def set_card(major, keyword=True):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *a, **k: (major, 0))
        if keyword:

            def supported(including_emulation=True):
                return major >= 8 or including_emulation

        else:  # an older torch: no keyword, and no emulation to count

            def supported():
                return major >= 8

        monkeypatch.setattr(torch.cuda, "is_bf16_supported", supported)

    return set_card


@pytest.mark.parametrize("keyword", [True, False], ids=["torch-with-keyword", "torch-without"])
@pytest.mark.parametrize("major, want", [(7, torch.float32), (8, torch.bfloat16), (9, torch.bfloat16)])
def test_auto_is_bf16_only_from_ampere(card, major, want, keyword):
    """A T4 (sm_75) or V100 (sm_70) emulates bf16, slowly: auto is fp32 there."""
    card(major, keyword)
    assert modeling.resolve_dtype("auto", "cuda") is want
