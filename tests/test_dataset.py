"""The dataset: every motion checked from rendered pixels, determinism, held-out pairs, colours, clip
sizes."""

import hashlib

import numpy as np
import pytest

from t2v.config import DataConfig
from t2v.data.dataset import load_dataset
from t2v.data.render import render_clips
from t2v.data.scenes import COLOUR_NAMES, PALETTE, training_pairs
from t2v.data.synthesize import generate_dataset, heldout_manifest, render_scenes, write_dataset
from t2v.judge.tracks import measure
from t2v.prompts import COLOURS, DIRECTIONS, MOTIONS, SHAPES, Scene, parse_prompt, parse_scenes

FRAME_SETTINGS = [(64, 16), (64, 10), (32, 12)]


def tracks_of(prompt: str, size: int, frames: int, n: int = 12, seed: int = 0):
    cfg = DataConfig(size=size, frames=frames)
    scene = parse_prompt(prompt)
    clips = render_scenes([scene] * n, cfg, np.random.default_rng(seed)).clips
    assert clips.shape == (n, frames, size, size, 3) and clips.dtype == np.uint8
    return scene, [measure(c) for c in clips]


@pytest.mark.parametrize("size, frames", FRAME_SETTINGS)
@pytest.mark.parametrize("direction", list(DIRECTIONS))
def test_moving_has_constant_velocity_in_its_direction_and_never_teleports(direction, size, frames):
    scene, tracks = tracks_of(f"square moving {direction}", size, frames)
    unit = np.array(DIRECTIONS[direction], float) / np.hypot(*DIRECTIONS[direction])
    for track in tracks:
        inside = track.visible & ~track.touches_edge
        steps = np.diff(track.centre[inside], axis=0)
        along = steps @ unit
        assert (along >= 1.0 * size / 64).all(), "at least 1 px per frame at 64 px"
        assert np.allclose(steps, steps.mean(axis=0), atol=0.25), "constant velocity"
        assert np.abs(steps @ np.array([-unit[1], unit[0]])).max() < 0.25, "no drift across the direction"


@pytest.mark.parametrize("size, frames", FRAME_SETTINGS)
@pytest.mark.parametrize("sense", ["clockwise", "counter-clockwise"])
def test_rotating_orbits_the_centre_in_its_screen_sense_by_at_least_90_degrees(sense, size, frames):
    _, tracks = tracks_of(f"square rotating {sense}", size, frames)
    for track in tracks:
        rel = track.centre - size / 2
        turn = np.diff(np.unwrap(np.arctan2(rel[:, 1], rel[:, 0])))
        # Screen y points down: clockwise on screen is a growing angle.
        signed = turn if sense == "clockwise" else -turn
        assert (signed > 0).all() and np.rad2deg(signed.sum()) >= 90
        radius = np.hypot(rel[:, 0], rel[:, 1])
        assert radius.min() > 0.15 * size and np.ptp(radius) < 0.1 * size


@pytest.mark.parametrize("size, frames", FRAME_SETTINGS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", ["shrinking", "expanding"])
def test_scaling_stays_in_place_and_changes_size_monotonically_by_40_percent(kind, shape, size, frames):
    _, tracks = tracks_of(f"{shape} {kind}", size, frames)
    for track in tracks:
        half = track.half_size(shape)
        steps = np.diff(half) * (1 if kind == "expanding" else -1)
        assert (steps > 0).all()
        small, big = sorted((half[0], half[-1]))
        assert small <= 0.6 * big
        assert np.abs(track.centre - track.centre.mean(axis=0)).max() < 0.1 * size


@pytest.mark.parametrize("size, frames", FRAME_SETTINGS)
@pytest.mark.parametrize("axis", ["vertically", "horizontally"])
def test_bouncing_reflects_off_the_frame_edge(axis, size, frames):
    _, tracks = tracks_of(f"circle bouncing {axis}", size, frames)
    k = 1 if axis == "vertically" else 0
    for track in tracks:
        along, across = track.centre[:, k], track.centre[:, 1 - k]
        velocity = np.diff(along)
        flips = np.flatnonzero(np.sign(velocity[1:]) != np.sign(velocity[:-1]))
        assert len(flips) >= 1, "reverses at least once"
        turn = flips[0] + 1
        half = track.half_size("circle")[turn]
        assert min(along[turn] - half, size - along[turn] - half) < 0.08 * size, "the turn is at an edge"
        assert np.ptp(across) < 0.5


@pytest.mark.parametrize("size, frames", FRAME_SETTINGS)
@pytest.mark.parametrize("axis", ["vertically", "horizontally"])
def test_zigzagging_advances_along_its_axis_and_reverses_across_it_twice(axis, size, frames):
    _, tracks = tracks_of(f"square zigzagging {axis}", size, frames)
    k = 1 if axis == "vertically" else 0
    for track in tracks:
        along, across = track.centre[:, k], track.centre[:, 1 - k]
        assert np.all(np.diff(along) * np.sign(along[-1] - along[0]) > 0), "steady progress along the axis"
        swings = np.sign(np.diff(across))
        assert (swings[1:] != swings[:-1]).sum() >= 2, "at least two reversals across the axis"


def test_colours_are_rgb_and_unnamed_colour_is_the_default():
    cfg = DataConfig()
    for name, rgb in COLOURS.items():
        clip = render_scenes([Scene("square", "shrinking", name)], cfg, np.random.default_rng(0)).clips[0]
        centre = clip[0, cfg.size // 2, cfg.size // 2]
        assert tuple(int(v) for v in centre) == rgb, f"{name} must be stored as RGB"
    plain = render_scenes([parse_prompt("square shrinking")], cfg, np.random.default_rng(0)).clips[0]
    assert tuple(int(v) for v in plain[0, cfg.size // 2, cfg.size // 2]) == COLOURS["blue"]
    corner = plain[0, 0, 0]
    assert (corner == 255).all(), "white background"


def test_clips_of_one_prompt_differ():
    clips = render_scenes(
        [parse_prompt("circle moving left")] * 8, DataConfig(), np.random.default_rng(0)
    ).clips
    assert len({c.tobytes() for c in clips}) == 8


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_params_and_seed_give_the_same_files_byte_for_byte(tmp_path):
    cfg = DataConfig(n_clips=200)
    for name in ("a", "b"):
        write_dataset(cfg, seed=3, out_dir=tmp_path / name)
    for file in ("clips.npy.zst", "meta.npz", "prompts.json"):
        assert _digest(tmp_path / "a" / file) == _digest(tmp_path / "b" / file)
    other = generate_dataset(cfg, seed=4)
    assert other.clips.tobytes() != load_dataset(tmp_path / "a").clips.tobytes()


def test_streamed_file_holds_the_same_clips_as_rendering_in_memory(tmp_path):
    cfg = DataConfig(n_clips=300, size=16, frames=8)  # not a multiple of the render block
    written = write_dataset(cfg, seed=5, out_dir=tmp_path)
    in_memory = generate_dataset(cfg, seed=5)
    assert np.array_equal(load_dataset(tmp_path).clips, in_memory.clips)
    assert written.prompts == in_memory.prompts and np.array_equal(written.centres, in_memory.centres)


def test_progress_bar_can_be_switched_off_without_changing_the_clips(capsys):
    cfg = DataConfig(n_clips=40, size=16, frames=8)
    shown = generate_dataset(cfg, seed=6)
    assert "render" in capsys.readouterr().err
    quiet = generate_dataset(cfg, seed=6, progress=False)
    assert capsys.readouterr().err == ""
    assert np.array_equal(shown.clips, quiet.clips)


@pytest.mark.parametrize("size, frames", FRAME_SETTINGS + [(16, 8)])
def test_rendering_a_box_around_each_shape_equals_rendering_the_whole_frame(size, frames):
    """Only a box around each shape is computed; shapes leaving the frame and the largest ones included."""
    data = generate_dataset(
        DataConfig(n_clips=200, size=size, frames=frames, shape_size=[0.05, 0.25], pair_share=0.0), seed=2
    )
    whole = render_clips(data.shape, PALETTE[data.colour], data.centres, data.sizes, size, box=size)
    assert np.array_equal(data.clips, whole)
    assert (data.clips < 255).any(axis=(2, 3, 4)).all(), "every frame has ink"


def test_heldout_pairs_never_reach_training_yet_their_words_do():
    cfg = DataConfig(n_clips=2000)
    data = generate_dataset(cfg, seed=0)
    seen = {(scene.shape, scene.motion) for p in data.prompts for scene in parse_scenes(p)}
    assert seen == {(SHAPES[s], MOTIONS[m]) for s, m in zip(data.shape, data.motion)}
    held = {tuple(p) for p in cfg.heldout}
    assert ("circle", "moving up-right") in held
    assert not seen & held
    assert seen == set(training_pairs(cfg)), "every training pair appears"
    words = {w for p in data.prompts for w in p.split()}
    manifest = heldout_manifest(cfg)
    assert {w for p in manifest["prompts"] for w in p.split()} <= words
    assert (
        "circle moving diagonally up-right" in manifest["prompts"]
        and "circle moving up-right" in manifest["prompts"]
    )
    assert not set(data.prompts) & set(manifest["prompts"])


def test_labels_match_prompts_and_tracks_match_pixels():
    data = generate_dataset(DataConfig(n_clips=64), seed=1)
    for i, prompt in enumerate(data.prompts):
        scenes = parse_scenes(prompt)
        labels = [(data.shape[i], data.colour[i], data.motion[i])]
        if len(scenes) == 2:
            labels.append(tuple(data.second[k][i] for k in ("shape", "colour", "motion")))
        assert labels == [
            (SHAPES.index(s.shape), COLOUR_NAMES.index(s.colour or "blue"), MOTIONS.index(s.motion))
            for s in scenes
        ]
        if len(scenes) == 2:
            continue  # pairs' pixels against their tracks: tests/test_pairings.py
        scene = scenes[0]
        track = measure(data.clips[i])
        inside = track.visible & ~track.touches_edge
        if scene.shape != "triangle":  # a triangle's centroid sits below its box centre
            assert np.abs(track.centre[inside] - data.centres[i][inside]).max() < 0.35


def test_compressed_clips_decompress_to_a_plain_npy_and_a_truncated_file_is_named(tmp_path):
    import io

    import zstandard

    from t2v.errors import T2VError

    write_dataset(DataConfig(n_clips=40, size=16, frames=8), seed=0, out_dir=tmp_path)
    packed = (tmp_path / "clips.npy.zst").read_bytes()
    plain = np.load(io.BytesIO(zstandard.ZstdDecompressor().decompress(packed)))  # what `zstd -d` gives
    assert np.array_equal(plain, load_dataset(tmp_path).clips)
    (tmp_path / "clips.npy.zst").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(T2VError, match="truncated or corrupt"):
        load_dataset(tmp_path)


def test_missing_dataset_names_the_stage(tmp_path):
    from t2v.errors import T2VError

    with pytest.raises(T2VError, match="dvc repro generate-dataset"):
        load_dataset(tmp_path)
