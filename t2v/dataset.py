"""The training set: balanced (shape, motion) pairs minus the held-out ones, rendered with random tracks and colours.

On disk it is one directory of a few files: clips.npy (uint8 N, T, H, W, 3), meta.npz (per-clip labels and
per-frame ground-truth centres and half-sizes) and prompts.json; the held-out manifest lies beside it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from t2v.atomic import atomic_path, write_json, write_with
from t2v.config import DataConfig
from t2v.errors import T2VError
from t2v.motions import sample_tracks
from t2v.prompts import COLOURS, DEFAULT_COLOUR, DIAGONALS, MOTIONS, SHAPES, Scene
from t2v.render import render_clips

COLOUR_NAMES = tuple(COLOURS)
LABEL_FIELDS = ("shape", "colour", "motion", "centres", "sizes")  # per-clip arrays stored in meta.npz
PALETTE = np.array([COLOURS[c] for c in COLOUR_NAMES], dtype=np.uint8)


@dataclass
class Dataset:
    clips: np.ndarray  # uint8 (N, T, H, W, 3)
    shape: np.ndarray  # (N,) index into SHAPES
    colour: np.ndarray  # (N,) index into COLOUR_NAMES
    motion: np.ndarray  # (N,) index into MOTIONS
    centres: np.ndarray  # float32 (N, T, 2), (x, y) pixels
    sizes: np.ndarray  # float32 (N, T), half-size pixels
    prompts: list[str]


def heldout_pairs(cfg: DataConfig) -> set[tuple[str, str]]:
    return {(shape, motion) for shape, motion in cfg.heldout}


def training_pairs(cfg: DataConfig) -> list[tuple[str, str]]:
    held = heldout_pairs(cfg)
    return [(s, m) for s in SHAPES for m in MOTIONS if (s, m) not in held]


def eval_scenes(held: set[tuple[str, str]]) -> list[tuple[Scene, str]]:
    """Every prompt the metrics judge, with its split: each pair uncoloured and in every colour."""
    return [
        (Scene(shape, motion, colour), "heldout" if (shape, motion) in held else "seen")
        for shape in SHAPES
        for motion in MOTIONS
        for colour in (None, *COLOUR_NAMES)
    ]


def render_scenes(scenes: list[Scene], cfg: DataConfig, rng: np.random.Generator,
                  out: np.ndarray | None = None) -> Dataset:
    """Draw a random track for each scene and render it (into `out` when given); also used for ground truth
    of arbitrary prompts."""
    n = len(scenes)
    shape = np.array([SHAPES.index(s.shape) for s in scenes], dtype=np.int64)
    colour = np.array([COLOUR_NAMES.index(s.colour or DEFAULT_COLOUR) for s in scenes], dtype=np.int64)
    motion = np.array([MOTIONS.index(s.motion) for s in scenes], dtype=np.int64)
    centres = np.empty((n, cfg.frames, 2), dtype=np.float32)
    sizes = np.empty((n, cfg.frames), dtype=np.float32)
    for index, name in enumerate(MOTIONS):  # a fixed order keeps the random stream deterministic
        rows = np.flatnonzero(motion == index)
        if rows.size:
            centres[rows], sizes[rows] = sample_tracks(name, rows.size, cfg, rng)
    clips = render_clips(shape, PALETTE[colour], centres, sizes, cfg.size, out=out)
    prompts = [s.prompt() for s in scenes]
    return Dataset(clips, shape, colour, motion, centres, sizes, prompts)


def sample_training_scenes(cfg: DataConfig, rng: np.random.Generator) -> tuple[list[Scene], list[str]]:
    """Balanced over training pairs, random colour; the default colour is sometimes left unnamed and
    diagonals are sometimes written `moving diagonally X`, so every accepted phrasing is trained."""
    pairs = training_pairs(cfg)
    order = rng.permutation(np.arange(cfg.n_clips) % len(pairs))
    colours = rng.integers(0, len(COLOUR_NAMES), cfg.n_clips)
    omit_colour = rng.random(cfg.n_clips) < 0.5
    diagonally = rng.random(cfg.n_clips) < 0.5
    scenes, prompts = [], []
    for i, pair_index in enumerate(order):
        shape, motion = pairs[pair_index]
        name = COLOUR_NAMES[colours[i]]
        scene = Scene(shape, motion, None if name == DEFAULT_COLOUR and omit_colour[i] else name)
        scenes.append(scene)
        prompts.append(scene.prompt(diagonally=bool(diagonally[i]) and motion.removeprefix("moving ") in DIAGONALS))
    return scenes, prompts


def generate_dataset(cfg: DataConfig, seed: int, chunk: int = 2048, clips: np.ndarray | None = None) -> Dataset:
    """Render the training set; into `clips` (for example a memory-mapped .npy) when given, so the bytes
    are written once, where they end up."""
    rng = np.random.default_rng(seed)
    scenes, prompts = sample_training_scenes(cfg, rng)
    if clips is None:
        clips = np.empty((len(scenes), cfg.frames, cfg.size, cfg.size, 3), dtype=np.uint8)
    parts = [
        render_scenes(scenes[lo : lo + chunk], cfg, rng, out=clips[lo : lo + chunk])
        for lo in tqdm(range(0, len(scenes), chunk), desc="render", unit="chunk", leave=False)
    ]
    labels = (np.concatenate([getattr(p, f) for p in parts]) for f in LABEL_FIELDS)
    return Dataset(clips, *labels, prompts=prompts)


def write_dataset(cfg: DataConfig, seed: int, out_dir: str | Path) -> Dataset:
    """Render the training set straight into out_dir/clips.npy and write its metadata beside it."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    shape = (cfg.n_clips, cfg.frames, cfg.size, cfg.size, 3)
    with atomic_path(out / "clips.npy") as tmp:
        clips = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=shape)
        data = generate_dataset(cfg, seed, clips=clips)
        clips.flush()
        del clips
    data.clips = np.load(out / "clips.npy", mmap_mode="r")
    write_with(out / "meta.npz", lambda p: np.savez(p, **{f: getattr(data, f) for f in LABEL_FIELDS}))
    write_json(out / "prompts.json", data.prompts)
    return data


def heldout_manifest(cfg: DataConfig) -> dict:
    """The held-out pairs and their prompts (both phrasings), for evaluation to read."""
    held = sorted(heldout_pairs(cfg))
    prompts = sorted({Scene(s, m).prompt(diagonally=d) for s, m in held for d in (False, True)})
    return {"pairs": [list(p) for p in held], "prompts": prompts}


def load_heldout(path: str | Path) -> set[tuple[str, str]]:
    path = Path(path)
    if not path.exists():
        raise T2VError(f"held-out manifest {str(path)!r} missing: run `dvc repro generate-dataset` first")
    return {(shape, motion) for shape, motion in json.loads(path.read_text())["pairs"]}


def load_dataset(data_dir: str | Path, mmap: bool = True) -> Dataset:
    path = Path(data_dir)
    needed = [path / n for n in ("clips.npy", "meta.npz", "prompts.json")]
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        raise T2VError(f"dataset file(s) missing: {', '.join(missing)}: run `dvc repro generate-dataset` first")
    clips = np.load(needed[0], mmap_mode="r" if mmap else None)
    with np.load(needed[1]) as meta:
        labels = {k: meta[k] for k in LABEL_FIELDS}
    prompts = json.loads(needed[2].read_text())
    return Dataset(clips=clips, prompts=prompts, **labels)
