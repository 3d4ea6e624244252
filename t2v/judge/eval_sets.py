"""What sample-video judges: every one-object prompt with its split, and the two-object prompts the binding
metric scores. Changing these reruns the evaluation only, never the data or the training."""

from __future__ import annotations

from t2v.config import DataConfig
from t2v.data.scenes import COLOUR_NAMES, Pair, heldout_pairs, is_heldout_pairing
from t2v.prompts import MOTIONS, SHAPES, Scene


def eval_scenes(held: set[tuple[str, str]]) -> list[tuple[Scene, str]]:
    """Every prompt the metrics judge, with its split: each pair uncoloured and in every colour."""
    return [
        (Scene(shape, motion, colour), "heldout" if (shape, motion) in held else "seen")
        for shape in SHAPES
        for motion in MOTIONS
        for colour in (None, *COLOUR_NAMES)
    ]


def eval_pairs(cfg: DataConfig) -> list[tuple[Pair, str]]:
    """The two-object prompts the binding metric judges, with their split: every motion once in front of a
    different motion, and every held-out pairing of motions (both orders) and of colours (three motion
    pairs each). Each object is a seen (shape, motion) pair, shapes and the allowed colour pairings taken
    in turn."""
    held_colours = {frozenset(p) for p in cfg.heldout_pairings if set(p) <= set(COLOUR_NAMES)}
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
    motion_pairings = [p for p in cfg.heldout_pairings if set(p) <= set(MOTIONS)]
    for i, (a, b) in enumerate(motion_pairings):
        for order in ((a, b), (b, a)):
            out.append((pair(order, allowed[i % len(allowed)]), "heldout"))
    for i, colours in enumerate(p for p in cfg.heldout_pairings if set(p) <= set(COLOUR_NAMES)):
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
