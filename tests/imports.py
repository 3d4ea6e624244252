"""The import graph of t2v's own modules, read from the source (nothing is imported): what each module
imports, resolved through packages, and what a script runs, transitively. Package `__init__` files hold
docstrings only (tests/test_layering.py checks it), so importing a package runs nothing of its own and they
are left out."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _as_file(dotted: str) -> str | None:
    """t2v.a.b -> 't2v/a/b.py' where that module exists (a package resolves to None: its __init__ is
    empty)."""
    path = ROOT / (dotted.replace(".", "/") + ".py")
    return str(path.relative_to(ROOT)) if path.exists() else None


def imports(path: str) -> set[str]:
    """The t2v modules (repository-relative .py paths) that the file imports directly."""
    found: set[str] = set()
    for node in ast.walk(ast.parse((ROOT / path).read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "t2v":
            for alias in node.names:  # `from t2v.pkg import module` names a module, not a value
                found.add(_as_file(f"{node.module}.{alias.name}") or "")
            found.add(_as_file(node.module) or "")
        elif isinstance(node, ast.Import):
            found |= {_as_file(a.name) or "" for a in node.names if a.name.split(".")[0] == "t2v"}
    return found - {""}


def closure(script: str, stop: frozenset[str] = frozenset()) -> set[str]:
    """Every t2v module the script runs, through the modules it imports; the imports of `stop` modules are
    not followed (they are reached, but what they import is theirs alone)."""
    todo, seen = [script], set()
    while todo:
        current = todo.pop()
        if current in stop:
            continue
        for module in imports(current) - seen:
            seen.add(module)
            todo.append(module)
    return seen


def modules() -> list[str]:
    """Every module of the t2v package but the (empty) package __init__ files."""
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "t2v").rglob("*.py") if p.name != "__init__.py")
