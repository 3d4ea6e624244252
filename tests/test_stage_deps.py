"""Every t2v module a stage runs, directly or through other modules, is a dependency of that stage in
dvc.yaml, and nothing else is: DVC caching is only as exact as these lists. A dep may name a folder where the
stage runs every module in it."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, run
from tests.imports import closure, modules

# Modules that cannot change a stage's outputs: errors and plumbing (atomic writes, the stage runner, devices)
# and params validation, which accepts or refuses a run but never changes what it writes. What they import is
# theirs, not the stage's: validation draws training prompts, but a stage that never draws them does not rerun
# when the drawing changes.
NOT_OUTPUT_DEFINING = frozenset(
    {"t2v/errors.py", "t2v/atomic.py", "t2v/stage.py", "t2v/devices.py", "t2v/config.py", "t2v/params.py"}
)
READ_ONLY_IMPORTS = {
    "train-gan": {"t2v/data/dataset.py"},  # reads what generate-dataset wrote
}
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def _script(stage: dict) -> str:
    return stage["cmd"].split("-m ")[1].split()[0].replace(".", "/") + ".py"


def _runs(name: str) -> set[str]:
    return closure(_script(STAGES[name]), NOT_OUTPUT_DEFINING) - NOT_OUTPUT_DEFINING


def _listed(name: str) -> set[str]:
    """The t2v modules a stage's deps cover, each folder expanded to its modules."""
    covered = set()
    for dep in STAGES[name]["deps"]:
        if dep.startswith("t2v/"):
            covered |= {m for m in modules() if m == dep or m.startswith(dep.rstrip("/") + "/")}
    return covered


def test_the_import_reader_resolves_packages():
    # A reader that saw only flat `t2v/<name>.py` modules would find no dependency at all in a subpackage and
    # let every check below pass silently.
    runs = _runs("train-gan")
    assert {"t2v/model/generator.py", "t2v/train/losses.py", "t2v/model/paths.py"} <= runs
    assert all((ROOT / m).is_file() for m in runs)


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_lists_every_module_it_runs(name):
    stage = STAGES[name]
    needed = _runs(name) - READ_ONLY_IMPORTS.get(name, set())
    assert _script(stage) in stage["deps"]
    assert not needed - _listed(name), (
        f"{name} runs {sorted(needed - _listed(name))}, not in its dvc.yaml deps"
    )


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_lists_no_module_it_does_not_run(name):
    # A module listed but never run reruns the stage for nothing when it changes.
    extra = _listed(name) - _runs(name)
    assert not extra, f"{name} lists {sorted(extra)} in its dvc.yaml deps but never runs them"


def _pipeline_copy(dest: Path) -> Path:
    """The pipeline's code, params and committed dvc.lock in a fresh git repository (no data)."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in files:
        if (ROOT / name).is_file() and name.startswith(("t2v/", "stages/", "dvc.", ".dvc/", "params.yaml")):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    run(["git", "init", "-q"], dest)
    return dest


def _changed_deps(repo: Path) -> dict[str, set[str]]:
    """`dvc status` on the committed dvc.lock: stage -> its changed deps (a folder dep named as the folder,
    params as params.yaml)."""
    status = run([sys.executable, "-m", "dvc", "status", "--json"], repo).stdout
    return {
        stage: {dep for entry in entries if isinstance(entry, dict) for dep in entry.get("changed deps", {})}
        for stage, entries in yaml.safe_load(status).items()
    }


@pytest.mark.slow
def test_editing_what_sample_video_judges_reruns_only_the_evaluation(tmp_path):
    """An edit to the evaluation prompts must leave the data and the 11-minute training cached: `dvc status`
    on the committed dvc.lock names the edited module as a changed dep of sample-video alone."""
    repo = _pipeline_copy(tmp_path)
    with open(repo / "t2v/judge/eval_sets.py", "a") as source:
        source.write("\n# an edit\n")
    code = {
        stage: {d for d in deps if d.startswith(("t2v", "stages"))}
        for stage, deps in _changed_deps(repo).items()
    }
    assert {stage: deps for stage, deps in code.items() if deps} == {"sample-video": {"t2v/judge"}}, (
        "dvc.lock is stale, or the edit reaches another stage"
    )


@pytest.mark.slow
def test_a_gan_param_retrains_the_gan_but_never_the_learned_judge(tmp_path):
    """train.lr is the GAN's alone: train-gan (and the report, which lists every param) reruns; train-judge,
    frozen on real clips, does not, so two commits' generators are compared by one judge."""
    repo = _pipeline_copy(tmp_path)
    params = (repo / "params.yaml").read_text()
    assert "  lr: 0.0002" in params
    (repo / "params.yaml").write_text(params.replace("  lr: 0.0002", "  lr: 0.0003", 1))
    changed = {stage for stage, deps in _changed_deps(repo).items() if "params.yaml" in deps}
    assert "train-gan" in changed, "the edit did not reach train-gan: the test edits nothing"
    assert "train-judge" not in changed
