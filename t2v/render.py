"""Vectorised renderer: anti-aliased shapes on white from signed distances, a whole batch of clips at once."""

from __future__ import annotations

import numpy as np

from t2v.prompts import SHAPES

# Triangle: apex up at (0, -r), base corners (+-r, r); its area is half its bounding box.
SHAPE_AREA_FACTOR = {"circle": np.pi, "square": 4.0, "triangle": 2.0}  # area = factor * half_size**2
_INV_SQRT5 = np.float32(1.0 / np.sqrt(5.0))


def _coverage(shape: str, dx: np.ndarray, dy: np.ndarray, r: np.ndarray, out: np.ndarray) -> None:
    """Fill out with pixel coverage in [0, 1]: 0.5 - signed distance, clipped (a one-pixel anti-aliasing ramp).
    dx (c, T, 1, X) and dy (c, T, Y, 1) are offsets from the centre; r (c, T, 1, 1) the half-size."""
    if shape == "circle":
        np.add(dx * dx, dy * dy, out=out)
        np.sqrt(out, out=out)
    elif shape == "square":
        np.maximum(np.abs(dx), np.abs(dy), out=out)
    elif shape == "triangle":
        np.add((2 * _INV_SQRT5) * (np.abs(dx) - r), -_INV_SQRT5 * (dy - r), out=out)
        np.maximum(out, dy - r, out=out)
        out += r  # the subtraction below is shared with the other shapes
    else:
        raise ValueError(f"unknown shape {shape!r}")
    np.subtract(r + 0.5, out, out=out)
    np.clip(out, 0.0, 1.0, out=out)


def render_clips(
    shapes: np.ndarray, colours: np.ndarray, centres: np.ndarray, sizes: np.ndarray, size: int, chunk: int = 16,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Render clips: shapes (N,) indices into SHAPES, colours (N, 3) uint8, centres (N, T, 2) (x, y) px,
    sizes (N, T) half-size px -> uint8 (N, T, size, size, 3) RGB on white, written into `out` when given
    (a C-contiguous array or memory map of that shape)."""
    n, frames = sizes.shape
    if out is None:
        out = np.empty((n, frames, size, size, 3), dtype=np.uint8)
    result, out = out, out.reshape(n, frames, size, size * 3)
    pix = np.arange(size, dtype=np.float32) + 0.5  # pixel centres
    # Work in the interleaved (.., H, W*3) layout so every operation runs along a long last axis;
    # broadcasting into a trailing axis of 3 is an order of magnitude slower in numpy.
    pix_x = np.repeat(pix, 3)
    channel_ink = np.tile(colours.astype(np.float32) - 255.0, (1, size))  # (N, W*3)
    buf = np.empty((chunk, frames, size, size * 3), dtype=np.float32)
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        cover = buf[: hi - lo]
        dx = pix_x - centres[lo:hi, :, 0, None, None]
        dy = pix[:, None] - centres[lo:hi, :, 1, None, None]
        r = sizes[lo:hi, :, None, None]
        for index, shape in enumerate(SHAPES):
            rows = np.flatnonzero(shapes[lo:hi] == index)
            if rows.size == len(cover):
                _coverage(shape, dx, dy, r, cover)
            elif rows.size:
                part = np.empty((rows.size,) + cover.shape[1:], dtype=np.float32)
                _coverage(shape, dx[rows], dy[rows], r[rows], part)
                cover[rows] = part
        cover *= channel_ink[lo:hi, None, None, :]
        cover += 255.5  # + 0.5 rounds on the cast below
        out[lo:hi] = cover
    return result
