"""Stages fail in one line and lose nothing: a full disk, SIGTERM, a missing input, a stale temporary
folder."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from t2v.config import config_to_dict
from tests.conftest import ROOT, tiny_config


def _stage(module: str, cwd: Path, *args: str, limit_kb: int | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", f"stages.{module}", *args]
    if limit_kb:
        cmd = ["bash", "-c", f"ulimit -f {limit_kb}; exec " + " ".join(f"'{c}'" for c in cmd)]
    return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _params(tmp_path: Path, **data) -> None:
    cfg = config_to_dict(tiny_config())
    cfg["data"].update(data)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(cfg))


def _one_line(stderr: str, fragment: str) -> None:
    lines = stderr.strip().splitlines()
    assert lines and fragment in lines[-1] and "Traceback" not in stderr, stderr


def test_a_full_disk_in_generate_dataset_is_one_line_and_keeps_the_old_dataset(tmp_path):
    _params(tmp_path, n_clips=3000, size=32)
    proc = _stage("generate_dataset", tmp_path)
    assert proc.wait() == 0
    before = (tmp_path / "data/dataset/clips.npy.zst").read_bytes()
    _params(tmp_path, n_clips=3000, size=64)
    proc = _stage("generate_dataset", tmp_path, limit_kb=64)
    _, err = proc.communicate()
    assert proc.returncode == 2
    _one_line(err, "File too large")
    assert (tmp_path / "data/dataset/clips.npy.zst").read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["dataset", "heldout.json"]


def test_sigterm_in_generate_dataset_is_an_interrupt_not_a_zstd_error(tmp_path):
    _params(tmp_path, n_clips=200_000, size=32)
    proc = _stage("generate_dataset", tmp_path)
    time.sleep(3)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    _one_line(err, "interrupted")


def test_sample_video_reads_every_input_before_replacing_videos(tmp_path, tiny_model):
    _params(tmp_path)
    videos = tmp_path / "reports/videos"
    videos.mkdir(parents=True)
    (videos / "old.gif").write_bytes(b"old")
    proc = _stage("sample_video", tmp_path, str(tiny_model), "models/judge.pt", "missing.json")
    _, err = proc.communicate()
    assert proc.returncode == 2
    _one_line(err, "missing.json")
    (tmp_path / "heldout.json").write_text('{"pairs": []}')
    proc = _stage("sample_video", tmp_path, str(tiny_model), "models/judge.pt", "heldout.json")
    _, err = proc.communicate()
    assert proc.returncode == 2
    _one_line(err, "judge checkpoint 'models/judge.pt' not found: run `dvc repro train-judge`")
    assert [p.name for p in videos.iterdir()] == ["old.gif"]


def test_temporary_outputs_are_ignored_by_git():
    names = [
        "data/.dataset.412-a1b2c3.t2v-tmp/clips.npy.zst",
        "reports/.videos.9-0f0f0f.t2v-tmp/a.gif",
        "models/.generator.pt.77-abcdef.t2v-tmp.pt",
        "reports/.train.partial/metrics.json",
    ]
    result = subprocess.run(["git", "check-ignore", *names], cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.split() == names
    kept = subprocess.run(
        ["git", "check-ignore", "data/.gitignore"], cwd=ROOT, capture_output=True, text=True
    )
    assert kept.returncode == 1, "DVC's own .gitignore files stay tracked"


def test_a_python_without_the_packages_gets_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-S", "-m", "stages.generate_dataset"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"]},
    )
    assert result.returncode == 1
    _one_line(result.stderr, "lacks")


def test_a_missing_input_is_named_in_one_line(tmp_path):
    _params(tmp_path)
    proc = _stage("build_vocab", tmp_path)
    _, err = proc.communicate()
    assert proc.returncode == 2
    _one_line(err, "prompts.json")


def test_build_vocab_refuses_an_empty_prompt_list_keeping_the_old_vocabulary(tmp_path):
    _params(tmp_path)
    (tmp_path / "data/dataset").mkdir(parents=True)
    (tmp_path / "data/dataset/prompts.json").write_text("[]")
    (tmp_path / "data/vocab.json").write_text('["<pad>", "<unk>", "circle"]')
    proc = _stage("build_vocab", tmp_path)
    _, err = proc.communicate()
    assert proc.returncode == 2
    _one_line(err, "is truncated or corrupt (no prompts)")
    assert (tmp_path / "data/vocab.json").read_text() == '["<pad>", "<unk>", "circle"]'
