"""The stored training set: its file layout and reading it back (t2v.data.synthesize writes it).

On disk it is one directory of a few files: clips.npy.zst (the .npy of uint8 N, T, H, W, 3, zstd-compressed:
`zstd -d` gives a plain .npy), meta.npz (per-clip labels and per-frame ground-truth centres and half-sizes, of
the first object and, prefixed `second_`, of a two-object clip's second: shape -1 where a clip has one) and
prompts.json; the held-out manifest lies beside it.
"""

from __future__ import annotations

import json
import zipfile
import zlib
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
        raise _damaged("dataset file", path, str(err)) from None
    return clips


REBUILD = "run `dvc repro generate-dataset` (or `dvc pull`)"


def _damaged(what: str, path: Path, reason: str) -> T2VError:
    return T2VError(f"{what} {str(path)!r} is truncated or corrupt ({reason}): {REBUILD}")


def load_heldout(path: str | Path) -> set[tuple[str, str]]:
    path = Path(path)
    if not path.exists():
        raise T2VError(f"held-out manifest {str(path)!r} missing: run `dvc repro generate-dataset` first")
    try:
        return {(shape, motion) for shape, motion in json.loads(path.read_text())["pairs"]}
    except (ValueError, TypeError, KeyError) as err:  # bad JSON or bytes; not {"pairs": [[shape, motion]]}
        raise _damaged("held-out manifest", path, type(err).__name__) from None


def _read_meta(path: Path) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray] | None]:
    """meta.npz's labels of the first object and, where clips have two, of the second."""
    try:
        with np.load(path) as meta:
            labels = {k: meta[k] for k in LABEL_FIELDS}
            second = {k: meta[SECOND + k] for k in LABEL_FIELDS} if SECOND + "shape" in meta else None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise _damaged("dataset file", path, str(err).splitlines()[0][:80] or type(err).__name__) from None
    return labels, second


def read_prompts(path: str | Path, n: int | None = None) -> list[str]:
    """The dataset's prompts, one per clip (n of them, where given)."""
    path = Path(path)
    if not path.exists():
        raise T2VError(f"dataset file {str(path)!r} missing: run `dvc repro generate-dataset` first")
    try:
        prompts = json.loads(path.read_text())
    except ValueError as err:  # bad JSON or bytes
        raise _damaged("dataset file", path, type(err).__name__) from None
    if not (isinstance(prompts, list) and all(isinstance(p, str) for p in prompts)):
        raise _damaged("dataset file", path, "not a JSON list of prompts")
    if not prompts:
        raise _damaged("dataset file", path, "no prompts")
    if n is not None and len(prompts) != n:
        raise _damaged("dataset file", path, f"{len(prompts)} prompts for {n} clips")
    return prompts


def load_dataset(data_dir: str | Path) -> Dataset:
    path = Path(data_dir)
    needed = [path / n for n in (CLIPS_FILE, "meta.npz", "prompts.json")]
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        raise T2VError(
            f"dataset file(s) missing: {', '.join(missing)}: run `dvc repro generate-dataset` first"
        )
    clips = read_clips(needed[0])
    labels, second = _read_meta(needed[1])
    if any(len(v) != len(clips) for v in labels.values()):
        found = len(labels["shape"])
        raise _damaged("dataset file", needed[1], f"labels for {found} clips, not {len(clips)}")
    prompts = read_prompts(needed[2], len(clips))
    return Dataset(clips=clips, prompts=prompts, second=second, **labels)
