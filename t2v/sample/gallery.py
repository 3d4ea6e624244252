"""The failure gallery: failing clips only, as the judges saw them. Evaluation keeps the first failing clip of
each prompt with the judges' reasons (Failures); the gallery writes the worst prompts' clips as GIFs, the
tracked path drawn over each frame, with what the judge saw. Beside them, the clips on whose motion the
learned and the rule judges disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from t2v.classifier.scoring import Disagreement
from t2v.judge.tracks import Track, measure
from t2v.sample.generate import slug
from t2v.video_io import write_clips

SHOWN = 12  # failing prompts shown: the ones that fail most often
SCALE = 3  # pixels per clip pixel: the path is drawn at this resolution


@dataclass
class Failure:
    prompt: str
    split: str
    failed: int  # clips of the prompt that fail
    of: int  # clips of the prompt judged
    clip: np.ndarray  # uint8 (T, H, W, 3): the first that fails
    saw: list[str] = field(default_factory=list)  # what the judge saw: one line per object


@dataclass
class Failures:
    """The first failing clip of each prompt, and how many prompts and clips were judged."""

    found: list[Failure] = field(default_factory=list)
    prompts: int = 0
    clips: int = 0

    def add(self, failure: Failure | None, clips: int) -> None:
        self.prompts += 1
        self.clips += clips
        if failure is not None:
            self.found.append(failure)

    def worst(self, n: int = SHOWN) -> list[Failure]:
        return sorted(self.found, key=lambda f: (-f.failed / f.of, f.prompt))[:n]


def traced(clip: np.ndarray, track: Track) -> np.ndarray:
    """uint8 (T, H, W, 3) -> (T, H * SCALE, W * SCALE, 3): each frame upscaled with the whole tracked path
    (grey) and the frame's own centre (red ring)."""
    big = np.repeat(np.repeat(clip, SCALE, axis=1), SCALE, axis=2).copy()
    seen = np.flatnonzero(track.visible)
    points = ((track.centre[seen] + 0.5) * SCALE).round().astype(np.int32)
    for i in range(len(clip)):
        frame = np.ascontiguousarray(big[i])
        if len(points) > 1:
            cv2.polylines(frame, [points.reshape(-1, 1, 2)], False, (90, 90, 90), 1, cv2.LINE_AA)
        if track.visible[i]:
            centre = tuple(int(v) for v in ((track.centre[i] + 0.5) * SCALE).round())
            cv2.circle(frame, centre, 3, (230, 0, 0), 1, cv2.LINE_AA)
        big[i] = frame
    return big


def write_disagreements(disagreements: list[Disagreement], fps: int, out_dir: Path) -> list[dict]:
    """A GIF per clip on whose motion the learned and the rule judges disagree, and its rows for
    videos.json."""
    rows = []
    for d in disagreements:
        name = f"disagree-{d.kind.replace('_', '-')}-{slug(d.prompt)}.gif"
        write_clips(d.clip[None], out_dir / name, fps=fps, scale=SCALE)
        rows.append(
            {
                "prompt": d.prompt,
                "gif": name,
                "disagreement": d.kind,
                "split": d.split,
                "count": d.count,
                "of": d.of,
                "learned_said": d.learned_said,
                "rule_said": d.rule_said,
            }
        )
    return rows


def write_gallery(failures: Failures, fps: int, out_dir: Path) -> list[dict]:
    """A GIF per shown failure (two-object clips as generated, one object's with its tracked path) and its
    rows for videos.json."""
    rows = []
    for failure in failures.worst():
        two = len(failure.saw) > 1
        name = f"failure-{slug(failure.prompt)}.gif"
        clip = failure.clip if two else traced(failure.clip, measure(failure.clip))
        write_clips(clip[None], out_dir / name, fps=fps, scale=SCALE if two else 1)
        rows.append(
            {
                "prompt": failure.prompt,
                "gif": name,
                "failure": True,
                "split": failure.split,
                "failed": failure.failed,
                "of": failure.of,
                "saw": failure.saw,
            }
        )
    return rows
