"""The generator's data-matching terms measured on ground truth: zero or near it where the fakes are real
clips of the same prompt, clearly positive where the motion or the colour is wrong."""

from __future__ import annotations

import numpy as np
import torch

from t2v.config import DataConfig
from t2v.data.synthesize import render_scenes
from t2v.model.paths import clip_paths, solid_colour
from t2v.model.sprite import SHAPE_REACH
from t2v.prompts import COLOURS, Scene
from t2v.train.inputs import to_clips
from t2v.train.losses import colour_loss, energy_loss, moment_loss, variety_loss

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
    fair = moment_loss(clip_paths(other_real), clip_paths(real), GROUP).item()
    unfair = moment_loss(clip_paths(wrong), clip_paths(real), GROUP).item()
    assert abs(fair) < 0.05 * unfair, (fair, unfair)


def test_moment_loss_does_not_penalise_variety():
    # The same mean, more spread: a generator is not pushed to collapse a prompt's clips onto one path.
    real = clips_of([Scene("circle", "moving up")], seed=0)
    collapsed = real[:1].expand_as(real)
    varied_cost = moment_loss(clip_paths(real), clip_paths(real), GROUP).item()
    collapsed_cost = moment_loss(clip_paths(collapsed), clip_paths(real), GROUP).item()
    assert varied_cost < collapsed_cost + 1e-3


def test_variety_loss_charges_a_collapsed_group_and_not_a_varied_one():
    real = clips_of([Scene("circle", m) for m in MOTIONS], seed=0)
    other = clips_of([Scene("circle", m) for m in MOTIONS], seed=1)
    collapsed = other.view(len(MOTIONS), GROUP, *other.shape[1:])[:, :1].expand(-1, GROUP, -1, -1, -1, -1)
    varied_cost = variety_loss(clip_paths(other), clip_paths(real), GROUP).item()
    collapsed_cost = variety_loss(clip_paths(collapsed.reshape(other.shape)), clip_paths(real), GROUP).item()
    assert collapsed_cost > 3 * varied_cost, (varied_cost, collapsed_cost)


def test_energy_loss_is_least_for_paths_distributed_as_the_real_ones():
    asked = [Scene("circle", m) for m in MOTIONS]
    real = clip_paths(clips_of(asked, seed=0))
    other = clips_of(asked, seed=1)
    collapsed = other.view(len(MOTIONS), GROUP, *other.shape[1:])[:, :1].expand(-1, GROUP, -1, -1, -1, -1)
    wrong = clips_of([Scene("circle", m) for m in [*MOTIONS[1:], MOTIONS[0]]], seed=1)
    fair = energy_loss(clip_paths(other), real, GROUP).item()
    assert fair < energy_loss(clip_paths(collapsed.reshape(other.shape)), real, GROUP).item()
    assert fair < energy_loss(clip_paths(wrong), real, GROUP).item()


def test_energy_loss_pushes_a_collapsed_group_apart():
    real = clip_paths(clips_of([Scene("circle", "bouncing vertically")], seed=0))
    nearly = real[:1] + 1e-4 * torch.randn(real.shape, generator=torch.Generator().manual_seed(0))
    collapsed = nearly.requires_grad_(True)
    energy_loss(collapsed, real, GROUP).backward()
    stepped = collapsed.detach() - 0.01 * collapsed.grad
    spread = lambda paths: paths[..., :2].std(dim=0).mean().item()  # noqa: E731
    assert spread(stepped) > 2 * spread(collapsed.detach())
    identical = real[:1].expand_as(real).clone().requires_grad_(True)
    energy_loss(identical, real, GROUP).backward()
    assert torch.isfinite(identical.grad).all()  # zero distances within the group: still a finite gradient


def test_colour_loss_reads_the_solid_fill_of_real_clips():
    scenes = [Scene("square", "moving left", colour) for colour in COLOURS]
    real = to_clips(render_scenes(scenes, CFG, np.random.default_rng(0)).clips, torch.device("cpu"))
    named = torch.tensor([COLOURS[c] for c in COLOURS], dtype=torch.float32) / 127.5 - 1
    assert torch.allclose(solid_colour(real), named, atol=2 / 255), "the fill, not the antialiased edge"
    assert colour_loss(named, solid_colour(real)).item() < 1e-4
    assert colour_loss(named + 20 / 127.5, solid_colour(real)).item() > 0.05


def test_canonical_shape_takes_out_position_size_and_colour_but_keeps_the_shape():
    """Ground truth at 32 and 64 px: clips of one shape (any colour, size, place) share one canonical shape;
    the three shapes are several times further apart than that (4x at 32 px, where a shrunk shape is 2 px)."""
    from t2v.train.losses import canonical_shape

    means, spread = {}, []
    for size in (32, 64):
        cfg = DataConfig(frames=4, size=size)
        for shape in ("circle", "square", "triangle"):
            scenes = [Scene(shape, m, c) for m in ("moving left", "shrinking", "expanding") for c in COLOURS]
            real = to_clips(render_scenes(scenes, cfg, np.random.default_rng(0)).clips, torch.device("cpu"))
            canon = canonical_shape(real, 16, SHAPE_REACH)
            spread.append((canon - canon.mean(dim=0)).square().mean().item())
            means[size, shape] = canon.mean(dim=0)
    apart = [
        (means[size, a] - means[size, b]).square().mean().item()
        for size in (32, 64)
        for a, b in (("circle", "square"), ("square", "triangle"), ("circle", "triangle"))
    ]
    assert max(spread) * 3 < min(apart), (spread, apart)


def test_shape_loss_is_small_for_the_named_shape_and_large_for_another():
    from t2v.train.losses import canonical_shape, shape_loss

    triangles = clips_of([Scene("triangle", m) for m in MOTIONS], seed=0)
    squares = clips_of([Scene("square", m) for m in MOTIONS], seed=0)
    mask = canonical_shape(clips_of([Scene("triangle", m) for m in MOTIONS], seed=1), 16, SHAPE_REACH)
    right, wrong = shape_loss(mask, triangles).item(), shape_loss(mask, squares).item()
    assert right < 0.1 * wrong, (right, wrong)
