"""The judge: ground truth passes every check; shuffled prompts, blank clips, noise, rimmed or mottled shapes
and collapsed sets fail."""

import cv2
import numpy as np
import pytest

from t2v.config import DataConfig
from t2v.data.synthesize import render_scenes
from t2v.judge.eval_sets import eval_scenes
from t2v.judge.metrics import diversity, judge, path_spread, score, score_diversity
from t2v.judge.tracks import ink, measure
from t2v.prompts import DEFAULT_COLOUR, MOTIONS, SHAPES, Scene

SETTINGS = [(32, 12), (64, 10)]


def _ground_truth(size, frames, seed=0, repeat=2):
    cfg = DataConfig(size=size, frames=frames)
    scenes = [s for s, _ in eval_scenes({tuple(p) for p in cfg.heldout})] * repeat
    return scenes, render_scenes(scenes, cfg, np.random.default_rng(seed)).clips


@pytest.mark.parametrize("size, frames", SETTINGS)
def test_ground_truth_scores_at_least_099_on_every_check_and_every_motion(size, frames):
    scenes, clips = _ground_truth(size, frames)
    report = score([(s, "seen", judge(c, s)) for s, c in zip(scenes, clips)])
    for group in report["per_motion"].values():
        checks = ("motion_acc", "shape_acc", "colour_acc", "clean_shape_rate", "temporal_consistency")
        assert min(group[k] for k in checks) >= 0.99, group


@pytest.mark.parametrize("size, frames", SETTINGS)
def test_shuffled_prompts_score_low(size, frames):
    scenes, clips = _ground_truth(size, frames, seed=1)
    rng = np.random.default_rng(0)
    others = [scenes[i] for i in rng.permutation(len(scenes))]
    pairs = [(o, c) for o, s, c in zip(others, scenes, clips) if o.motion != s.motion]
    verdicts = [judge(c, o) for o, c in pairs]
    assert np.mean([v.motion for v in verdicts]) < 0.15
    shapes_differ = [(o, c) for o, s, c in zip(others, scenes, clips) if o.shape != s.shape]
    assert np.mean([judge(c, o).clean for o, c in shapes_differ]) < 0.05


def test_blank_and_noise_clips_fail_everything():
    scenes, clips = _ground_truth(32, 12, repeat=1)
    rng = np.random.default_rng(0)
    blank = np.full_like(clips[0], 255)
    for scene in scenes[:: len(MOTIONS) // 4]:
        noise = rng.integers(0, 256, clips[0].shape, dtype=np.uint8)
        for clip in (blank, noise):
            verdict = judge(clip, scene)
            assert not (verdict.motion or verdict.clean or verdict.temporal)


def test_frames_drawn_independently_fail_motion():
    """The tutorial's bug: each frame from fresh noise. Frames shuffled in time stand in for it."""
    scenes, clips = _ground_truth(32, 12, seed=2)
    rng = np.random.default_rng(1)
    moving = [(s, c) for s, c in zip(scenes, clips) if not s.motion.startswith(("rotating", "bouncing"))]
    verdicts = [judge(c[rng.permutation(len(c))], s) for s, c in moving]
    assert np.mean([v.motion for v in verdicts]) < 0.15
    assert np.mean([v.temporal for v in verdicts]) < 0.6


def test_score_groups_and_keys_are_stable():
    scenes, clips = _ground_truth(32, 12, repeat=1)
    report = score(
        [(s, "heldout" if i % 2 else "seen", judge(c, s)) for i, (s, c) in enumerate(zip(scenes, clips))]
    )
    assert set(report) == {"overall", "per_split", "per_motion", "per_shape", "per_colour", "per_prompt"}
    assert set(report["per_split"]) == {"seen", "heldout"} and set(report["per_motion"]) == set(MOTIONS)
    assert set(report["overall"]) == {
        "motion_acc",
        "shape_acc",
        "colour_acc",
        "clean_shape_rate",
        "temporal_consistency",
        "n_clips",
    }


def _real_tracks(scene: Scene, seed: int, k: int = 20) -> list:
    return [measure(c) for c in render_scenes([scene] * k, DataConfig(), np.random.default_rng(seed)).clips]


@pytest.mark.parametrize("motion", MOTIONS)
def test_real_clips_are_as_diverse_as_real_clips_and_collapsed_sets_are_not(motion):
    scene = Scene("square", motion)
    real, reference = _real_tracks(scene, 0), [_real_tracks(scene, seed) for seed in (1, 2, 3)]
    assert diversity(real, [True] * 20, reference) >= 0.8
    assert path_spread([real[0]] * 20) < 1e-9, "one clip repeated does not vary"
    assert diversity([real[0]] * 20, [True] * 20, reference) < 1e-6
    assert diversity(real[:4] * 5, [True] * 20, reference) < 0.05, "four paths repeated are not twenty"
    assert diversity(real, [True] * 10 + [False] * 10, reference) <= 0.5, "invalid clips add no variety"


def test_ground_truth_diversity_averages_near_one():
    scores = [
        diversity(
            _real_tracks(Scene("triangle", m), 0),
            [True] * 20,
            [_real_tracks(Scene("triangle", m), seed) for seed in (1, 2, 3)],
        )
        for m in MOTIONS
    ]
    assert np.mean(scores) >= 0.95, dict(zip(MOTIONS, np.round(scores, 2)))


def test_incoherent_clips_add_no_variety():
    scene = Scene("circle", "moving left")
    real = [_real_tracks(scene, seed) for seed in (0, 1, 2)]
    rng = np.random.default_rng(1)
    clips = render_scenes([scene] * 20, DataConfig(), np.random.default_rng(5)).clips
    jumbled_clips = [c[rng.permutation(len(c))] for c in clips]  # frames out of order: a huge "spread"
    jumbled = [measure(c) for c in jumbled_clips]
    assert path_spread(jumbled) > path_spread(real[0])
    verdicts = [judge(c, scene) for c in jumbled_clips]
    assert diversity(jumbled, [v.motion and v.temporal for v in verdicts], real) < 0.2
    assert diversity(jumbled, [True] * 20, real) <= 1.0, "spread beyond the data's is not rewarded"


def test_score_diversity_averages_per_group_and_per_prompt():
    a, b = Scene("square", "shrinking"), Scene("circle", "shrinking", "red")
    report = score_diversity([(a, "seen", 1.0), (b, "heldout", 0.5)])
    assert report["overall"] == 0.75 and report["per_motion"]["shrinking"] == 0.75
    assert report["per_shape"] == {"circle": 0.5, "square": 1.0}
    assert report["per_colour"] == {DEFAULT_COLOUR: 1.0, "red": 0.5}
    assert report["per_prompt"] == {a.prompt(): 1.0, b.prompt(): 0.5}
    assert report["per_split"] == {"heldout": 0.5, "seen": 1.0}


def _darken_rim(clip: np.ndarray) -> np.ndarray:
    out = clip.astype(float)
    for frame in out:
        mask = (ink(frame.astype(np.uint8)) > 0.35).astype(np.uint8)
        rim = (mask > 0) & (cv2.erode(mask, np.ones((3, 3), np.uint8)) == 0)
        frame[rim] *= 0.55
    return out.astype(np.uint8)


def _mottle(clip: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    inside = ink(clip) > 0.35
    noisy = clip + rng.normal(0, 35, clip.shape[:-1])[..., None] * inside[..., None]
    return noisy.clip(0, 255).astype(np.uint8)


@pytest.mark.parametrize("size", [32, 64])
def test_rimmed_and_mottled_shapes_fail_the_strict_check(size):
    cfg = DataConfig(size=size, frames=10)
    rng = np.random.default_rng(0)
    for colour in ("red", "green", "blue", "yellow"):
        scene = Scene("circle", "moving left", colour)
        clips = render_scenes([scene] * 8, cfg, rng).clips
        assert all(judge(c, scene).clean for c in clips)
        assert not any(judge(_darken_rim(c), scene).clean for c in clips), colour
        assert not any(judge(_mottle(c, rng), scene).clean for c in clips), colour


@pytest.mark.parametrize("size", [32, 64])
def test_each_shape_is_told_from_the_others_on_ground_truth(size):
    cfg = DataConfig(size=size, frames=10)
    scenes = [Scene(shape, motion) for shape in SHAPES for motion in MOTIONS] * 2
    clips = render_scenes(scenes, cfg, np.random.default_rng(3)).clips
    verdicts = [judge(c, s) for s, c in zip(scenes, clips)]
    assert np.mean([v.shape == s.shape for s, v in zip(scenes, verdicts)]) >= 0.99
    for shape in SHAPES:  # the same clips judged against another shape's name fail
        others = [(Scene(shape, s.motion), c) for s, c in zip(scenes, clips) if s.shape != shape]
        assert not any(judge(c, o).shape_ok for o, c in others)


def test_ink_reads_each_level_as_its_float32_arithmetic_to_the_bit():
    """The tracker reads ink from a look-up table; every uint8 level, in any channel order and over any
    full ink, must read as the arithmetic it stands for, or every track would move."""
    levels = np.arange(256, dtype=np.uint8)
    frames = np.stack([levels, np.roll(levels, 85), np.roll(levels, 170)], axis=-1)  # (256, 3)
    darkest = frames.min(axis=-1).astype(np.float32)
    for full in (1.0, 1.0 - 48 / 255.0):
        expected = (1.0 - darkest / 255.0) / full
        assert ink(frames, full=full).dtype == np.float32
        assert np.array_equal(ink(frames, full=full).view(np.uint32), expected.view(np.uint32))
