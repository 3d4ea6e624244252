"""Every t2v module a stage imports, directly or through other modules, is a dependency of that stage in
dvc.yaml, so that changing it reruns the stage: DVC caching is only as exact as these lists."""

import ast
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

# Modules that cannot change a stage's outputs: errors and plumbing (atomic writes, stage runner, devices),
# and modules a stage imports only to read files another stage wrote (their changes rerun that stage).
NOT_OUTPUT_DEFINING = {"t2v/errors.py", "t2v/atomic.py", "t2v/stage.py", "t2v/devices.py", "t2v/config.py"}
READ_ONLY_IMPORTS = {
    "train-gan": {"t2v/dataset.py"},  # reads what generate-dataset wrote
}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "t2v":
            names = [node.module] if node.module != "t2v" else [f"t2v.{a.name}" for a in node.names]
            found |= {f"{n.replace('.', '/')}.py" for n in names}
    return found


def _closure(script: str) -> set[str]:
    todo, seen = [script], set()
    while todo:
        for module in _imports(ROOT / todo.pop()) - seen:
            if (ROOT / module).exists():
                seen.add(module)
                todo.append(module)
    return seen


def _script(stage: dict) -> str:
    return stage["cmd"].split("-m ")[1].split()[0].replace(".", "/") + ".py"


STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_lists_every_module_it_runs(name):
    stage = STAGES[name]
    script = _script(stage)
    deps = set(stage["deps"])
    needed = _closure(script) - NOT_OUTPUT_DEFINING - READ_ONLY_IMPORTS.get(name, set())
    assert script in deps
    assert not needed - deps, f"{name} runs {sorted(needed - deps)} but does not list them in dvc.yaml"


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_lists_no_module_it_does_not_run(name):
    # A module listed but never imported reruns the stage for nothing when it changes.
    stage = STAGES[name]
    script = _script(stage)
    listed = {d for d in stage["deps"] if d.startswith("t2v/")}
    assert not listed - _closure(script), (
        f"{name} lists {sorted(listed - _closure(script))} but never runs them"
    )
