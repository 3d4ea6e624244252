"""Checkpoints: a self-describing generator file (weights, model config, vocabulary) and a resumable
training state, both plain tensors and containers that load with torch.load(weights_only=True)."""

from __future__ import annotations

import pickle
import pickletools
import re
import warnings
import zipfile
from pathlib import Path

import torch

from t2v.atomic import OutputSet, write_with
from t2v.config import ModelConfig
from t2v.errors import T2VError
from t2v.model.build import build_generator

FORMAT = "t2v-generator-1"


def save(obj: dict, path: str | Path, into: OutputSet | None = None) -> None:
    """Write obj to path atomically, or, given an output set, as one of its outputs."""

    # Saved through a file object: given a path, torch names the archive's root folder after the file, and the
    # atomic write's temporary name is random, so the same weights would give different bytes (and DVC
    # hashes).
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as file:
            torch.save(obj, file)

    try:
        if into is None:
            write_with(path, write)
        else:
            write(into.file(path))
    # torch reports a failed write (a full disk) as a RuntimeError from its archive writer
    except RuntimeError as err:
        raise T2VError(
            f"writing {str(path)!r} failed ({str(err).splitlines()[0][:120]}): is the disk full? "
            "the previous file there is untouched"
        ) from None


def _named_call(path: Path, max_ops: int = 100_000) -> str | None:
    """The first class or function a raw pickle (not torch's zip format) names, read with pickletools, which
    only parses: None where it names none, or is no pickle."""
    strings: list[str] = []
    try:
        with open(path, "rb") as file:
            for count, (op, arg, _) in enumerate(pickletools.genops(file)):
                if op.name == "GLOBAL":
                    return f"global {arg.replace(' ', '.')}"
                if op.name == "STACK_GLOBAL" and len(strings) >= 2:
                    return f"global {'.'.join(strings[-2:])}"
                if isinstance(arg, str):
                    strings.append(arg)
                if count >= max_ops:
                    break
    except Exception:  # not a pickle, or a damaged one: the caller says so
        return None
    return None


def load(path: str | Path, what: str, hint: str) -> dict:
    """Load with weights_only=True: a file that holds pickled code is refused, a damaged one named."""
    path = Path(path)
    if not path.exists():
        raise T2VError(f"{what} {str(path)!r} not found: {hint}")
    try:
        with warnings.catch_warnings():  # torch warns of a raw pickle's protocol before refusing it
            warnings.simplefilter("ignore")
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        found = re.search(r"(unsupported GLOBAL [^\s]+|Unsupported global: [^\s]+)", str(err), re.IGNORECASE)
        call = found.group(1) if found else _named_call(path)
        if call:  # a class or function reference: loading it could run code
            raise T2VError(
                f"{what} {str(path)!r} was refused: it holds pickled code ({call}), "
                "not only tensors; never load it with weights_only=False"
            ) from None
        raise T2VError(
            f"{what} {str(path)!r} is truncated or corrupt (not a readable checkpoint): {hint}"
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError, IndexError, KeyError) as err:
        # IndexError and KeyError: a damaged pickle stream pops an empty stack or reads an unset memo slot
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise T2VError(f"{what} {str(path)!r} is truncated or corrupt ({first}): {hint}") from None
    if not isinstance(obj, dict):
        raise T2VError(f"{what} {str(path)!r} is not a t2v checkpoint: {hint}")
    return obj


def generator_payload(
    generator: torch.nn.Module, model: ModelConfig, vocab: list[str], frames: int, size: int
) -> dict:
    return {
        "format": FORMAT,
        "model": {**vars(model)},
        "frames": frames,
        "size": size,
        "vocab": list(vocab),
        "state_dict": {k: v.detach().cpu() for k, v in generator.state_dict().items()},
    }


def load_generator(path: str | Path) -> tuple[torch.nn.Module, list[str], dict]:
    """Return the generator in eval mode, its vocabulary, and the raw payload."""
    payload = load(path, "generator checkpoint", "run `dvc repro train-gan` (or `dvc pull`) first")
    if "fingerprint" in payload and "G" in payload:
        raise T2VError(
            f"{str(path)!r} is a training state, not a generator checkpoint: pass the generator the same run "
            "wrote (models/generator.pt by default)"
        )
    if payload.get("format") != FORMAT:
        raise T2VError(
            f"generator checkpoint {str(path)!r} has format {payload.get('format')!r}, expected {FORMAT!r}: "
            "run `dvc repro train-gan`"
        )
    try:
        model = ModelConfig(**payload["model"])
        generator = build_generator(model, payload["vocab"], payload["frames"], payload["size"])
        generator.load_state_dict(payload["state_dict"])
    except (KeyError, TypeError, RuntimeError) as err:
        first = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
        raise T2VError(
            f"generator checkpoint {str(path)!r} does not fit this version of t2v ({first}): it was made by "
            "another version or with other model params; retrain with `dvc repro train-gan`"
        ) from None
    return generator.eval(), payload["vocab"], payload
