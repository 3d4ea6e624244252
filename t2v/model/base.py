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
        self,
        ids: torch.Tensor,
        noise: torch.Tensor,
        slots: torch.Tensor | None = None,
        second: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """With slots (B,) (0: the first object, 1: the second), each clip's one object as it shows. second:
        second_rows(ids), found where ids are still on the host; found here when not given, which on a GPU
        waits for the device."""
        raise NotImplementedError

    def from_host(self, ids: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """The clips of prompts ids (B, L) and noise still on the host: second_rows is found there, then both
        go to the generator's device."""
        device = next(self.parameters()).device
        return self(ids.to(device), noise.to(device), second=self.second_rows(ids).to(device))

    def second_rows(self, ids: torch.Tensor) -> torch.Tensor:
        """(P,) the rows of ids (B, L) whose prompts name a second object. Its length sets the shapes of what
        the generator draws, so callers find it on the host (on a GPU, from ids there, it is a sync)."""
        return torch.zeros(0, dtype=torch.long, device=ids.device)

    def compile_for_training(self, mode: str | None) -> None:
        """torch.compile what a training step runs of this generator (train.compile), in place. Here the whole
        forward: its shapes are the batch's alone."""
        self.compile(mode=mode, dynamic=False)

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
