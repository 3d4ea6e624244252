"""Vectorised renderer: anti-aliased shapes on white from signed distances. Only a box around each shape
differs from white, so coverage is computed in that box for a whole batch of frames at once and pasted."""

from __future__ import annotations

import math

import numpy as np

from t2v.prompts import SHAPES

# Triangle: apex up at (0, -r), base corners (+-r, r); its area is half its bounding box.
SHAPE_AREA_FACTOR = {"circle": np.pi, "square": 4.0, "triangle": 2.0}  # area = factor * half_size**2
_INV_SQRT5 = np.float32(1.0 / np.sqrt(5.0))
# Ink reaches past the half-size r by the anti-aliasing ramp (0.5 px) and, at the triangle's apex, by its
# slanted edges' ramp (sqrt(5)/2 px): a box of side 2r + BOX_MARGIN around the centre holds every inked pixel.
BOX_MARGIN = 6


def _coverage(shape: str, dx: np.ndarray, dy: np.ndarray, r: np.ndarray, out: np.ndarray) -> None:
    """Fill out with pixel coverage in [0, 1]: 0.5 - signed distance, clipped (a one-pixel anti-aliasing
    ramp). dx (F, 1, X) and dy (F, Y, 1) are offsets of pixel centres from the shape's centre; r (F, 1, 1) its
    half-size."""
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
    shapes: np.ndarray,
    colours: np.ndarray,
    centres: np.ndarray,
    sizes: np.ndarray,
    size: int,
    out: np.ndarray | None = None,
    box: int | None = None,
    chunk: int = 512,
    over: bool = False,
) -> np.ndarray:
    """Render clips: shapes (N,) indices into SHAPES, colours (N, 3) uint8, centres (N, T, 2) (x, y) px,
    sizes (N, T) half-size px -> uint8 (N, T, size, size, 3) RGB on white, written into `out` when given;
    with `over`, drawn over what `out` already holds instead (a second object in front of a first).
    `box` overrides the side of the square rendered around each shape (the whole frame when `size`)."""
    n, frames = sizes.shape
    if out is None:
        out = np.empty((n, frames, size, size, 3), dtype=np.uint8)
    # interleaved RGB: every operation runs along a long last axis
    canvas = out.reshape(n * frames, size, size * 3)
    if not over:
        canvas[...] = 255
    if box is None:
        box = min(size, math.ceil(2 * float(sizes.max(initial=0.0))) + BOX_MARGIN)
    # Box corners (F, 2): x, y. Clamped inside the frame: the part of a shape outside it is not drawn anyway.
    corner = np.clip(np.floor(centres.reshape(-1, 2) - box / 2), 0, size - box).astype(np.intp)
    offset = np.arange(box, dtype=np.float32) + 0.5
    flat_centres, flat_sizes = centres.reshape(-1, 2), sizes.reshape(-1)
    ink = np.repeat(colours.astype(np.float32) - 255.0, frames, axis=0)  # (F, 3)
    frame_shapes = np.repeat(shapes, frames)
    for index, shape in enumerate(SHAPES):
        of_shape = np.flatnonzero(frame_shapes == index)
        for lo in range(0, of_shape.size, chunk):
            rows = of_shape[lo : lo + chunk]
            x0, y0 = corner[rows, 0], corner[rows, 1]
            # float32 throughout: the same arithmetic as a whole-frame render, so the same bytes
            dx = np.repeat(
                (x0[:, None].astype(np.float32) + offset) - flat_centres[rows, 0, None], 3, axis=1
            )[:, None, :]
            dy = ((y0[:, None].astype(np.float32) + offset) - flat_centres[rows, 1, None])[:, :, None]
            cover = np.empty((rows.size, box, 3 * box), dtype=np.float32)
            _coverage(shape, dx, dy, flat_sizes[rows, None, None], cover)
            if over:
                behind = np.stack(
                    [canvas[f, y : y + box, x : x + 3 * box] for f, x, y in zip(rows, 3 * x0, y0)]
                )
                behind = behind.astype(np.float32)
                cover *= np.tile(ink[rows] + 255.0, box)[:, None, :] - behind
                cover += behind + 0.5
            else:
                cover *= np.tile(ink[rows], box)[:, None, :]
                cover += 255.5  # + 0.5 rounds on the cast below
            pixels = cover.astype(np.uint8)
            for frame, x, y, patch in zip(rows.tolist(), (3 * x0).tolist(), y0.tolist(), pixels):
                canvas[frame, y : y + box, x : x + 3 * box] = patch
    return out
