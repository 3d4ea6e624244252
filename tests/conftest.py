"""Shared fixtures: tiny configs, a tiny trained generator, and a temporary git+DVC copy of the repository."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from t2v.config import Config, DataConfig, JudgeConfig, ModelConfig, SampleConfig, TrainConfig

ROOT = Path(__file__).resolve().parents[1]
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Two workers share the two cores: one thread each (and in the stages they start) rather than four
    # threads contending for two.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
TINY = {
    "data": {"n_clips": 96, "frames": 8, "size": 16, "pair_share": 0.25},
    "model": {"text_dim": 16, "noise_dim": 8, "g_channels": 16, "d_channels": 8},
    "train": {"epochs": 1, "batch_size": 16, "log_every": 1},
    "judge": {"clips": 64, "epochs": 1, "test_clips": 32, "min_accuracy": 0.0},
    "sample": {
        "prompts": [
            "circle moving up-right",
            "red square shrinking",
            "red circle moving left and square moving up",
        ],
        "grid": 2,
        "eval_clips": 1,
    },
}


def tiny_config(**overrides: dict) -> Config:
    sections = {k: {**v, **overrides.get(k, {})} for k, v in TINY.items()}
    return Config(
        data=DataConfig(**sections["data"]),
        model=ModelConfig(**sections["model"]),
        train=TrainConfig(**sections["train"]),
        sample=SampleConfig(**sections["sample"]),
        judge=JudgeConfig(**sections["judge"]),
    )


@pytest.fixture
def tiny() -> Config:
    return tiny_config()


def run(
    cmd: list[str], cwd: Path, check: bool = True, env_extra: dict | None = None, **kw
) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONUNBUFFERED": "1",
        "DVC_NO_ANALYTICS": "1",
        **(env_extra or {}),
    }
    result = _run_bounded(cmd, cwd, env, **kw)
    if check and result.returncode:
        raise AssertionError(
            f"{cmd} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


def _run_bounded(cmd: list[str], cwd: Path, env: dict, timeout: float = 540) -> subprocess.CompletedProcess:
    """cmd with no stdin, in a process group of its own that is killed whole after `timeout` s: a grandchild
    left holding the output pipe (a browser's renderer, a DVC worker) cannot keep the test waiting."""
    with subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            raise AssertionError(f"{cmd} ran over {timeout} s:\n{out[-3000:]}\n{err[-3000:]}") from None
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def make_repo_copy(dest: Path, params_update: dict) -> Path:
    """A fresh git repository holding this checkout's files (as in the working tree) with tiny params."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in files:
        src = ROOT / name
        if src.is_file() and not name.startswith(("data/", "models/", "reports/")) and name != "dvc.lock":
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    params = yaml.safe_load((dest / "params.yaml").read_text())
    for section, values in params_update.items():
        if isinstance(values, dict):
            params[section].update(values)
        else:
            params[section] = values
    (dest / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(["git", "init", "-q"], dest)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A"], dest)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"], dest)
    return dest


def commit_all(repo: Path, message: str) -> None:
    run(["git", "add", "-A"], repo)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message], repo)


@pytest.fixture(scope="session")
def pipeline_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository copy on which `dvc repro` has run once with tiny params (shared by the pipeline tests)."""
    repo = make_repo_copy(tmp_path_factory.mktemp("repo"), TINY)
    run(["dvc", "repro", "-q"], repo)
    commit_all(repo, "first run")
    return repo


def train_into(cfg: Config, out: Path, data=None) -> dict:
    """Train on cfg (data generated when not given) into out: g.pt, state.pt and the dvclive run live/."""
    import torch

    from t2v.data.synthesize import generate_dataset
    from t2v.data.vocab import build_vocab
    from t2v.train.trainer import train

    data = data or generate_dataset(cfg.data, cfg.seed)
    return train(
        cfg,
        data,
        build_vocab(data.prompts),
        torch.device("cpu"),
        model_path=out / "g.pt",
        state_path=out / "state.pt",
        live_dir=out / "live",
    )


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generator checkpoint trained for one epoch on tiny params."""
    out = tmp_path_factory.mktemp("model")
    train_into(tiny_config(), out)
    return out / "g.pt"
