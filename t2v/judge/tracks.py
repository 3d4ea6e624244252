"""Read a shape's track back from pixels alone: per frame, the blobs of ink on white, the main blob's centre,
size, solidity and colour."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from t2v.data.render import SHAPE_AREA_FACTOR

# A pixel is part of a shape when it is at least this far from white (half coverage ~0.45).
INK_THRESHOLD = 0.35
SPECK_AREA = 3  # components smaller than this are specks, not blobs
_GROW = np.ones((3, 3), np.uint8)


@dataclass
class Track:
    """Per-frame measurements of one clip (T frames); NaN where a frame has no blob."""

    blobs: np.ndarray  # (T,) number of components of at least SPECK_AREA pixels
    speck_pixels: np.ndarray  # (T,) pixels in smaller components
    centre: np.ndarray  # (T, 2) ink-weighted centre (x, y), pixels
    area: np.ndarray  # (T,) main blob's ink-weighted area, pixels
    solid: np.ndarray  # (T,) main blob's pixel count / its hole-filled pixel count
    touches_edge: np.ndarray  # (T,) bool: the main blob's bounding box meets the frame border
    rgb: np.ndarray  # (T, 3) mean colour of the main blob's core pixels
    size: int  # frame width in pixels

    @property
    def visible(self) -> np.ndarray:
        return self.blobs > 0

    def half_size(self, shape: str) -> np.ndarray:
        return np.sqrt(self.area / SHAPE_AREA_FACTOR[shape])


# Each uint8 level's ink, by the float32 arithmetic an array of it would take: a look-up reads it per pixel
# in one pass where the arithmetic takes four.
_INK_OF_LEVEL = 1.0 - np.arange(256, dtype=np.uint8).astype(np.float32) / 255.0


def ink(frames: np.ndarray, full: float = 1.0) -> np.ndarray:
    """uint8 (..., 3) -> float32 (...) distance from white in [0, 1], whatever the colour; divided by `full`,
    the ink of a solid colour, it reads as coverage."""
    # The darkest channel as two elementwise minima: numpy's reduce over a last axis of 3 is ~10x slower.
    darkest = np.minimum(np.minimum(frames[..., 0], frames[..., 1]), frames[..., 2])
    return (_INK_OF_LEVEL / full)[darkest]


@functools.lru_cache(maxsize=8)
def _pixel_centres(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel's centre, x and y (H, W) in pixels: built once per frame size, read-only as it is shared."""
    ys, xs = np.indices((h, w))
    centres = xs + 0.5, ys + 0.5
    for axis in centres:
        axis.setflags(write=False)
    return centres


def measure(clip: np.ndarray) -> Track:
    """clip: uint8 (T, H, W, 3) RGB."""
    # Every judge reads every frame through here, so the per-frame work stays in OpenCV and whole-array numpy:
    # masks are uint8 views of bool arrays, counts come from OpenCV, and the component table is read as Python
    # ints. The arithmetic on the ink (weights, sums, the colour's mean) is numpy's, in numpy's order.
    t, h, w, _ = clip.shape
    amount = ink(clip)
    masks = (amount >= INK_THRESHOLD).view(np.uint8)
    blobs, specks, area, solid = (np.zeros(t) for _ in range(4))
    touches = np.zeros(t, dtype=bool)
    centre, rgb = np.full((t, 2), np.nan), np.full((t, 3), np.nan)
    area[:] = solid[:] = np.nan
    xs, ys = _pixel_centres(h, w)
    filled = np.empty((h, w), np.uint8)
    for f in range(t):
        _, labels, stats, _ = cv2.connectedComponentsWithStats(masks[f], connectivity=8)
        sizes = stats[1:, cv2.CC_STAT_AREA].tolist()
        big = [size for size in sizes if size >= SPECK_AREA]
        blobs[f], specks[f] = len(big), sum(size for size in sizes if size < SPECK_AREA)
        if not big:
            continue
        main = 1 + sizes.index(max(big))  # the first of the largest, as argmax picks
        x, y, bw, bh, pixels = stats[main].tolist()
        blob = labels == main
        # Ink relative to the blob's own full ink, over the blob grown by a pixel, counts the whole
        # anti-aliased rim as fractions of a pixel: centre and area then track the shape smoothly, any colour.
        rim = cv2.dilate(blob.view(np.uint8), _GROW).view(bool)
        peak = amount[f][blob].max()
        weight = amount[f] * rim / peak
        total = weight.sum()
        area[f] = total
        centre[f] = ((weight * xs).sum() / total, (weight * ys).sum() / total)
        contours, _ = cv2.findContours(blob.view(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        filled.fill(0)
        cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
        solid[f] = pixels / max(1, cv2.countNonZero(filled))
        touches[f] = x == 0 or y == 0 or x + bw == w or y + bh == h
        core = clip[f][blob & (amount[f] >= 0.75 * peak)]
        # a sum of uint8 values is exact in float64, so this is np.mean's value, without its overhead
        rgb[f] = np.add.reduce(core, axis=0, dtype=np.float64) / len(core)
    return Track(blobs, specks, centre, area, solid, touches, rgb, w)
