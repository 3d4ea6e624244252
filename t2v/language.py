"""The prompt language described for a person (`t2v words`, `t2v generate --help`): its words by role, and
what training held out, read from the repository's params.yaml."""

from __future__ import annotations

import textwrap
from pathlib import Path

from t2v.config import DataConfig
from t2v.errors import T2VError
from t2v.prompts import COLOURS, CONJUNCTION, DEFAULT_COLOUR, DIAGONALS, MOTIONS, SHAPES, grouped


def find_repository(start: Path | None = None) -> Path | None:
    """The t2v repository holding start (default: here): the nearest directory up from it with a dvc.yaml."""
    here = (start or Path.cwd()).resolve()
    return next((d for d in (here, *here.parents) if (d / "dvc.yaml").is_file()), None)


def repository_file(relative: str, what: str, flag: str) -> Path:
    """A default path (models/generator.pt, say) in the repository this command runs in; one line saying
    where it looked when there is none."""
    root = find_repository()
    if root is None:
        raise T2VError(
            f"no t2v repository at or above {str(Path.cwd())!r} (no dvc.yaml) to find the {what} {relative} "
            f"in: run inside one, or pass {flag}"
        )
    return root / relative


def _heldout(params: Path | None) -> tuple[DataConfig, str]:
    """The data params that say what training held out, and the file they came from: params (a bad one fails
    in one line), else the repository's params.yaml where it reads, else the defaults."""
    from t2v.params import load_config

    if params is not None:
        return load_config(params).data, str(params)
    root = find_repository()
    if root is not None:
        try:
            return load_config(root / "params.yaml").data, str(root / "params.yaml")
        except T2VError:
            pass
    return DataConfig(), "the default params"


def describe(params: Path | None = None, width: int = 100) -> str:
    """The words by role, then the prompts and pairings training held out (t2v words, and the help of the
    commands that take a prompt)."""
    data, source = _heldout(params)

    def wrap(label: str, text: str) -> str:
        indent = f"  {label:8s} "
        return textwrap.fill(
            text, width, initial_indent=indent, subsequent_indent=" " * len(indent), break_on_hyphens=False
        )

    diagonal = f"moving diagonally {DIAGONALS[0]}"
    pairings = "; ".join(" + ".join(pair) for pair in data.heldout_pairings) or "none"
    return "\n".join(
        [
            f"Prompts: [colour] shape motion, or two objects joined by '{CONJUNCTION}' (the first in front).",
            wrap("colours", f"{', '.join(COLOURS)} (none named: {DEFAULT_COLOUR})"),
            wrap("shapes", ", ".join(SHAPES)),
            wrap("motions", f"{grouped(MOTIONS)}; a diagonal may be written '{diagonal}'"),
            f"Held out of training ({source}), so judged as new to the model:",
            wrap("prompts", "; ".join(f"{shape} {motion}" for shape, motion in data.heldout)),
            wrap("pairings", f"{pairings} (never together in one two-object clip)"),
            "e.g. 'red square moving up-right', 'red circle moving left and blue square moving up'",
        ]
    )
