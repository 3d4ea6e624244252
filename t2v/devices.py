"""Resolve the `device` param: auto picks cuda, then mps, then cpu; an unavailable device fails with one
line."""

from __future__ import annotations

import re

import torch

from t2v.errors import T2VError

_DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


def check_device_name(name: str, key: str = "params: device") -> None:
    if not _DEVICE_PATTERN.match(name):
        raise T2VError(f"{key} = {name!r} is invalid: allowed: auto, cpu, cuda, cuda:N, mps")


def resolve_device(name: str, key: str = "params: device") -> torch.device:
    """The torch device that name (the value of key) asks for."""
    check_device_name(name, key)
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise T2VError(
                f"device {name!r} requested but CUDA is not available here: use device: auto or cpu"
            )
        index = int(name.split(":")[1]) if ":" in name else 0
        if index >= torch.cuda.device_count():
            raise T2VError(
                f"device {name!r} requested but only {torch.cuda.device_count()} CUDA device(s) exist"
            )
    if name == "mps" and not torch.backends.mps.is_available():
        raise T2VError("device 'mps' requested but MPS is not available here: use device: auto or cpu")
    return torch.device(name)
