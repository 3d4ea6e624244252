"""Outputs are replaced whole or not at all, alone or as a stage's set; errors name the user's path; the
temporary files of a killed process are cleared; symlinks and read-only files are treated as cp does."""

import json
import os
import subprocess
import sys

import pytest

from t2v import atomic
from t2v.atomic import atomic_dir, atomic_path, output_set, write_json
from t2v.errors import T2VError


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _old_set(tmp_path):
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos/old.gif").write_bytes(b"old")
    write_json(tmp_path / "metrics.json", {"motion": 0.5})
    write_json(tmp_path / "scores.json", {"old": True})
    return {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}


def _tree(tmp_path):
    return {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}


def test_a_set_that_fails_part_way_leaves_the_old_set_whole_and_no_temporary_files(tmp_path):
    before = _old_set(tmp_path)
    with pytest.raises(OSError), output_set() as out:
        (out.folder(tmp_path / "videos") / "new.gif").write_bytes(b"new")
        out.json(tmp_path / "metrics.json", {"motion": 0.9})
        raise OSError(27, "File too large")  # as a write past `ulimit -f` fails
    assert _tree(tmp_path) == before


def test_a_failed_swap_puts_back_the_outputs_already_swapped(tmp_path, monkeypatch):
    before = _old_set(tmp_path)
    real_replace, calls = os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if str(dst).endswith("scores.json") and len(calls) == 6:
            raise OSError(5, "Input/output error")  # the third output's new file fails to move in
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    with pytest.raises(OSError), output_set() as out:
        (out.folder(tmp_path / "videos") / "new.gif").write_bytes(b"new")
        out.json(tmp_path / "metrics.json", {"motion": 0.9})
        out.json(tmp_path / "scores.json", {"new": True})
    assert _tree(tmp_path) == before
    assert len(calls) > 6, "the first two outputs were swapped in, and put back"


def test_a_set_that_ends_well_replaces_every_output(tmp_path):
    _old_set(tmp_path)
    with output_set() as out:
        (out.folder(tmp_path / "videos") / "new.gif").write_bytes(b"new")
        out.json(tmp_path / "metrics.json", {"motion": 0.9})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json", "scores.json", "videos"]
    assert [p.name for p in (tmp_path / "videos").iterdir()] == ["new.gif"]
    assert json.loads((tmp_path / "metrics.json").read_text()) == {"motion": 0.9}


def test_temporary_outputs_of_a_dead_process_are_cleared_and_a_live_ones_kept(tmp_path):
    dead, alive = _dead_pid(), os.getppid()
    stale_dir = tmp_path / f".videos.{dead}-abcdef.t2v-tmp"
    stale_dir.mkdir()
    (stale_dir / "half.gif").write_bytes(b"x")
    stale_file = tmp_path / f".clips.npy.{dead}-123456.t2v-tmp.npy"
    stale_file.write_bytes(b"x" * 1000)
    busy = tmp_path / f".clips.npy.{alive}-654321.t2v-tmp.npy"
    busy.write_bytes(b"y")
    with atomic_dir(tmp_path / "videos") as tmp:
        (tmp / "a.gif").write_bytes(b"a")
    assert sorted(p.name for p in tmp_path.iterdir()) == [busy.name, "videos"]


def test_a_254_character_name_is_written(tmp_path):
    target = tmp_path / ("c" * 250 + ".gif")
    with atomic_path(target) as tmp:
        assert len(tmp.name.encode()) <= 255 and tmp.suffix == ".gif"
        tmp.write_bytes(b"gif")
    assert target.read_bytes() == b"gif"


def test_a_failed_write_names_the_users_path_not_the_temporary_one(tmp_path):
    target = tmp_path / "out.gif"
    with pytest.raises(OSError) as err, atomic_path(target) as tmp:
        raise OSError(30, "Read-only file system", str(tmp))
    assert err.value.filename == str(target)


def test_writing_to_a_symlink_writes_through_it_as_cp_does(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_json(link, [1])
    assert link.is_symlink() and json.loads(real.read_text()) == [1]


def test_a_read_only_file_is_not_replaced(tmp_path):
    target = tmp_path / "keep.json"
    target.write_text("{}")
    target.chmod(0o444)
    with pytest.raises(T2VError, match="read-only"):
        write_json(target, [1])
    assert target.read_text() == "{}"


def test_a_path_under_a_regular_file_is_refused_naming_the_file(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(T2VError, match="notes.txt' is a file, not a folder"):
        write_json(tmp_path / "notes.txt/out.json", [1])
