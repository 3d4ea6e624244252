"""The judge: ground truth passes every check; shuffled prompts, blank clips and noise fail."""

import numpy as np
import pytest

from t2v.config import DataConfig
from t2v.dataset import eval_scenes, render_scenes
from t2v.metrics import judge, path_spread, score, score_diversity
from t2v.prompts import Scene
from t2v.tracks import measure
from t2v.prompts import MOTIONS

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
        assert min(group["motion_acc"], group["clean_shape_rate"], group["temporal_consistency"]) >= 0.99, group


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
    report = score([(s, "heldout" if i % 2 else "seen", judge(c, s)) for i, (s, c) in enumerate(zip(scenes, clips))])
    assert set(report) == {"overall", "per_split", "per_motion", "per_shape", "per_prompt"}
    assert set(report["per_split"]) == {"seen", "heldout"} and set(report["per_motion"]) == set(MOTIONS)
    assert set(report["overall"]) == {"motion_acc", "clean_shape_rate", "temporal_consistency", "n_clips"}


@pytest.mark.parametrize("motion", ["rotating clockwise", "moving up-right", "zigzagging vertically", "shrinking"])
def test_path_spread_of_real_clips_is_reproduced_and_one_repeated_clip_has_none(motion):
    cfg = DataConfig()
    scene = Scene("square", motion)
    real_a, real_b = ([measure(c) for c in render_scenes([scene] * 20, cfg, np.random.default_rng(seed)).clips]
                      for seed in (0, 1))
    ratio = path_spread(real_a) / path_spread(real_b)
    assert 0.7 < ratio < 1.4, "two draws of real clips vary alike"
    assert path_spread([real_a[0]] * 20) < 1e-9, "one clip repeated does not vary"
    rows = [(scene, "seen", path_spread(real_a) / path_spread(real_b)), (scene, "seen", 0.0)]
    assert score_diversity(rows)["per_motion"][motion] == pytest.approx(ratio / 2, abs=1e-3)
