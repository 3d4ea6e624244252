"""Which two-object scenes the data holds: the share of training clips with two objects, the pairings held out
of them (of motions, and of colours that appear together), the training pairs drawn, and the pairs the binding
metric judges. Labels only, no pixels."""

from __future__ import annotations

import numpy as np

from t2v.config import DataConfig
from t2v.prompts import CONJUNCTION, DEFAULT_COLOUR, MOTIONS, SHAPES, Scene
from t2v.scenes import COLOUR_NAMES, heldout_pairs, named_scene, training_pairs, written

Pair = tuple[Scene, Scene]  # the first drawn in front


def n_pair_clips(cfg: DataConfig) -> int:
    return round(cfg.n_clips * cfg.pair_share)


def is_heldout_pairing(pair: Pair, cfg: DataConfig) -> bool:
    """Whether the pair's two motions, or its two colours, are a held-out pairing (in either order)."""
    motions = {frozenset(p) for p in cfg.heldout_motion_pairings}
    colours = {frozenset(p) for p in cfg.heldout_colour_pairings}
    return (
        frozenset(s.motion for s in pair) in motions
        or frozenset(s.colour or DEFAULT_COLOUR for s in pair) in colours
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


def eval_pairs(cfg: DataConfig) -> list[tuple[Pair, str]]:
    """The two-object prompts the binding metric judges, with their split: every motion once in front of a
    different motion, and every held-out pairing of motions (both orders) and of colours (three motion pairs
    each). Each object is a seen (shape, motion) pair, shapes and the allowed colour pairings taken in turn."""
    held_colours = {frozenset(p) for p in cfg.heldout_colour_pairings}
    allowed = [
        (a, b)
        for i, a in enumerate(COLOUR_NAMES)
        for b in COLOUR_NAMES[i + 1 :]
        if {a, b} not in held_colours
    ]
    held = heldout_pairs(cfg)
    counter = iter(range(10**6))

    def obj(motion: str, colour: str) -> Scene:
        turn = next(counter)
        shapes = [SHAPES[(turn + j) % len(SHAPES)] for j in range(len(SHAPES))]
        return Scene(next(s for s in shapes if (s, motion) not in held), motion, colour)

    def pair(motions: tuple[str, str], colours: tuple[str, str]) -> Pair:
        return obj(motions[0], colours[0]), obj(motions[1], colours[1])

    out = []
    for i, motion in enumerate(MOTIONS):
        other = MOTIONS[(i + 7) % len(MOTIONS)]
        candidate = pair((motion, other), allowed[i % len(allowed)])
        if not is_heldout_pairing(candidate, cfg):
            out.append((candidate, "seen"))
    for i, (a, b) in enumerate(cfg.heldout_motion_pairings):
        for order in ((a, b), (b, a)):
            out.append((pair(order, allowed[i % len(allowed)]), "heldout"))
    for i, colours in enumerate(cfg.heldout_colour_pairings):
        for j in range(3):
            out.append(
                (
                    pair(
                        (
                            MOTIONS[(3 * i + 5 * j) % len(MOTIONS)],
                            MOTIONS[(3 * i + 5 * j + 4) % len(MOTIONS)],
                        ),
                        tuple(colours),
                    ),
                    "heldout",
                )
            )
    return out
