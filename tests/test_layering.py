"""The package's layers, read from the source: no import cycle; the data and the model never import each
other; the pixel judges run without torch or the model; package __init__ files are docstrings only."""

import ast

import pytest

from tests.imports import ROOT, imports, modules


def _graph() -> dict[str, set[str]]:
    return {m: imports(m) for m in modules()}


def test_there_is_no_import_cycle():
    graph, state, cycles = _graph(), {}, []

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                cycles.append(trail[trail.index(target) :] + [target])
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = "done"

    for module in graph:
        if module not in state:
            visit(module, [module])
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("t2v/data/", ("t2v/model/", "t2v/train/", "t2v/sample/", "t2v/judge/")),
        ("t2v/model/", ("t2v/data/", "t2v/train/", "t2v/sample/", "t2v/judge/")),
        ("t2v/judge/", ("t2v/model/", "t2v/train/", "t2v/sample/")),
    ],
)
def test_a_layer_never_imports_the_ones_it_must_not(package, forbidden):
    found = {
        (module, target)
        for module, targets in _graph().items()
        if module.startswith(package)
        for target in targets
        if target.startswith(forbidden)
    }
    assert not found, f"{package} imports what it must not: {sorted(found)}"


def _third_party(module: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse((ROOT / module).read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_the_pixel_judges_never_import_torch():
    users = [m for m in modules() if m.startswith("t2v/judge/") and "torch" in _third_party(m)]
    assert not users, f"{users} import torch: the pixel judges must read clips as numpy arrays"


def test_package_inits_are_docstrings_only_and_no_import_is_relative():
    # tests/imports.py leaves __init__ files out of every closure, which is right only while they run nothing.
    for init in ROOT.glob("t2v/**/__init__.py"):
        body = ast.parse(init.read_text()).body
        kinds = [type(node).__name__ for node in body]
        assert kinds in (["Expr"], ["Expr", "Assign"]), f"{init} should hold a docstring only, found {kinds}"
    relative = [
        m
        for m in modules()
        if any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(ast.parse((ROOT / m).read_text())))
    ]
    assert not relative, f"relative imports in {relative}: tests/imports.py resolves absolute ones only"
