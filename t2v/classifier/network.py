"""The learned judge's network: a small factorised 3D CNN that reads a clip and answers, for the clip, how
many objects, which shapes, colours and motions it holds; for one named object (its colour and shape), which
motion, or that no such object is there; and for an object named by its colour alone, which shape."""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from t2v.data.scenes import COLOUR_NAMES
from t2v.prompts import MOTIONS, SHAPES

N_SHAPES, N_COLOURS, N_MOTIONS = len(SHAPES), len(COLOUR_NAMES), len(MOTIONS)
ABSENT = N_MOTIONS  # the motion head's answer where the named object is not in the clip
# The first layer cuts every frame into GRID x GRID patches (8 px at 64 px). The convolutions over this grid
# bound the judge's training time; wide patch features (judge.width) keep the shape detail a finer grid sees.
GRID = 8
FEATURES = 64  # width of the penultimate features (the Fréchet distance's space)
# The clip head's outputs: two logits for one or two objects, then one sigmoid each for every shape, colour
# and motion present.
SHAPE_BITS = slice(2, 2 + N_SHAPES)
COLOUR_BITS = slice(SHAPE_BITS.stop, SHAPE_BITS.stop + N_COLOURS)
MOTION_BITS = slice(COLOUR_BITS.stop, COLOUR_BITS.stop + N_MOTIONS)


def _coordinates(grid: int) -> torch.Tensor:
    """(1, 2, grid, grid) x and y in [-1, 1]: motion is change of place, so the layers see where they are."""
    axis = torch.linspace(-1, 1, grid)
    return torch.stack(torch.meshgrid(axis, axis, indexing="xy"))[None]


class SpaceTime(nn.Module):
    """A 3x3 convolution in space (stride 2), then one of 3 frames in time (stride `time_stride`), each
    batch-normalised: (B*T, C, H, W) -> (B*T', C', H/2, W/2). Factorised, as 2D convolutions run several
    times faster than 3D ones on a CPU."""

    def __init__(self, inputs: int, outputs: int, time_stride: int = 1):
        super().__init__()
        self.space = nn.Sequential(
            nn.Conv2d(inputs, outputs, 3, 2, 1, bias=False), nn.BatchNorm2d(outputs), nn.ReLU()
        )
        self.time = nn.Sequential(
            nn.Conv2d(outputs, outputs, (3, 1), (time_stride, 1), (1, 0), bias=False),
            nn.BatchNorm2d(outputs),
            nn.ReLU(),
        )

    def forward(self, x: torch.Tensor, clips: int) -> torch.Tensor:
        """x and the result in channels_last memory order, where these convolutions run about 3x faster on a
        CPU than in the default order (their backward most); every reshape below is then a view."""
        x = self.space(x)
        bt, c, h, w = x.shape
        x = x.permute(0, 2, 3, 1).reshape(clips, bt // clips, h * w, c).permute(0, 3, 1, 2)  # (B, C, T, HW)
        x = self.time(x)
        return x.permute(0, 2, 3, 1).reshape(-1, h, w, c).permute(0, 3, 1, 2)


class Answers(NamedTuple):
    features: torch.Tensor  # (B, FEATURES): the clip's penultimate features
    clip: torch.Tensor  # (B, MOTION_BITS.stop) logits: 2 for the number of objects, then one per bit
    motion: torch.Tensor | None  # (B, N_MOTIONS + 1) logits of the named object's motion, the last ABSENT
    shape: torch.Tensor | None  # (B, N_SHAPES) logits of the shape of the object named by its colour


class VideoJudge(nn.Module):
    """clips: uint8 (B, T, size, size, 3) RGB -> `encode` -> the clip's patches, which `answer` reads into the
    clip's features and answers, and `follow` into a named object's (its shape index, -1 for its colour alone,
    and its colour index)."""

    def __init__(self, size: int, frames: int, width: int):
        super().__init__()
        self.size, self.frames, self.width = size, frames, width
        self.patch = nn.Linear(3 * (size // GRID) ** 2, width)
        # The named object scales and shifts the patch features, so the layers above follow it alone.
        self.film = nn.Linear(N_SHAPES + N_COLOURS, 2 * (width + 2), bias=False)
        self.layer1 = SpaceTime(width + 2, width)
        self.layer2 = SpaceTime(width + 2, 2 * width, time_stride=2)
        out_frames = math.ceil(frames / 2)
        self.features = nn.Linear(2 * width * (GRID // 4) ** 2 * out_frames, FEATURES)
        self.clip_head = nn.Linear(FEATURES, MOTION_BITS.stop)
        self.motion_head = nn.Linear(FEATURES, N_MOTIONS + 1)
        self.shape_head = nn.Linear(FEATURES, N_SHAPES)
        self.register_buffer("xy_grid", _coordinates(GRID), persistent=False)
        self.register_buffer("xy_half", _coordinates(GRID // 2), persistent=False)

    def config(self) -> dict:
        return {"size": self.size, "frames": self.frames, "width": self.width}

    def _with_place(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, C, H, W), channels_last -> (N, C + 2, H, W), channels_last: x and each patch's x and y."""
        xy = self.xy_grid if x.shape[-1] == GRID else self.xy_half
        nhwc = torch.cat([x.permute(0, 2, 3, 1), xy.permute(0, 2, 3, 1).expand(len(x), -1, -1, -1)], 3)
        return nhwc.permute(0, 3, 1, 2)

    def encode(self, clips: torch.Tensor) -> torch.Tensor:
        """uint8 clips (B, T, H, W, 3) -> patch features and their place (B*T, width + 2, GRID, GRID),
        channels_last."""
        b, t, size = clips.shape[:3]
        p = size // GRID
        # Every frame cut into GRID x GRID patches of p x p pixels, still in bytes (the cheap copy); then one
        # matrix product, with 1 - x/255 (white reads 0) folded into its weights.
        patches = clips.reshape(b * t, GRID, p, GRID, p, 3).transpose(2, 3).reshape(b * t, GRID, GRID, -1)
        weight = self.patch.weight
        x = F.relu(F.linear(patches.float(), weight / -255, self.patch.bias + weight.sum(1)))
        return self._with_place(x.permute(0, 3, 1, 2))

    def _top(self, x: torch.Tensor, clips: int) -> torch.Tensor:
        x = self.layer2(self._with_place(self.layer1(x, clips)), clips)
        return F.relu(self.features(x.reshape(clips, -1)))

    def _named(self, x: torch.Tensor, shape: torch.Tensor, colour: torch.Tensor) -> torch.Tensor:
        """Encoded clips scaled and shifted by the named object's shape (-1: none) and colour."""
        shape_named = F.one_hot(shape.clamp(min=0), N_SHAPES) * (shape >= 0)[:, None]
        named = torch.cat([shape_named, F.one_hot(colour, N_COLOURS)], 1).float()
        frames = len(x) // len(shape)
        scale, shift = self.film(named).repeat_interleave(frames, 0)[:, :, None, None].chunk(2, 1)
        return x * (1 + scale) + shift

    def forward(self, clips: torch.Tensor, shape: torch.Tensor, colour: torch.Tensor) -> Answers:
        """Training's pass: the clip's answers and those of one named object per clip, in one batch, so batch
        norm sees in training the mix it sees in use."""
        b = len(clips)
        x = self.encode(clips)
        both = self._top(torch.cat([x, self._named(x, shape, colour)]), 2 * b)
        features, followed = both[:b], both[b:]
        return Answers(
            features, self.clip_head(features), self.motion_head(followed), self.shape_head(followed)
        )

    def answer(self, encoded: torch.Tensor) -> Answers:
        """The clip's features and answers alone (in eval mode), from `encode`."""
        features = self._top(encoded, len(encoded) // self.frames)
        return Answers(features, self.clip_head(features), None, None)

    def follow(
        self, encoded: torch.Tensor, shape: torch.Tensor, colour: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The named object's answers alone (in eval mode), from `encode`: motion logits (B, N_MOTIONS + 1),
        shape logits (B, N_SHAPES)."""
        followed = self._top(self._named(encoded, shape, colour), len(shape))
        return self.motion_head(followed), self.shape_head(followed)
