"""The networks by architecture name (`model.arch`)."""

from __future__ import annotations

from torch import nn

from t2v.config import ModelConfig
from t2v.model.discriminator import VideoDiscriminator
from t2v.model.generator import LayeredGenerator
from t2v.model.seed import SeedDiscriminator, SeedGenerator

GENERATORS = {"layered": LayeredGenerator, "seed": SeedGenerator}
DISCRIMINATORS = {"layered": VideoDiscriminator, "seed": SeedDiscriminator}


def build_generator(cfg: ModelConfig, vocab: list[str], frames: int, size: int) -> nn.Module:
    return GENERATORS[cfg.arch](cfg, vocab, frames, size)


def build_discriminator(cfg: ModelConfig, vocab: list[str], frames: int, size: int) -> nn.Module:
    return DISCRIMINATORS[cfg.arch](cfg, vocab, frames, size)
