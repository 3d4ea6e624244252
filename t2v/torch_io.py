"""Torch files saved atomically and loaded safely: torch.load(weights_only=True), a file holding pickled code
refused with the call it names, a damaged one named with what rebuilds it."""

from __future__ import annotations

import pickle
import pickletools
import re
import struct
import warnings
import zipfile
from pathlib import Path

import torch

from t2v.atomic import OutputSet, write_with
from t2v.errors import T2VError


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
        # torch names the global it refused, module and name; a damaged file can hold a bare GLOBAL opcode
        # with neither ("GLOBAL ."), which names no code
        refused = r"(?:unsupported GLOBAL|Unsupported global: GLOBAL) ([A-Za-z_][\w.]*\.\w+)"
        found = re.search(refused, str(err))
        call = f"global {found.group(1)}" if found else _named_call(path)
        if call:  # a class or function reference: loading it could run code
            raise T2VError(
                f"{what} {str(path)!r} was refused: it holds pickled code ({call}), "
                "not only tensors; never load it with weights_only=False"
            ) from None
        raise T2VError(
            f"{what} {str(path)!r} is truncated or corrupt (not a readable checkpoint): {hint}"
        ) from None
    except (
        RuntimeError,
        EOFError,
        zipfile.BadZipFile,
        ValueError,
        OSError,
        IndexError,
        KeyError,
        struct.error,
    ) as err:
        # IndexError and KeyError: a damaged pickle stream pops an empty stack or reads an unset memo slot;
        # struct.error: it ends inside an opcode's argument
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise T2VError(f"{what} {str(path)!r} is truncated or corrupt ({first}): {hint}") from None
    if not isinstance(obj, dict):
        raise T2VError(f"{what} {str(path)!r} is not a t2v checkpoint: {hint}")
    return obj
