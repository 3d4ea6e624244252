"""Atomic writes. Each output is written under a temporary name beside it and renamed into place, so a crash
never leaves half a file; a stage's outputs are swapped in together (`output_set`), so a failure at any point
before the swap, or in it, leaves the previous set whole. Writing to a symlink writes to the file it points
to, and a read-only file is not replaced, as `cp` does."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from t2v.errors import T2VError

NAME_MAX = 255  # bytes in one file name on Linux and macOS file systems
_TEMP = re.compile(r"^\..*\.(\d+)-[0-9a-f]{6}\.t2v-tmp")  # the temporary names _temp_beside makes


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def clear_stale_temps(folder: Path) -> None:
    """Remove the temporary files and folders that killed processes (kill -9) left in folder."""
    for entry in folder.iterdir() if folder.is_dir() else ():
        match = _TEMP.match(entry.name)
        if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
            _remove(entry)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _temp_beside(target: Path) -> Path:
    """A fresh hidden name beside target, keeping its suffix (writers pick the format by it), within
    NAME_MAX however long the target's name is."""
    suffix = target.suffix if len(target.suffix) <= 16 else ""
    tag = f".{os.getpid()}-{secrets.token_hex(3)}.t2v-tmp{suffix}"
    stem = target.name.encode()[: NAME_MAX - 1 - len(tag.encode())].decode(errors="ignore")
    return target.with_name(f".{stem}{tag}")


def _resolve_target(target: str | os.PathLike) -> Path:
    """The path an output goes to, refused in one line naming the user's path where `cp` would refuse:
    a read-only file, or a parent that is a file (where mkdir would say "File exists")."""
    target = Path(target)
    if target.is_symlink():
        target = target.resolve()  # write through the link, as cp does
    # By its mode bits, not os.access: root may write anything, yet a file made read-only is meant to stay.
    if target.is_file() and not target.stat().st_mode & 0o222:
        raise T2VError(f"{str(target)!r} is read-only: make it writable (chmod u+w) or write elsewhere")
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise T2VError(f"cannot write {str(target)!r}: {str(parent)!r} is a file, not a folder")
            break
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


class OutputSet:
    """Outputs written under temporary names, to be swapped in together by commit()."""

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path, bool]] = []  # (target, temporary, whether to delete it unused)

    def file(self, target: str | os.PathLike) -> Path:
        """A temporary path (no file there yet) that will become target."""
        return self._stage(target, make=None)

    def folder(self, target: str | os.PathLike) -> Path:
        """A fresh, empty temporary folder that will become target."""
        return self._stage(target, make=lambda tmp: tmp.mkdir(mode=0o755))

    def adopt(self, target: str | os.PathLike, source: Path) -> None:
        """Swap source (an existing file or folder, built over several runs) in as target."""
        self._staged.append((_resolve_target(target), Path(source), False))

    def text(self, target: str | os.PathLike, text: str) -> None:
        self.file(target).write_text(text)

    def json(self, target: str | os.PathLike, data: Any, sort_keys: bool = True) -> None:
        self.text(target, json_text(data, sort_keys))

    def _stage(self, target: str | os.PathLike, make: Callable[[Path], Any] | None) -> Path:
        resolved = _resolve_target(target)
        clear_stale_temps(resolved.parent)
        tmp = _temp_beside(resolved)
        self._staged.append((resolved, tmp, True))
        if make is not None:
            make(tmp)
        return tmp

    def commit(self) -> None:
        """Move each old output aside and its new one in; if any move fails, put every old one back."""
        swapped: list[tuple[Path, Path | None]] = []
        try:
            for target, tmp, _ in self._staged:
                backup = None
                if os.path.lexists(target):
                    backup = _temp_beside(target)
                    os.replace(target, backup)
                swapped.append((target, backup))
                os.replace(tmp, target)
        except BaseException:
            for target, backup in reversed(swapped):
                if backup is not None:
                    _remove(target)
                    os.replace(backup, target)
            raise
        for _, backup in swapped:
            if backup is not None:
                _remove(backup)
        self._staged = []

    def discard(self) -> None:
        for _, tmp, owned in self._staged:
            if owned:
                _remove(tmp)
        self._staged = []

    def user_path(self, text: str) -> str:
        """text naming the user's paths where it named a temporary one (or a file in a temporary folder)."""
        for target, tmp, _ in self._staged:
            text = text.replace(str(tmp), str(target))
        return text

    def name_targets(self, err: Exception) -> None:
        """Name the user's paths in err, never a temporary one."""
        if isinstance(err, OSError):
            for field in ("filename", "filename2"):
                if getattr(err, field, None) is not None:
                    setattr(err, field, self.user_path(os.fspath(getattr(err, field))))
        elif isinstance(err, T2VError) and err.args:
            err.args = (self.user_path(str(err.args[0])), *err.args[1:])


@contextlib.contextmanager
def output_set() -> Iterator[OutputSet]:
    """Stage outputs in the block; when it ends well they replace the old ones together, and when it fails the
    old ones stay and the temporary ones go."""
    outputs = OutputSet()
    try:
        yield outputs
        outputs.commit()
    except (OSError, T2VError) as err:
        outputs.name_targets(err)
        raise
    finally:
        outputs.discard()


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path with the target's suffix; on success it replaces the target."""
    with output_set() as outputs:
        yield outputs.file(target)


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a fresh temporary directory; on success it takes the target's place whole."""
    with output_set() as outputs:
        yield outputs.folder(target)


def write_with(target: str | os.PathLike, writer: Callable[[Path], Any]) -> None:
    """Call writer(temp_path), then move the temp file onto target."""
    with atomic_path(target) as tmp:
        writer(tmp)


def json_text(data: Any, sort_keys: bool = True) -> str:
    return json.dumps(data, indent=2, sort_keys=sort_keys) + "\n"


def write_text(target: str | os.PathLike, text: str) -> None:
    write_with(target, lambda p: p.write_text(text))


def write_json(target: str | os.PathLike, data: Any, sort_keys: bool = True) -> None:
    write_text(target, json_text(data, sort_keys))
