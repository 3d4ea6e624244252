"""The training set: balanced (shape, motion) pairs minus the held-out ones, rendered with random tracks and colours.

On disk it is one directory of a few files: clips.npy.zst (the .npy of uint8 N, T, H, W, 3, zstd-compressed:
`zstd -d` gives a plain .npy), meta.npz (per-clip labels and per-frame ground-truth centres and half-sizes) and
prompts.json; the held-out manifest lies beside it.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import zstandard
from tqdm import tqdm

from t2v.atomic import atomic_path, write_json, write_with
from t2v.config import DataConfig
from t2v.errors import T2VError
from t2v.motions import sample_tracks
from t2v.prompts import COLOURS, DEFAULT_COLOUR, MOTIONS, SHAPES, Scene
from t2v.render import render_clips
from t2v.scenes import COLOUR_NAMES, heldout_pairs, sample_training_scenes

CLIPS_FILE = "clips.npy.zst"
LABEL_FIELDS = ("shape", "colour", "motion", "centres", "sizes")  # per-clip arrays stored in meta.npz
PALETTE = np.array([COLOURS[c] for c in COLOUR_NAMES], dtype=np.uint8)


@dataclass
class Dataset:
    clips: np.ndarray | None  # uint8 (N, T, H, W, 3); None until rendered (tracks only)
    shape: np.ndarray  # (N,) index into SHAPES
    colour: np.ndarray  # (N,) index into COLOUR_NAMES
    motion: np.ndarray  # (N,) index into MOTIONS
    centres: np.ndarray  # float32 (N, T, 2), (x, y) pixels
    sizes: np.ndarray  # float32 (N, T), half-size pixels
    prompts: list[str]


def track_scenes(scenes: list[Scene], cfg: DataConfig, rng: np.random.Generator) -> Dataset:
    """Draw a random track for each scene: a Dataset of labels and tracks, not yet rendered (no clips)."""
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
    return Dataset(None, shape, colour, motion, centres, sizes, [s.prompt() for s in scenes])


def render(data: Dataset, size: int, rows: slice = slice(None), out: np.ndarray | None = None) -> np.ndarray:
    """Render the clips of data's tracks (the given rows) -> uint8 (n, T, size, size, 3), into `out` when given."""
    return render_clips(
        data.shape[rows], PALETTE[data.colour[rows]], data.centres[rows], data.sizes[rows], size, out=out
    )


def render_scenes(scenes: list[Scene], cfg: DataConfig, rng: np.random.Generator) -> Dataset:
    """Draw a random track for each scene and render it; also used for ground truth of arbitrary prompts."""
    data = track_scenes(scenes, cfg, rng)
    data.clips = render(data, cfg.size)
    return data


TRACK_BLOCK = 2048  # scenes per draw of tracks: part of the random stream's layout, so of the dataset's bytes
RENDER_BLOCK = 128  # clips rendered per step: a buffer this size stays in cache and in already-touched memory


def generate_dataset(
    cfg: DataConfig, seed: int, sink: Callable[[np.ndarray], object] | None = None
) -> Dataset:
    """Render the training set. With a sink (for example a file's write), each block of clips is handed to it
    from one reused buffer and the returned Dataset's clips stay None: memory stays one block, whatever n_clips."""
    rng = np.random.default_rng(seed)
    scenes, prompts = sample_training_scenes(cfg, rng)
    blocks = [
        track_scenes(scenes[lo : lo + TRACK_BLOCK], cfg, rng) for lo in range(0, len(scenes), TRACK_BLOCK)
    ]
    data = Dataset(
        None, *(np.concatenate([getattr(b, f) for b in blocks]) for f in LABEL_FIELDS), prompts=prompts
    )
    if sink is None:
        data.clips = render(data, cfg.size)
        return data
    buffer = np.empty((min(RENDER_BLOCK, len(scenes)), cfg.frames, cfg.size, cfg.size, 3), dtype=np.uint8)
    for lo in tqdm(range(0, len(scenes), RENDER_BLOCK), desc="render", unit="block", leave=False):
        rows = slice(lo, min(lo + RENDER_BLOCK, len(scenes)))
        sink(render(data, cfg.size, rows, out=buffer[: rows.stop - lo]))
    return data


def write_dataset(cfg: DataConfig, seed: int, out_dir: str | Path) -> Dataset:
    """Render the training set into out_dir/clips.npy.zst, streamed a block at a time through zstd, and write its
    metadata beside it. Returns the labels; the clips stay on disk (load_dataset reads them), since on a VM the
    first touch of fresh memory costs more than rendering. Mostly-white clips compress ~90x at over 2 GB/s, so
    the raw bytes are never written either, and DVC hashes, pushes and pulls a few MB."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    shape = (cfg.n_clips, cfg.frames, cfg.size, cfg.size, 3)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": shape})
    size = header.tell() + math.prod(shape)  # declared in the frame, so any zstd tool can decompress it whole
    with atomic_path(out / CLIPS_FILE) as tmp, open(tmp, "wb") as file:
        stream = zstandard.ZstdCompressor(level=1).stream_writer(file, size=size, closefd=False)
        stream.write(header.getvalue())
        data = generate_dataset(cfg, seed, sink=stream.write)
        # Closed only when whole: closing a frame short of its declared size (after Ctrl-C or a full disk) would
        # raise its own error over the real one; the half-written temporary file is discarded either way.
        stream.close()
    write_with(out / "meta.npz", lambda p: np.savez(p, **{f: getattr(data, f) for f in LABEL_FIELDS}))
    write_json(out / "prompts.json", data.prompts)
    return data


def read_clips(path: Path) -> np.ndarray:
    """Decompress clips.npy.zst into memory: uint8 (N, T, H, W, 3)."""
    try:
        with open(path, "rb") as file, zstandard.ZstdDecompressor().stream_reader(file) as stream:
            np.lib.format.read_magic(stream)
            shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
            clips = np.empty(shape, dtype=dtype)
            view, filled = memoryview(clips).cast("B"), 0
            while filled < len(view):
                read = stream.readinto(view[filled:])
                if not read:
                    raise ValueError(f"ends after {filled} of {len(view)} bytes")
                filled += read
    except (zstandard.ZstdError, ValueError) as err:
        raise T2VError(
            f"dataset file {str(path)!r} is truncated or corrupt ({err}): "
            "run `dvc repro generate-dataset` (or `dvc pull`)"
        ) from None
    return clips


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


def load_dataset(data_dir: str | Path) -> Dataset:
    path = Path(data_dir)
    needed = [path / n for n in (CLIPS_FILE, "meta.npz", "prompts.json")]
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        raise T2VError(
            f"dataset file(s) missing: {', '.join(missing)}: run `dvc repro generate-dataset` first"
        )
    clips = read_clips(needed[0])
    with np.load(needed[1]) as meta:
        labels = {k: meta[k] for k in LABEL_FIELDS}
    prompts = json.loads(needed[2].read_text())
    return Dataset(clips=clips, prompts=prompts, **labels)
