"""One training step's inputs, gathered on the host and moved to the device together. Every shape in the step
is set here, from host data (which items come from two-object clips, which prompts name a second object), so
nothing on the device has to be read back to learn how much work there is."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
import torch

from t2v.model.layers import separate
from t2v.model.paths import clip_paths, solid_colour
from t2v.train.objects import Items

TARGET_BLOCK = 256  # real objects read at a time for their targets


def to_clips(frames: np.ndarray | torch.Tensor, device: torch.device | str | None = None) -> torch.Tensor:
    """uint8 (B, T, H, W, 3) -> float (B, 3, T, H, W) in [-1, 1], on device (a tensor's own where None)."""
    x = frames if isinstance(frames, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(frames))
    if device is not None:
        x = x.to(device)
    return x.permute(0, 4, 1, 2, 3).float().div_(127.5).sub_(1.0)


@dataclass
class StepInputs:
    clips: torch.Tensor  # (B, T, H, W, 3) uint8: the clips the items are objects of
    prompt: torch.Tensor  # (B, L) the clips' whole prompts: what the generator reads
    own: torch.Tensor  # (B, L) each object's own words: what it is judged against
    labels: torch.Tensor  # (B, 3) its shape, colour and motion
    wrong: torch.Tensor  # (B, L) words that do not fit it: the discriminator's mismatch negatives
    noise: torch.Tensor  # (B, noise_size) the generator's
    slots: torch.Tensor  # (B,) which object of its prompt each item is
    second: torch.Tensor  # (P,) the prompts that name a second object (Generator.second_rows)
    paired: torch.Tensor  # (Q,) the items whose clip holds two objects: theirs is separated out
    fills: torch.Tensor  # (Q, 2, 3) those items' fills, their own first
    path: torch.Tensor  # (B, T, 8) the real objects' ink paths (Targets)
    colour: torch.Tensor  # (B, 3) their solid colours (Targets)

    def to(self, device: torch.device) -> StepInputs:
        return StepInputs(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})

    def real(self) -> torch.Tensor:
        """The real objects as they show, alone on white: float (B, 3, T, H, W) in [-1, 1]."""
        return real_objects(self.clips, self.paired, self.fills)


def real_objects(clips: torch.Tensor, paired: torch.Tensor, fills: torch.Tensor) -> torch.Tensor:
    """uint8 clips (B, T, H, W, 3) -> their objects alone on white, float (B, 3, T, H, W) in [-1, 1]: the
    object of fill fills[:, 0] (Q, 2, 3) separated out of each two-object clip of paired (Q,)."""
    real = to_clips(clips)
    if len(paired):
        real[paired] = separate(real[paired], fills)
    return real


@dataclass
class Targets:
    """What the losses read of a real object that the object alone fixes, computed once for the training set
    (real_targets) instead of at every step, where they were a sixth of the generator half's clip-sized work:
    its ink path (clip_paths) and its solid colour (solid_colour). Each item's is the same to the bit
    whatever batch it is computed in."""

    path: torch.Tensor  # (M, T, 8)
    colour: torch.Tensor  # (M, 3)


@torch.no_grad()
def real_targets(items: Items, clips: np.ndarray) -> Targets:
    """Targets of every item of the dataset's clips (N, T, H, W, 3), on the host."""
    paths, colours = [], []
    for lo in range(0, len(items), TARGET_BLOCK):
        idx = torch.arange(lo, min(lo + TARGET_BLOCK, len(items)))
        paired = torch.nonzero(items.paired[idx]).squeeze(1)
        real = real_objects(_clips_of(items, clips, idx), paired, items.fills[idx[paired]])
        paths.append(clip_paths(real))
        colours.append(solid_colour(real))
    return Targets(torch.cat(paths), torch.cat(colours))


def _clips_of(items: Items, clips: np.ndarray, idx: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(clips[items.clip[idx].numpy()]))


def gather(
    items: Items,
    targets: Targets,
    clips: np.ndarray,
    idx: torch.Tensor,
    rng: torch.Generator,
    noise_size: int,
    second_rows: Callable[[torch.Tensor], torch.Tensor],
) -> StepInputs:
    """The inputs for items idx of the dataset's clips (N, T, H, W, 3): their words, their targets, wrong
    words (their own with the other object's motion where that differs, else the batch's words rolled by a
    random shift) and the generator's noise, both drawn from rng."""
    own, swapped = items.own[idx], items.swapped[idx]
    wrong = own.roll(int(torch.randint(1, max(2, len(own)), (1,), generator=rng)), dims=0)
    wrong = torch.where((swapped != own).any(dim=1, keepdim=True), swapped, wrong)
    prompt = items.ids[idx]
    paired = torch.nonzero(items.paired[idx]).squeeze(1)
    return StepInputs(
        clips=_clips_of(items, clips, idx),
        prompt=prompt,
        own=own,
        labels=items.labels[idx],
        wrong=wrong,
        noise=torch.randn(len(own), noise_size, generator=rng),
        slots=items.slot[idx],
        second=second_rows(prompt),
        paired=paired,
        fills=items.fills[idx[paired]],
        path=targets.path[idx],
        colour=targets.colour[idx],
    )
