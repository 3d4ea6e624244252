"""Judge two-object clips from pixels: split each clip into one clip per object by the objects' named colours,
judge each against its own half of the prompt (t2v.judge.metrics.judge), and count a clip as bound when both
objects are right. The swapped control judges the same clips against the prompt with the two motions
exchanged: a model that binds each motion to its object scores near 0 there, one that ignores which gets which
scores the same."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from t2v.judge.metrics import Verdict, judge
from t2v.judge.tracks import Track, measure
from t2v.prompts import Scene


def unmix(
    clip: np.ndarray, rgbs: tuple[tuple[int, int, int], tuple[int, int, int]]
) -> tuple[np.ndarray, ...]:
    """Split a clip of two flat-coloured objects on white into one clip per object: uint8 (T, H, W, 3) and the
    two colours -> two uint8 clips, each one object's coverage in its colour on white. Every pixel is read as
    white plus non-negative coverages of the two colours (least squares), which is exact for anti-aliased
    edges against white and for the edge where one object covers the other."""
    inks = 255.0 - np.array(rgbs, dtype=np.float64)  # (2, 3): each colour's distance from white
    gram = inks @ inks.T
    if abs(np.linalg.det(gram)) < 1e-6 * np.trace(gram) ** 2:
        raise ValueError(f"colours {rgbs} are too alike to tell two objects apart")
    amount = 255.0 - clip.astype(np.float64)  # (T, H, W, 3)
    projected = amount @ inks.T  # (T, H, W, 2)
    cover = projected @ np.linalg.inv(gram)  # unconstrained least squares
    for k in (0, 1):  # where one coverage would be negative, that object is absent: fit the other alone
        alone = np.clip(projected[..., 1 - k] / gram[1 - k, 1 - k], 0.0, None)
        negative = cover[..., k] < 0
        cover[..., k][negative] = 0.0
        cover[..., 1 - k][negative] = alone[negative]
    cover = np.clip(cover, 0.0, 1.0)
    return tuple(
        np.clip(np.rint(255.0 - cover[..., k, None] * inks[k]), 0, 255).astype(np.uint8) for k in (0, 1)
    )


@dataclass
class PairVerdict:
    objects: tuple[Verdict, Verdict]  # each object against its own half of the prompt
    swapped: tuple[Verdict, Verdict]  # each object against the other half's motion
    tracks: tuple[Track, Track]  # each object's track, from its own unmixed clip

    @property
    def bound(self) -> bool:
        return all(right(v) for v in self.objects)

    @property
    def bound_swapped(self) -> bool:
        return all(right(v) for v in self.swapped)


def right(verdict: Verdict) -> bool:
    return verdict.motion and verdict.shape_ok and verdict.colour_ok


def swap_motions(scenes: tuple[Scene, Scene]) -> tuple[Scene, Scene]:
    first, second = scenes
    return replace(first, motion=second.motion), replace(second, motion=first.motion)


def judge_pair(clip: np.ndarray, scenes: tuple[Scene, Scene]) -> PairVerdict:
    """clip: uint8 (T, H, W, 3) of the two objects `scenes` names, which differ in colour."""
    parts = unmix(clip, (scenes[0].rgb, scenes[1].rgb))
    tracks = [measure(part) for part in parts]
    return PairVerdict(
        tuple(judge(p, s, t) for p, s, t in zip(parts, scenes, tracks)),
        tuple(judge(p, s, t) for p, s, t in zip(parts, swap_motions(scenes), tracks)),
        tuple(tracks),
    )
