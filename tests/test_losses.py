"""The generator's data-matching terms measured on ground truth: zero or near it where the fakes are real clips
of the same prompt, clearly positive where the motion or the colour is wrong."""

from __future__ import annotations

import numpy as np
import torch

from t2v.config import DataConfig
from t2v.losses import colour_loss, moment_loss, variety_loss
from t2v.make_dataset import render_scenes
from t2v.models import solid_colour
from t2v.prompts import COLOURS, Scene
from t2v.train import to_clips

CFG = DataConfig(frames=10, size=32)
GROUP = 4


def clips_of(prompt_scenes: list[Scene], seed: int) -> torch.Tensor:
    scenes = [s for s in prompt_scenes for _ in range(GROUP)]
    return to_clips(render_scenes(scenes, CFG, np.random.default_rng(seed)).clips, torch.device("cpu"))


MOTIONS = ["rotating clockwise", "zigzagging vertically", "bouncing horizontally", "moving up"]


def test_moment_loss_is_small_for_real_clips_and_large_for_a_wrong_motion():
    asked = [Scene("circle", m) for m in MOTIONS]
    real = clips_of(asked, seed=0)
    other_real = clips_of(asked, seed=1)
    wrong = clips_of(
        [Scene("circle", m) for m in [*MOTIONS[1:], MOTIONS[0]]], seed=1
    )  # each group mislabelled
    fair, unfair = moment_loss(other_real, real, GROUP).item(), moment_loss(wrong, real, GROUP).item()
    assert abs(fair) < 0.05 * unfair, (fair, unfair)


def test_moment_loss_does_not_penalise_variety():
    # The same mean, more spread: a generator is not pushed to collapse a prompt's clips onto one path.
    real = clips_of([Scene("circle", "moving up")], seed=0)
    collapsed = real[:1].expand_as(real)
    assert moment_loss(real, real, GROUP).item() < moment_loss(collapsed, real, GROUP).item() + 1e-3


def test_variety_loss_charges_a_collapsed_group_and_not_a_varied_one():
    real = clips_of([Scene("circle", m) for m in MOTIONS], seed=0)
    other = clips_of([Scene("circle", m) for m in MOTIONS], seed=1)
    collapsed = other.view(len(MOTIONS), GROUP, *other.shape[1:])[:, :1].expand(-1, GROUP, -1, -1, -1, -1)
    varied_cost = variety_loss(other, real, GROUP).item()
    collapsed_cost = variety_loss(collapsed.reshape(other.shape), real, GROUP).item()
    assert collapsed_cost > 3 * varied_cost, (varied_cost, collapsed_cost)


def test_colour_loss_reads_the_solid_fill_of_real_clips():
    scenes = [Scene("square", "moving left", colour) for colour in COLOURS]
    real = to_clips(render_scenes(scenes, CFG, np.random.default_rng(0)).clips, torch.device("cpu"))
    named = torch.tensor([COLOURS[c] for c in COLOURS], dtype=torch.float32) / 127.5 - 1
    assert torch.allclose(solid_colour(real), named, atol=2 / 255), "the fill, not the antialiased edge"
    assert colour_loss(named, real).item() < 1e-4
    assert colour_loss(named + 20 / 127.5, real).item() > 0.05
