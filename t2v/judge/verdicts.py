"""A prompt's clips judged, and the judges' account of each: whether a clip passes, what motion it was
judged as, what the judge saw. Pure functions of pixels: evaluation runs them on every core
(t2v.judge.workers)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from t2v.judge.binding import PairVerdict, judge_pair, right
from t2v.judge.metrics import Verdict, diversity, judge, judge_motion
from t2v.judge.tracks import Track, measure
from t2v.prompts import MOTIONS, Scene

NOTHING = "none"  # judged as no motion of the language
PASSING = "passes, moving as asked"  # an object's account where no check fails


def judged_motion(track: Track, scene: Scene, verdict: Verdict) -> str:
    """The motion a clip shows: the asked one when it passes, else the first motion of the language it
    passes as, else NOTHING."""
    if verdict.motion:
        return scene.motion
    return next(
        (m for m in MOTIONS if m != scene.motion and judge_motion(track, Scene(scene.shape, m))), NOTHING
    )


def passes(verdict: Verdict) -> bool:
    """A clip passes when it moves as asked, in the named shape and colour, coherently."""
    return verdict.motion and verdict.shape_ok and verdict.colour_ok and verdict.temporal


def what_it_saw(scene: Scene, track: Track, verdict: Verdict) -> str:
    """The judge's account of one object: what it moved as, and each fault with its measure and bound."""
    if passes(verdict):
        return f"{scene.prompt()}: {PASSING}"
    return f"{scene.prompt()}: judged {judged_motion(track, scene, verdict)}; " + "; ".join(verdict.faults)


def objects_saw(pair: tuple[Scene, Scene], verdict: PairVerdict) -> list[str]:
    """What the judge saw of each object of a two-object clip: passing where it is right (what binding
    asks: motion, shape and colour), else its faults."""
    return [
        f"{scene.prompt()}: {PASSING}" if right(v) else what_it_saw(scene, t, v)
        for scene, t, v in zip(pair, verdict.tracks, verdict.objects)
    ]


def pair_saw(pair: tuple[Scene, Scene], verdict: PairVerdict) -> list[str] | None:
    """What the judge saw of each object of a two-object clip that fails; None where both are right."""
    return None if verdict.bound else objects_saw(pair, verdict)


@dataclass
class PromptJudgement:
    """One prompt's k clips judged: each clip's verdict, what the judge saw of a failing one (None where it
    passes), the motion each was judged as, and the prompt's diversity against real clips."""

    verdicts: list[Verdict]
    saw: list[list[str] | None]
    judged: list[str]
    diversity: float


def judge_prompt(work: tuple[Scene, np.ndarray, list[np.ndarray]]) -> PromptJudgement:
    """work: a one-object scene, its k generated clips, and REAL_DRAWS draws of k real clips of it."""
    scene, clips, real_draws = work
    tracks = [measure(clip) for clip in clips]
    verdicts = [judge(clip, scene, track) for clip, track in zip(clips, tracks)]
    real = [[measure(clip) for clip in draw] for draw in real_draws]
    return PromptJudgement(
        verdicts,
        [None if passes(v) else [what_it_saw(scene, t, v)] for t, v in zip(tracks, verdicts)],
        [judged_motion(t, scene, v) for t, v in zip(tracks, verdicts)],
        diversity(tracks, [v.motion and v.temporal for v in verdicts], real),
    )


def judge_pair_prompt(work: tuple[tuple[Scene, Scene], np.ndarray]) -> list[PairVerdict]:
    """work: a two-object prompt's scenes and its k generated clips."""
    pair, clips = work
    return [judge_pair(clip, pair) for clip in clips]
