"""A failed run never costs a good output, driven through DVC as a user would, on tiny params in a temporary
repository: a bad param, a failing experiment, Ctrl-C in training, a full disk in sample-video. Every output
is persist in dvc.yaml (DVC deletes none before a stage runs) and each stage swaps its outputs in as one
set."""

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import yaml

from tests.conftest import ROOT, TINY, commit_all, make_repo_copy, run

pytestmark = pytest.mark.slow
OUTPUTS = ("data", "models", "reports")
EPOCHS_TO_INTERRUPT = 8


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    repo = make_repo_copy(tmp_path_factory.mktemp("reliable"), TINY)
    run(["dvc", "repro", "-q"], repo)
    commit_all(repo, "first run")
    return repo


@pytest.fixture(autouse=True)
def clean_params(repo):
    yield
    run(["git", "checkout", "--", "params.yaml"], repo)


def snapshot(repo) -> dict[str, str]:
    """Every pipeline output file (temporary ones included) with its md5."""
    return {
        str(path.relative_to(repo)): hashlib.md5(path.read_bytes()).hexdigest()
        for top in OUTPUTS
        for path in sorted((repo / top).rglob("*"))
        if path.is_file() and not path.name.startswith(".train_state.pt.lock")
    }


def set_param(repo, section: str, key: str, value) -> None:
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params[section][key] = value
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def failed_repro(repo, *args: str) -> str:
    result = run(["dvc", *args], repo, check=False)
    assert result.returncode != 0, result.stdout
    return result.stdout + result.stderr


def test_a_bad_data_param_fails_before_any_output_is_removed(repo):
    before = snapshot(repo)
    set_param(repo, "data", "size", 17)
    out = failed_repro(repo, "repro")
    assert "data.size" in out and "Traceback" not in out, out
    assert snapshot(repo) == before


def test_a_typo_under_train_keeps_the_generator(repo):
    before = snapshot(repo)
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["train"]["epoch"] = 3
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    out = failed_repro(repo, "repro")
    assert "train.epoch" in out and "Traceback" not in out, out
    assert snapshot(repo) == before


def test_a_failing_experiment_keeps_the_generator(repo):
    before = snapshot(repo)
    out = failed_repro(repo, "exp", "run", "-S", "train.epochs=0")
    assert "train.epochs" in out, out
    assert snapshot(repo) == before
    run(["t2v", "generate", "circle moving up", "-o", str(repo / "../after.npy"), "--n", "1"], repo)


def test_ctrl_c_in_a_fresh_training_run_keeps_the_model_and_its_history_then_resumes(repo):
    before = snapshot(repo)
    set_param(repo, "train", "epochs", EPOCHS_TO_INTERRUPT)
    env = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}"}
    # Ctrl-C reaches a terminal's foreground job with SIGINT at its default. A test run started in the
    # background (`cmd &` in a script) inherits it ignored, and so would dvc and the stage, which would then
    # train on: with a handler here, the child starts with the default, as from a terminal.
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen(
            ["dvc", "repro"],
            cwd=repo,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    finally:
        signal.signal(signal.SIGINT, inherited)
    lines: list[str] = []

    def read_output() -> None:
        for line in proc.stdout:
            lines.append(line)

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    # The epoch's summary line (not its progress bar) is printed once its state is saved: from there a
    # stopped run has something to resume.
    deadline = time.time() + 300
    first_epoch = f"epoch 1/{EPOCHS_TO_INTERRUPT}: loss_d="
    while not any(line.startswith(first_epoch) for line in lines) and proc.poll() is None:
        assert time.time() < deadline, "".join(lines)
        time.sleep(0.1)
    assert proc.poll() is None, "training ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group: dvc and the stage
    proc.wait(timeout=120)
    reader.join(timeout=10)
    out = "".join(lines)
    assert proc.returncode != 0, out
    assert "earlier outputs are intact" in out and "Traceback" not in out, out
    after = snapshot(repo)
    for name in ("models/generator.pt", "reports/train/metrics.json", "reports/train/params.yaml"):
        assert after[name] == before[name], f"{name} changed by an interrupted run"
    assert {k for k in before if k.startswith("reports/train/")} == {
        k for k in after if k.startswith("reports/train/")
    }, "the old run's history is whole"

    out = run(["dvc", "repro"], repo).stdout
    assert "resuming" in out, out
    facts = yaml.safe_load((repo / "reports/train/params.yaml").read_text())
    assert facts["epochs"] == EPOCHS_TO_INTERRUPT
    steps = [
        int(line.split("\t")[0])
        for line in (repo / "reports/train/plots/metrics/train/loss_d.tsv").read_text().splitlines()[1:]
    ]
    assert steps == sorted(set(steps)) and steps[-1] == facts["steps"], "one history, no fold, no duplicate"
    assert not (repo / "reports/.train.partial").exists()


def test_a_full_disk_in_sample_video_keeps_the_old_set_of_six(repo):
    run(["dvc", "repro"], repo)  # whatever ran before, a consistent set to start from
    before = snapshot(repo)
    set_param(repo, "sample", "fps", 4)
    stage = f"'{sys.executable}' -m stages.sample_video"
    result = subprocess.run(
        ["bash", "-c", f"ulimit -f 4; exec {stage}"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("t2v: error: ") and "Traceback" not in result.stderr, result.stderr
    assert "reports/videos/" in lines[-1] and "t2v-tmp" not in lines[-1], (
        "the user's path, not a temporary one"
    )
    assert snapshot(repo) == before
