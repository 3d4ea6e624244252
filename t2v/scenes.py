"""Which scenes the data holds: the training pairs (every shape and motion but the held-out pairs), the prompts
drawn for the training set, and the prompts the metrics judge. Labels only, no pixels: cheap enough for params
validation to draw."""

from __future__ import annotations

import numpy as np

from t2v.config import DataConfig
from t2v.prompts import COLOURS, DEFAULT_COLOUR, DIAGONALS, MOTIONS, SHAPES, Scene

COLOUR_NAMES = tuple(COLOURS)
PALETTE = np.array([COLOURS[c] for c in COLOUR_NAMES], dtype=np.uint8)  # RGB of each colour index


def heldout_pairs(cfg: DataConfig) -> set[tuple[str, str]]:
    return {(shape, motion) for shape, motion in cfg.heldout}


def training_pairs(cfg: DataConfig) -> list[tuple[str, str]]:
    held = heldout_pairs(cfg)
    return [(s, m) for s in SHAPES for m in MOTIONS if (s, m) not in held]


def eval_scenes(held: set[tuple[str, str]]) -> list[tuple[Scene, str]]:
    """Every prompt the metrics judge, with its split: each pair uncoloured and in every colour."""
    return [
        (Scene(shape, motion, colour), "heldout" if (shape, motion) in held else "seen")
        for shape in SHAPES
        for motion in MOTIONS
        for colour in (None, *COLOUR_NAMES)
    ]


def sample_training_scenes(
    cfg: DataConfig, rng: np.random.Generator, n: int | None = None
) -> tuple[list[Scene], list[str]]:
    """n one-object scenes (cfg.n_clips when None), balanced over training pairs, random colour; the default
    colour is sometimes left unnamed and diagonals are sometimes written `moving diagonally X`, so every
    accepted phrasing is trained."""
    n = cfg.n_clips if n is None else n
    pairs = training_pairs(cfg)
    order = rng.permutation(np.arange(n) % len(pairs))
    colours = rng.integers(0, len(COLOUR_NAMES), n)
    omit_colour = rng.random(n) < 0.5
    diagonally = rng.random(n) < 0.5
    scenes = [named_scene(*pairs[p], COLOUR_NAMES[c], o) for p, c, o in zip(order, colours, omit_colour)]
    return scenes, [written(scene, d) for scene, d in zip(scenes, diagonally)]


def named_scene(shape: str, motion: str, colour: str, omit_default: bool) -> Scene:
    """The scene of a shape in a colour, its colour left unnamed when it is the default and omit_default."""
    return Scene(shape, motion, None if colour == DEFAULT_COLOUR and omit_default else colour)


def written(scene: Scene, diagonally: bool) -> str:
    """The scene's prompt, a diagonal written `moving diagonally X` when asked."""
    return scene.prompt(diagonally=bool(diagonally) and scene.motion.removeprefix("moving ") in DIAGONALS)
