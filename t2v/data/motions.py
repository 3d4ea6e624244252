"""Ground-truth tracks: for each motion, the per-frame centre and half-size of the shape, drawn from params
ranges."""

from __future__ import annotations

import numpy as np

from t2v.config import DataConfig
from t2v.prompts import DIRECTIONS


def _uniform(rng: np.random.Generator, bounds: list[float], n: int) -> np.ndarray:
    return rng.uniform(bounds[0], bounds[1], n)


def _triangle_wave(t: np.ndarray, half_period: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """Zigzag in [-1, 1] that reverses every half_period frames."""
    u = (t / half_period + phase) % 2.0
    return np.where(u < 1.0, 2.0 * u - 1.0, 3.0 - 2.0 * u)


def sample_tracks(
    motion: str, n: int, cfg: DataConfig, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Return centres (n, T, 2) as (x, y) pixels and half-sizes (n, T) pixels for n clips of `motion`."""
    s, frames = float(cfg.size), cfg.frames
    t = np.arange(frames, dtype=np.float64)[None, :]
    radius = _uniform(rng, cfg.shape_size, n)[:, None] * s
    jitter = rng.uniform(-cfg.position_jitter, cfg.position_jitter, (n, 2)) * s
    middle = s / 2 + jitter
    sizes = np.repeat(radius, frames, axis=1)
    kind, _, arg = motion.partition(" ")

    if kind == "moving":
        dx, dy = DIRECTIONS[arg]
        unit = np.array([dx, dy], dtype=np.float64) / np.hypot(dx, dy)
        speed = _uniform(rng, cfg.speed, n)[:, None] * s
        offset = (t - (frames - 1) / 2) * speed  # the path is centred so the shape crosses the frame
        centres = middle[:, None, :] + offset[..., None] * unit
    elif kind == "rotating":
        orbit = _uniform(rng, cfg.orbit_radius, n)[:, None] * s
        sweep = np.deg2rad(_uniform(rng, cfg.orbit_sweep, n))[:, None]
        start = rng.uniform(0, 2 * np.pi, n)[:, None]
        # y points down, so a growing angle turns clockwise on screen
        sense = 1.0 if arg == "clockwise" else -1.0
        angle = start + sense * sweep * t / (frames - 1)
        centres = s / 2 + orbit[..., None] * np.stack([np.cos(angle), np.sin(angle)], axis=-1)
    elif kind in ("shrinking", "expanding"):
        big = np.maximum(radius, cfg.shape_size[1] * s * 0.9)
        ratio = _uniform(rng, cfg.scale_ratio, n)[:, None]
        frac = t / (frames - 1)
        grow = frac if kind == "expanding" else 1.0 - frac
        sizes = big * (ratio + (1.0 - ratio) * grow)
        centres = np.repeat(middle[:, None, :], frames, axis=1)
    elif kind == "bouncing":
        axis = 1 if arg == "vertically" else 0
        speed = _uniform(rng, cfg.bounce_speed, n)[:, None] * s
        hit = rng.integers(3, frames - 3, n)[:, None].astype(np.float64) + rng.uniform(-0.4, 0.4, (n, 1))
        far_wall = rng.random((n, 1)) < 0.5
        wall = np.where(far_wall, s - radius, radius)  # centre coordinate at contact with the edge
        reach = np.maximum(hit, frames - 1 - hit)
        speed = np.minimum(speed, (s - 2 * radius) / reach)  # never pass through the opposite wall
        along = wall - np.where(far_wall, 1.0, -1.0) * speed * np.abs(t - hit)
        centres = np.repeat(middle[:, None, :], frames, axis=1)
        centres[..., axis] = along
    elif kind == "zigzagging":
        axis = 1 if arg == "vertically" else 0
        speed = _uniform(rng, cfg.speed, n)[:, None] * s * rng.choice([-1.0, 1.0], (n, 1))
        amplitude = _uniform(rng, cfg.zigzag_amplitude, n)[:, None] * s
        half_period = _uniform(rng, cfg.zigzag_half_period, n)[:, None]
        phase = rng.uniform(0, 2, (n, 1))
        centres = np.repeat(middle[:, None, :], frames, axis=1)
        centres[..., axis] += (t - (frames - 1) / 2) * speed
        centres[..., 1 - axis] += amplitude * _triangle_wave(t, half_period, phase)
    else:
        raise ValueError(f"no track for motion {motion!r}")
    return centres.astype(np.float32), sizes.astype(np.float32)
