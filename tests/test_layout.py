"""Two objects in one frame: moved apart only in ways their motions allow, inside the frame, seldom
overlapping, the first drawn in front, the same bytes from the same seed."""

import numpy as np

from t2v.config import DataConfig
from t2v.data.render import render_clips
from t2v.data.synthesize import render, render_pairs, track_scenes
from t2v.judge.metrics import judge
from t2v.prompts import COLOURS, MOTIONS, SHAPES, Scene

CFG = DataConfig(size=32, frames=12)


def _random_pairs(n: int, seed: int) -> list[tuple[Scene, Scene]]:
    rng = np.random.default_rng(seed)
    colours = list(COLOURS)
    pairs = []
    for _ in range(n):
        c = rng.choice(len(colours), 2, replace=False)
        shapes, motions = rng.integers(len(SHAPES), size=2), rng.integers(len(MOTIONS), size=2)
        pairs.append(tuple(Scene(SHAPES[s], MOTIONS[m], colours[k]) for s, m, k in zip(shapes, motions, c)))
    return pairs


def _overlapping_frames(first, second) -> np.ndarray:
    return np.linalg.norm(first.centres - second.centres, axis=-1) < first.sizes + second.sizes


def test_moved_objects_still_do_what_their_words_say_inside_the_frame():
    pairs = _random_pairs(200, 0)
    _, first, second = render_pairs(pairs, CFG, np.random.default_rng(0))
    for k, data in enumerate((first, second)):
        reach = data.sizes[..., None]
        assert ((data.centres - reach >= -1e-3) & (data.centres + reach <= CFG.size + 1e-3)).all()
        clips = render(data, CFG.size)
        passed = [judge(clip, pair[k]).motion for clip, pair in zip(clips, pairs)]
        assert np.mean(passed) >= 0.99


def test_objects_seldom_overlap_where_unmoved_paths_mostly_would():
    pairs = _random_pairs(300, 1)
    unmoved = [track_scenes([p[k] for p in pairs], CFG, np.random.default_rng(1)) for k in (0, 1)]
    _, first, second = render_pairs(pairs, CFG, np.random.default_rng(1))
    assert _overlapping_frames(*unmoved).mean() > 0.5
    assert _overlapping_frames(first, second).mean() <= 0.01
    assert _overlapping_frames(first, second).any(axis=1).mean() <= 0.03


def test_the_first_named_object_is_drawn_in_front():
    centres = np.full((1, 1, 2), 16.0, np.float32)
    sizes = np.full((1, 1), 6.0, np.float32)
    red, blue = np.array([COLOURS["red"]], np.uint8), np.array([COLOURS["blue"]], np.uint8)
    clip = render_clips(np.array([1]), blue, centres, sizes, 32)  # the second object, behind
    render_clips(np.array([0]), red, centres, sizes * 0.5, 32, out=clip, over=True)
    assert tuple(clip[0, 0, 16, 16]) == COLOURS["red"]
    assert tuple(clip[0, 0, 16, 21]) == COLOURS["blue"]  # outside the red circle, inside the blue square


def test_the_same_seed_gives_the_same_clips():
    pairs = _random_pairs(20, 2)
    a = render_pairs(pairs, CFG, np.random.default_rng(5))[0]
    b = render_pairs(pairs, CFG, np.random.default_rng(5))[0]
    c = render_pairs(pairs, CFG, np.random.default_rng(6))[0]
    assert a.tobytes() == b.tobytes() and a.tobytes() != c.tobytes()
