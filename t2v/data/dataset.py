"""The stored training set: its file layout and reading it back (training reads it; make_dataset writes it).

On disk it is one directory of a few files: clips.npy.zst (the .npy of uint8 N, T, H, W, 3, zstd-compressed:
`zstd -d` gives a plain .npy), meta.npz (per-clip labels and per-frame ground-truth centres and half-sizes, of
the first object and, prefixed `second_`, of a two-object clip's second: shape -1 where a clip has one) and
prompts.json; the held-out manifest lies beside it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import zstandard

from t2v.errors import T2VError

CLIPS_FILE = "clips.npy.zst"
LABEL_FIELDS = ("shape", "colour", "motion", "centres", "sizes")  # per-clip arrays stored in meta.npz
SECOND = "second_"  # meta.npz's prefix of the second object's fields


@dataclass
class Dataset:
    clips: np.ndarray | None  # uint8 (N, T, H, W, 3); None until rendered (tracks only)
    shape: np.ndarray  # (N,) index into SHAPES
    colour: np.ndarray  # (N,) index into COLOUR_NAMES
    motion: np.ndarray  # (N,) index into MOTIONS
    centres: np.ndarray  # float32 (N, T, 2), (x, y) pixels
    sizes: np.ndarray  # float32 (N, T), half-size pixels
    prompts: list[str]
    # The second object of two-object clips, LABEL_FIELDS each (N, ...), shape -1 on one-object rows; None
    # when no clip has two. The first object (the fields above) is drawn in front.
    second: dict[str, np.ndarray] | None = None

    @property
    def objects(self) -> np.ndarray:
        """(N,) objects per clip, 1 or 2."""
        return 1 + (self.second["shape"] >= 0 if self.second is not None else np.zeros(len(self.shape), bool))

    def fields(self) -> dict[str, np.ndarray]:
        """What meta.npz holds."""
        second = {SECOND + k: v for k, v in (self.second or {}).items()}
        return {**{f: getattr(self, f) for f in LABEL_FIELDS}, **second}


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
        second = {k: meta[SECOND + k] for k in LABEL_FIELDS} if SECOND + "shape" in meta else None
    prompts = json.loads(needed[2].read_text())
    return Dataset(clips=clips, prompts=prompts, second=second, **labels)
