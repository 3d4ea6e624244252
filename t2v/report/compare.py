"""What this run changed against a baseline commit. The baseline is report.baseline (a git revision) where its
model differs from this run's, else the newest earlier commit whose model (models/generator.pt's md5 in
dvc.lock) differs: comparing a model with itself shows nothing. A per-motion or per-pair figure counts as
moved only past the run-to-run noise, and a fall past it is a regression even where every target still
holds."""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

MODEL = "models/generator.pt"
OUTPUTS = ("data/", "models/", "reports/", "dvc.lock")  # what a run writes: not "uncommitted changes"
HISTORY = 50  # commits searched for a different model
# Standard deviation of each kind of figure over evaluation seeds 0-4 of one model, RMS over its motions or
# pairs: `t2v noise` on the default model (e00f730b, 20 clips a prompt). The noisiest single figures: motion
# of bouncing vertically 0.018, diversity of bouncing horizontally 0.026, a pair's binding 0.17. Training-seed
# noise is larger and not measured (it takes five full trainings).
NOISE = {"motion": 0.0046, "diversity": 0.0169, "binding": 0.0589}
# Two evaluations each with noise s differ by s * sqrt(2) on average: a move counts past twice that.
MARGIN = 2 * math.sqrt(2)


def git(*args: str) -> str | None:
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def file_md5(path: str | Path) -> str | None:
    path = Path(path)
    return hashlib.md5(path.read_bytes()).hexdigest() if path.is_file() else None


def locked_model(lock_text: str | None) -> str | None:
    """models/generator.pt's md5 in a dvc.lock's text, None where it records none."""
    try:
        lock = YAML(typ="safe", pure=True).load(lock_text or "") or {}
        outs = lock["stages"]["train-gan"]["outs"]
    except Exception:  # not YAML, or not a dvc.lock with train-gan's outputs: no model to compare
        return None
    return next((out.get("md5") for out in outs if out.get("path") == MODEL), None)


@dataclass
class Baseline:
    commit: str  # short hash
    why: str  # how it was chosen, for the page
    metrics: dict
    scores: dict
    params: dict


def _at(commit: str, path: str, parse=json.loads) -> dict:
    try:
        return parse(git("show", f"{commit}:{path}") or "") or {}
    except Exception:  # absent at that commit, or not parseable: nothing to compare
        return {}


def find_baseline(rev: str, model_md5: str | None) -> Baseline | None:
    """The commit to compare with (see the module's docstring), None where git or the history has none."""
    asked = (git("rev-parse", "--short", "--verify", "--quiet", f"{rev}^{{commit}}") or "").strip()
    start = asked or "HEAD"
    for commit in (git("log", "--format=%h", "-n", str(HISTORY), start, "--", "dvc.lock") or "").split():
        other = locked_model(git("show", f"{commit}:dvc.lock"))
        if other is None or other == model_md5:
            continue
        metrics = _at(commit, "reports/metrics.json")
        if not metrics:
            continue
        if commit == asked:
            why = f"{rev}"
        elif asked:
            why = f"the newest commit before {rev} with another model ({rev} has this run's)"
        else:
            why = f"the newest earlier commit with another model ({rev!r} is not a revision here)"
        return Baseline(
            commit,
            why,
            metrics,
            _at(commit, "reports/scores.json"),
            _at(commit, "params.yaml", YAML(typ="safe", pure=True).load),
        )
    return None


def uncommitted() -> list[str] | None:
    """Tracked files changed since HEAD beyond what a run writes (None where git cannot tell)."""
    status = git("status", "--porcelain", "--untracked-files=no")
    if status is None:
        return None
    paths = [line[3:] for line in status.splitlines() if line[3:]]
    return [p for p in paths if not p.startswith(OUTPUTS)]


def figures(scores: dict) -> dict[str, float]:
    """The per-motion and per-pair figures compared: motion and diversity per motion, binding per pair."""
    out = {f"motion · {m}": v["motion_acc"] for m, v in scores.get("per_motion", {}).items()}
    out |= {f"diversity · {m}": v for m, v in scores.get("diversity", {}).get("per_motion", {}).items()}
    pairs = (scores.get("pairs") or {}).get("per_prompt", {})
    out |= {f"binding · {p}": v["binding"] for p, v in pairs.items()}
    return out


@dataclass
class Move:
    figure: str
    before: float
    after: float
    noise: float  # the smallest change that counts

    @property
    def change(self) -> float:
        return self.after - self.before


def moves(scores: dict, baseline_scores: dict) -> list[Move]:
    """The figures that moved past the noise, worst (largest fall) first."""
    now, then = figures(scores), figures(baseline_scores)
    found = []
    for name in sorted(now.keys() & then.keys()):
        bound = MARGIN * NOISE[name.split(" · ")[0]]
        if abs(now[name] - then[name]) > bound:
            found.append(Move(name, then[name], now[name], bound))
    return sorted(found, key=lambda m: (m.change, m.figure))


@dataclass
class RunContext:
    """Which code made this run, and what it is compared with."""

    commit: str
    changed: list[str] | None  # tracked files changed since the commit; None where git cannot tell
    baseline: Baseline | None

    def describe(self, code: str = "<code>{}</code>") -> str:
        """One line: the commit, the working tree's state and the baseline; code formats a commit hash."""
        state = (
            "state of the working tree unknown"
            if self.changed is None
            else f"with uncommitted changes to {', '.join(self.changed[:5])}"
            + (f" and {len(self.changed) - 5} more" if len(self.changed) > 5 else "")
            if self.changed
            else "clean working tree"
        )
        against = (
            f"compared with {code.format(self.baseline.commit)}: {self.baseline.why}"
            if self.baseline
            else "no earlier model to compare with"
        )
        return f"commit {code.format(self.commit)} ({state}) · {against}"


def run_context(rev: str, model: str | Path) -> RunContext:
    return RunContext(
        (git("rev-parse", "--short", "HEAD") or "unknown").strip(),
        uncommitted(),
        find_baseline(rev, file_md5(model)),
    )
