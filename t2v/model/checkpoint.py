"""Checkpoints: a self-describing generator file (weights, model config, vocabulary) and a resumable
training state, both plain tensors and containers that load with torch.load(weights_only=True)."""

from __future__ import annotations

from pathlib import Path

import torch

from t2v.config import ModelConfig
from t2v.errors import T2VError
from t2v.model.build import build_generator
from t2v.torch_io import load

FORMAT = "t2v-generator-1"


def generator_payload(
    generator: torch.nn.Module, model: ModelConfig, vocab: list[str], frames: int, size: int
) -> dict:
    return {
        "format": FORMAT,
        "model": {**vars(model)},
        "frames": frames,
        "size": size,
        "vocab": list(vocab),
        "state_dict": {k: v.detach().cpu() for k, v in generator.state_dict().items()},
    }


def load_generator(path: str | Path) -> tuple[torch.nn.Module, list[str], dict]:
    """Return the generator in eval mode, its vocabulary, and the raw payload."""
    payload = load(path, "generator checkpoint", "run `dvc repro train-gan` (or `dvc pull`) first")
    if "fingerprint" in payload and "G" in payload:
        raise T2VError(
            f"{str(path)!r} is a training state, not a generator checkpoint: pass the generator the same run "
            "wrote (models/generator.pt by default)"
        )
    if payload.get("format") != FORMAT:
        raise T2VError(
            f"generator checkpoint {str(path)!r} has format {payload.get('format')!r}, expected {FORMAT!r}: "
            "run `dvc repro train-gan`"
        )
    try:
        model = ModelConfig(**payload["model"])
        generator = build_generator(model, payload["vocab"], payload["frames"], payload["size"])
        generator.load_state_dict(payload["state_dict"])
    except (KeyError, TypeError, RuntimeError) as err:
        first = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
        raise T2VError(
            f"generator checkpoint {str(path)!r} does not fit this version of t2v ({first}): it was made by "
            "another version or with other model params; retrain with `dvc repro train-gan`"
        ) from None
    return generator.eval(), payload["vocab"], payload
