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


def sample_training_scenes(cfg: DataConfig, rng: np.random.Generator) -> tuple[list[Scene], list[str]]:
    """Balanced over training pairs, random colour; the default colour is sometimes left unnamed and
    diagonals are sometimes written `moving diagonally X`, so every accepted phrasing is trained."""
    pairs = training_pairs(cfg)
    order = rng.permutation(np.arange(cfg.n_clips) % len(pairs))
    colours = rng.integers(0, len(COLOUR_NAMES), cfg.n_clips)
    omit_colour = rng.random(cfg.n_clips) < 0.5
    diagonally = rng.random(cfg.n_clips) < 0.5
    scenes, prompts = [], []
    for i, pair_index in enumerate(order):
        shape, motion = pairs[pair_index]
        name = COLOUR_NAMES[colours[i]]
        scene = Scene(shape, motion, None if name == DEFAULT_COLOUR and omit_colour[i] else name)
        scenes.append(scene)
        prompts.append(
            scene.prompt(diagonally=bool(diagonally[i]) and motion.removeprefix("moving ") in DIAGONALS)
        )
    return scenes, prompts
