"""Two-object clips judged from pixels: ground truth binds and fails the swapped control, clips whose motions
are swapped fail, and splitting a clip by colour gives back each object as rendered alone."""

import numpy as np
import pytest

from t2v.config import DataConfig
from t2v.data.synthesize import render, render_pairs
from t2v.judge.binding import judge_pair, swap_motions, unmix
from t2v.prompts import COLOURS, MOTIONS, SHAPES, Scene

SETTINGS = [(32, 12, 1), (64, 10, 2)]  # size, frames, every how many of the motion pairs


def _pairs(every: int) -> list[tuple[Scene, Scene]]:
    """Every ordered pair of different motions, shapes and colours cycling, the two colours always
    different."""
    colours = list(COLOURS)
    pairs = []
    for i, first in enumerate(MOTIONS):
        for j, second in enumerate(m for m in MOTIONS if m != first):
            k = i * len(MOTIONS) + j
            pairs.append(
                (
                    Scene(SHAPES[k % 3], first, colours[k % 4]),
                    Scene(SHAPES[(k // 3) % 3], second, colours[(k % 4 + 1 + j % 3) % 4]),
                )
            )
    return pairs[::every]


@pytest.mark.parametrize("size, frames, every", SETTINGS)
def test_ground_truth_binds_and_fails_the_swapped_control(size, frames, every):
    pairs = _pairs(every)
    clips, _, _ = render_pairs(pairs, DataConfig(size=size, frames=frames), np.random.default_rng(0))
    verdicts = [judge_pair(clip, pair) for clip, pair in zip(clips, pairs)]
    assert np.mean([v.bound for v in verdicts]) >= 0.99
    assert np.mean([v.bound_swapped for v in verdicts]) <= 0.05


@pytest.mark.parametrize("size, frames, every", SETTINGS)
def test_clips_with_the_motions_swapped_do_not_bind(size, frames, every):
    pairs = _pairs(every)
    swapped = [swap_motions(pair) for pair in pairs]
    clips, _, _ = render_pairs(swapped, DataConfig(size=size, frames=frames), np.random.default_rng(1))
    verdicts = [judge_pair(clip, pair) for clip, pair in zip(clips, pairs)]
    assert np.mean([v.bound for v in verdicts]) <= 0.05
    assert np.mean([v.bound_swapped for v in verdicts]) >= 0.99


def test_unmixing_gives_back_each_object_as_rendered_alone():
    cfg = DataConfig(size=32, frames=12)
    pairs = _pairs(4)
    clips, first, second = render_pairs(pairs, cfg, np.random.default_rng(2))
    alone = [render(first, cfg.size), render(second, cfg.size)]
    for clip, pair, a, b in zip(clips, pairs, *alone):
        parts = unmix(clip, (pair[0].rgb, pair[1].rgb))
        apart = (a.min(axis=-1) == 255) | (b.min(axis=-1) == 255)  # pixels where at most one object inks
        for part, truth in zip(parts, (a, b)):
            assert np.abs(part.astype(int) - truth)[apart].max() <= 2


def test_a_colour_the_other_object_lacks_stays_with_its_object():
    cfg = DataConfig(size=32, frames=12)
    red, blue = Scene("circle", "moving left", "red"), Scene("square", "moving up", "blue")
    clip = render_pairs([(red, blue)], cfg, np.random.default_rng(3))[0][0]
    red_part, blue_part = unmix(clip, (red.rgb, blue.rgb))
    # a clip judged against the colours the other way round finds neither object in its named colour
    verdict = judge_pair(clip, (Scene("circle", "moving left", "blue"), Scene("square", "moving up", "red")))
    assert not verdict.bound
    assert (red_part.min(axis=-1) < 128).any() and (blue_part.min(axis=-1) < 128).any()


def test_objects_of_one_colour_cannot_be_unmixed():
    with pytest.raises(ValueError, match="too alike"):
        unmix(np.full((2, 8, 8, 3), 255, np.uint8), (COLOURS["red"], COLOURS["red"]))
