"""What the learned judge should answer for a clip: its objects (shape, colour, motion of each, one or two)
as index arrays, taken from the labels of rendered clips or from a prompt's words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from t2v.classifier.network import N_COLOURS, N_MOTIONS, N_SHAPES
from t2v.data.dataset import Dataset
from t2v.data.scenes import COLOUR_NAMES
from t2v.prompts import DEFAULT_COLOUR, MOTIONS, SHAPES, Scene


@dataclass
class Objects:
    """Each clip's objects, index arrays (N, 2): column 0 the first named, column 1 the second, -1 where a
    clip has one."""

    shape: np.ndarray
    colour: np.ndarray
    motion: np.ndarray

    def __len__(self) -> int:
        return len(self.shape)

    def __getitem__(self, rows: slice | np.ndarray) -> Objects:
        return Objects(self.shape[rows], self.colour[rows], self.motion[rows])

    def concatenate(self, other: Objects) -> Objects:
        return Objects(
            *(np.concatenate([getattr(self, k), getattr(other, k)]) for k in ("shape", "colour", "motion"))
        )

    @property
    def two(self) -> np.ndarray:
        """(N,) bool: the clip holds two objects."""
        return self.shape[:, 1] >= 0

    def bits(self) -> torch.Tensor:
        """(N, shapes + colours + motions) float: 1 for every shape, colour and motion the clip holds."""
        parts = []
        for values, n in ((self.shape, N_SHAPES), (self.colour, N_COLOURS), (self.motion, N_MOTIONS)):
            hot = F.one_hot(torch.from_numpy(np.maximum(values, 0)), n).float()
            hot[:, 1] *= torch.from_numpy(values[:, 1:] >= 0).float()
            parts.append(hot.amax(1))
        return torch.cat(parts, 1)

    def swapped(self) -> Objects:
        """The same objects with their motions exchanged (the binding control)."""
        return Objects(self.shape, self.colour, self.motion[:, ::-1].copy())


def objects_of_dataset(data: Dataset) -> Objects:
    """The objects of rendered clips, from their labels."""
    second = data.second or {k: np.full(len(data.shape), -1) for k in ("shape", "colour", "motion")}
    return Objects(
        *(np.stack([getattr(data, k), second[k]], 1).astype(np.int64) for k in ("shape", "colour", "motion"))
    )


def objects_of_scenes(scenes: list[tuple[Scene, ...]]) -> Objects:
    """The objects that prompts (parsed, one or two scenes each) name; an unnamed colour is the default."""
    rows = [
        [
            (SHAPES.index(s.shape), COLOUR_NAMES.index(s.colour or DEFAULT_COLOUR), MOTIONS.index(s.motion))
            for s in p
        ]
        + [(-1, -1, -1)] * (2 - len(p))
        for p in scenes
    ]
    table = np.array(rows, dtype=np.int64)  # (N, 2, 3)
    return Objects(table[:, :, 0], table[:, :, 1], table[:, :, 2])
