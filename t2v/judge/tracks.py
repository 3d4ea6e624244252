"""Read a shape's track back from pixels alone: per frame, the blobs of ink on white, the main blob's centre,
size, solidity and colour."""

from __future__ import annotations

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


def ink(frames: np.ndarray) -> np.ndarray:
    """uint8 (..., 3) -> float (...) distance from white in [0, 1], whatever the colour."""
    # The darkest channel as two elementwise minima: numpy's reduce over a last axis of 3 is ~10x slower.
    darkest = np.minimum(np.minimum(frames[..., 0], frames[..., 1]), frames[..., 2])
    return 1.0 - darkest.astype(np.float32) / 255.0


def measure(clip: np.ndarray) -> Track:
    """clip: uint8 (T, H, W, 3) RGB."""
    t, h, w, _ = clip.shape
    amount = ink(clip)
    blobs, specks, area, solid = (np.zeros(t) for _ in range(4))
    touches = np.zeros(t, dtype=bool)
    centre, rgb = np.full((t, 2), np.nan), np.full((t, 3), np.nan)
    area[:] = solid[:] = np.nan
    ys, xs = np.indices((h, w))
    for f in range(t):
        mask = (amount[f] >= INK_THRESHOLD).astype(np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        sizes = stats[1:, cv2.CC_STAT_AREA]
        big = np.flatnonzero(sizes >= SPECK_AREA)
        blobs[f], specks[f] = big.size, sizes[sizes < SPECK_AREA].sum()
        if not big.size:
            continue
        main = 1 + big[np.argmax(sizes[big])]
        x, y, bw, bh, pixels = stats[main]
        blob = labels == main
        # Ink relative to the blob's own full ink, over the blob grown by a pixel, counts the whole
        # anti-aliased rim as fractions of a pixel: centre and area then track the shape smoothly, any colour.
        rim = cv2.dilate(blob.astype(np.uint8), _GROW).astype(bool)
        peak = amount[f][blob].max()
        weight = amount[f] * rim / peak
        total = weight.sum()
        area[f] = total
        centre[f] = ((weight * (xs + 0.5)).sum() / total, (weight * (ys + 0.5)).sum() / total)
        contours, _ = cv2.findContours(blob.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        filled = np.zeros_like(mask)
        cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
        solid[f] = pixels / max(1, int(filled.sum()))
        touches[f] = x == 0 or y == 0 or x + bw == w or y + bh == h
        core = blob & (amount[f] >= 0.75 * peak)
        rgb[f] = clip[f][core].mean(axis=0)
    return Track(blobs, specks, centre, area, solid, touches, rgb, w)
