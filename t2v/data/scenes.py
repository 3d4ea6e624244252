"""Which scenes the data holds: the training pairs (every shape and motion but the held-out pairs) and the
prompts drawn for the training set; for two-object clips, the share of them, the pairings held out (of
motions, and of colours that appear together) and the pairs drawn. Labels only, no pixels: cheap enough for
params validation to draw."""

from __future__ import annotations

import numpy as np

from t2v.config import DataConfig
from t2v.prompts import COLOURS, CONJUNCTION, DEFAULT_COLOUR, DIAGONALS, MOTIONS, SHAPES, Scene

COLOUR_NAMES = tuple(COLOURS)
PALETTE = np.array([COLOURS[c] for c in COLOUR_NAMES], dtype=np.uint8)  # RGB of each colour index


def heldout_pairs(cfg: DataConfig) -> set[tuple[str, str]]:
    return {(shape, motion) for shape, motion in cfg.heldout}


def training_pairs(cfg: DataConfig) -> list[tuple[str, str]]:
    held = heldout_pairs(cfg)
    return [(s, m) for s in SHAPES for m in MOTIONS if (s, m) not in held]


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


Pair = tuple[Scene, Scene]  # the first drawn in front


def n_pair_clips(cfg: DataConfig) -> int:
    return round(cfg.n_clips * cfg.pair_share)


def is_heldout_pairing(pair: Pair, cfg: DataConfig) -> bool:
    """Whether the pair's two motions, or its two colours, are a held-out pairing (in either order)."""
    held = {frozenset(p) for p in cfg.heldout_pairings}
    return (
        frozenset(s.motion for s in pair) in held
        or frozenset(s.colour or DEFAULT_COLOUR for s in pair) in held
    )


def sample_training_pair_scenes(
    cfg: DataConfig, rng: np.random.Generator, n: int
) -> tuple[list[Pair], list[str]]:
    """n two-object scenes: each object a training (shape, motion) pair drawn uniformly, the two in different
    colours, no held-out pairing; phrasings vary as for one object."""
    pairs = training_pairs(cfg)
    scenes: list[Pair] = []
    prompts: list[str] = []
    while len(scenes) < n:  # rejection: a held-out pairing is drawn again
        k = n - len(scenes)
        picks = rng.integers(0, len(pairs), (k, 2))
        colours = rng.permuted(np.tile(np.arange(len(COLOUR_NAMES)), (k, 1)), axis=1)[:, :2]
        omit = rng.random((k, 2)) < 0.5
        diagonally = rng.random((k, 2)) < 0.5
        for i in range(k):
            pair = tuple(
                named_scene(*pairs[picks[i, j]], COLOUR_NAMES[colours[i, j]], omit[i, j]) for j in (0, 1)
            )
            if not is_heldout_pairing(pair, cfg):
                scenes.append(pair)
                prompts.append(f" {CONJUNCTION} ".join(written(s, d) for s, d in zip(pair, diagonally[i])))
    return scenes, prompts
