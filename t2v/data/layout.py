"""Two objects in one frame: each keeps its own random path, and the two paths are moved apart, each only in a
way its motion allows (a translation sideways, an orbit turned about the frame centre), so that the objects
seldom overlap and each still does exactly what its words say."""

from __future__ import annotations

import numpy as np

from t2v.pair_bounds import LAYOUT_TRIES
from t2v.prompts import DIRECTIONS, MOTIONS


def shift_directions(motions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors (n, 2) along which a path of each motion (indices into MOTIONS) may move without changing
    what it is: across a translation's direction, across a bounce's or a zigzag's axis, any way for shrinking
    and expanding (drawn from rng), and none (zero) for an orbit, which keeps to the frame centre."""
    directions = np.zeros((len(motions), 2))
    angle = rng.uniform(0, 2 * np.pi, len(motions))
    for index, motion in enumerate(MOTIONS):
        rows = motions == index
        kind, _, arg = motion.partition(" ")
        if kind == "moving":
            dx, dy = DIRECTIONS[arg]
            directions[rows] = np.array([-dy, dx]) / np.hypot(dx, dy)
        elif kind in ("bouncing", "zigzagging"):
            directions[rows] = (1.0, 0.0) if arg == "vertically" else (0.0, 1.0)
        elif kind in ("shrinking", "expanding"):
            directions[rows] = np.stack([np.cos(angle[rows]), np.sin(angle[rows])], axis=1)
    return directions


def _candidate_paths(
    centres: np.ndarray, motions: np.ndarray, size: int, shift: float, rng: np.random.Generator
) -> np.ndarray:
    """LAYOUT_TRIES moves of each path (n, T, 2) px -> (n, R, T, 2), the first the path itself: shifted
    sideways by up to `shift` frame widths, or for an orbit turned about the frame centre by any angle (its
    start angle is uniform, so that keeps its distribution)."""
    n = len(motions)
    amount = rng.uniform(-shift * size, shift * size, (n, LAYOUT_TRIES))
    turn = rng.uniform(0, 2 * np.pi, (n, LAYOUT_TRIES))
    amount[:, 0] = turn[:, 0] = 0.0
    offsets = amount[..., None] * shift_directions(motions, rng)[:, None, :]  # (n, R, 2)
    paths = centres[:, None] + offsets[:, :, None, :]
    orbits = np.isin(motions, [i for i, m in enumerate(MOTIONS) if m.startswith("rotating")])
    cos, sin = np.cos(turn[orbits])[..., None], np.sin(turn[orbits])[..., None]  # (k, R, 1)
    rel = centres[orbits][:, None] - size / 2  # (k, 1, T, 2)
    paths[orbits] = size / 2 + np.stack(
        [cos * rel[..., 0] - sin * rel[..., 1], sin * rel[..., 0] + cos * rel[..., 1]], axis=-1
    )
    return paths


def place_apart(
    centres: tuple[np.ndarray, np.ndarray],
    sizes: tuple[np.ndarray, np.ndarray],
    motions: tuple[np.ndarray, np.ndarray],
    size: int,
    shift: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Move two objects' paths apart: centres (n, T, 2) px and half-sizes (n, T) px of each, motions (n,) ->
    (the moved centres of each, the frames (n,) in which they still overlap). Per clip, LAYOUT_TRIES moves
    (_candidate_paths) are drawn for each object; the first leaving the objects apart in every frame, both
    inside the frame, is kept, else the one with the fewest overlapping frames. Objects overlap where their
    centres are closer than the sum of their half-sizes."""
    n = len(motions[0])
    candidates = [_candidate_paths(c, m, size, shift, rng) for c, m in zip(centres, motions)]
    cost = np.zeros((n, LAYOUT_TRIES))
    for candidate, half in zip(candidates, sizes):
        reach = half[:, None, :, None]
        outside = ((candidate - reach < 0) | (candidate + reach > size)).any(axis=(2, 3))
        cost += outside * (len(half[0]) + 1)  # worse than overlapping in every frame
    apart = candidates[0] - candidates[1]
    # np.linalg.norm's own arithmetic (the root of the summed squares), without its generic reduce
    distance = np.sqrt(apart[..., 0] * apart[..., 0] + apart[..., 1] * apart[..., 1])
    gap = distance - (sizes[0] + sizes[1])[:, None, :]
    overlaps = (gap < 0).sum(axis=-1)
    best = np.argmin(cost + overlaps, axis=1)  # the first of the cheapest
    rows = np.arange(n)
    return (
        candidates[0][rows, best].astype(np.float32),
        candidates[1][rows, best].astype(np.float32),
        overlaps[rows, best],
    )
