"""Judge a blob against the ideal render of each shape: re-render a circle, a square and a triangle at the
blob's own measured centre and area, and compare pixels. A blob is a crisp instance of a shape when its
coverage matches that shape's render best and closely (soft IoU), and its colour matches the named colour
pixel by pixel (a dark rim, a halo or a mottled fill show up as colour error even where the outline is
right)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from t2v.data.render import SHAPE_AREA_FACTOR, render_clips
from t2v.judge.tracks import Track, ink
from t2v.prompts import SHAPES

# Below this half-size (pixels) a circle, a square and a triangle of equal area differ in too few pixels to
# be told apart; such frames (the small end of a shrinking clip) are not judged for shape.
MIN_FIT_HALF_SIZE = 3.0
# The triangle is drawn about the centre of its bounding box, but its ink centroid lies a third of its
# half-size below that point (apex at -r, base at +r).
CENTROID_OFFSET = {"circle": 0.0, "square": 0.0, "triangle": 1.0 / 3.0}


@dataclass
class ShapeFit:
    """How a clip's blob matches the ideal renders (medians over the judged frames)."""

    iou: np.ndarray  # (len(SHAPES),) soft IoU of the blob's coverage with each shape's render
    colour_error: (
        float  # mean |pixel - ideal| over the blob and the best shape's render, over |colour - white|
    )
    frames: int  # frames judged

    @property
    def best(self) -> str:
        return SHAPES[int(np.argmax(self.iou))]


def fit_frames(track: Track) -> np.ndarray:
    """Indices of the frames fit for judging shape: one blob, clear of the frame edge, large enough."""
    usable = track.visible & ~track.touches_edge & (track.blobs == 1)
    radius = np.sqrt(np.where(usable, track.area, 0.0) / np.pi)
    large = usable & (radius >= MIN_FIT_HALF_SIZE)
    return np.flatnonzero(large)


def fit_shapes(clip: np.ndarray, track: Track, rgb: tuple[int, int, int]) -> ShapeFit | None:
    """clip: uint8 (T, H, W, 3); rgb: the named colour. None when no frame can be judged."""
    frames = fit_frames(track)
    if not frames.size:
        return None
    size, n = track.size, len(SHAPES)
    area, centre = track.area[frames], track.centre[frames]  # ink-weighted: rim pixels count as fractions
    half = np.sqrt(area[None, :] / np.array([SHAPE_AREA_FACTOR[s] for s in SHAPES])[:, None])  # (S, F)
    offset = np.array([CENTROID_OFFSET[s] for s in SHAPES])[:, None] * half
    centres = np.repeat(centre[None], n, axis=0)  # (S, F, 2)
    centres[..., 1] -= offset
    colours = np.repeat(np.array(rgb, dtype=np.uint8)[None], n, axis=0)
    ideal = render_clips(np.arange(n), colours, centres.astype(np.float32), half.astype(np.float32), size)
    white_distance = max(float(np.mean(255.0 - np.array(rgb, dtype=float))), 1.0)
    coverage_ideal = ink(ideal, full=1.0 - min(rgb) / 255.0)  # (S, F, H, W) in [0, 1]
    amount = ink(clip[frames])  # (F, H, W)
    # Coverage relative to the blob's own full ink, as the tracker measures area: any colour reads as 0..1.
    peak = amount.max(axis=(1, 2))
    coverage = np.clip(amount / np.maximum(peak, 1e-6)[:, None, None], 0.0, 1.0)
    overlap = np.minimum(coverage[None], coverage_ideal).sum(axis=(2, 3))
    union = np.maximum(coverage[None], coverage_ideal).sum(axis=(2, 3))
    iou = np.median(overlap / np.maximum(union, 1e-9), axis=1)  # (S,)
    best = int(np.argmax(iou))
    region = (coverage > 0.05) | (coverage_ideal[best] > 0.05)  # (F, H, W): the blob and the ideal shape
    # |pixel - ideal| summed over the channels in integers, then averaged in float32: np.mean's value (a sum
    # of whole numbers is exact in either) without its reduce over a last axis of 3
    difference = np.abs(clip[frames].astype(np.int16) - ideal[best])
    error = (difference[..., 0] + difference[..., 1] + difference[..., 2]).astype(np.float32) / 3
    per_frame = (error * region).sum(axis=(1, 2)) / np.maximum(region.sum(axis=(1, 2)), 1)
    return ShapeFit(iou, float(np.median(per_frame)) / white_distance, len(frames))
