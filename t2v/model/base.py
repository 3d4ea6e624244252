"""What the trainer and the sampler ask of a generator, whichever architecture it is: they never ask which."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Readouts:
    """A generator's read-outs of the words that are fitted to the real clips directly, not adversarially: for
    B prompts, the fill (B, 3) in [-1, 1], the sprite's alpha (B, 1, n, n) and the expected sign of each path
    statistic (B, STATISTICS). t2v.train.losses fits each to the real twin with the same words."""

    paint: torch.Tensor
    mask: torch.Tensor
    symmetry: torch.Tensor


class Generator(nn.Module):
    """Clips (B, 3, T, H, W) in [-1, 1] from prompts ids (B, L) and noise (B, noise_size)."""

    noise_size: int

    def forward(
        self, ids: torch.Tensor, noise: torch.Tensor, slots: torch.Tensor | None = None
    ) -> torch.Tensor:
        """With slots (B,) (0: the first object, 1: the second), each clip's one object as it shows."""
        raise NotImplementedError

    def fitted_parameters(self) -> list[nn.Parameter]:
        """Parameters fitted to the real clips, not adversarially: trained at a higher rate, as smooth
        fits."""
        return []

    def spread_parameters(self) -> list[nn.Parameter]:
        """Of those, the ones that take only the path terms' gradient, none of the discriminator's."""
        return []

    def readouts(self, ids: torch.Tensor) -> Readouts | None:
        """The fitted read-outs for prompts ids (B, L), or None where there are none."""
        return None
