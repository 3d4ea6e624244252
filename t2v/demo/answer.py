"""What the demo page shows for a prompt: the generated clips, each beside a ground-truth clip of the same
prompt, with the judges' verdict on each object (motion, shape, colour) and, for two objects, on their
binding."""

from __future__ import annotations

import base64
import dataclasses
import time
from pathlib import Path

import numpy as np

from t2v.config import DataConfig
from t2v.data.synthesize import render_prompt
from t2v.judge.binding import judge_pair
from t2v.judge.metrics import Verdict, judge
from t2v.judge.tracks import measure
from t2v.judge.verdicts import objects_saw, passes, what_it_saw
from t2v.model.checkpoint import load_generator
from t2v.prompts import DEFAULT_COLOUR, Scene, parse_scenes, scenes_prompt
from t2v.sample.generate import generate
from t2v.video_io import gif_bytes

MAX_CLIPS = 16  # per answer: a page of clips, each judged


def _gif(clip: np.ndarray, fps: int) -> str:
    return "data:image/gif;base64," + base64.b64encode(gif_bytes(clip, fps)).decode()


def _checks(verdict: Verdict, prefix: str = "") -> list[dict]:
    return [
        {"name": f"{prefix}motion", "ok": bool(verdict.motion)},
        {"name": f"{prefix}shape", "ok": bool(verdict.shape_ok), "saw": verdict.shape},
        {"name": f"{prefix}colour", "ok": bool(verdict.colour_ok), "saw": verdict.colour},
    ]


def judged(clip: np.ndarray, scenes: tuple[Scene, ...]) -> dict:
    """The judges' verdict on one clip: whether it passes, each check, and what the judge saw of each
    object. Two objects are told apart by colour: two of one colour are drawn but not judged for binding."""
    if len(scenes) == 1:
        track = measure(clip)
        verdict = judge(clip, scenes[0], track)
        return {
            "passes": bool(passes(verdict)),
            "checks": _checks(verdict),
            "saw": [what_it_saw(scenes[0], track, verdict)],
        }
    if scenes[0].rgb == scenes[1].rgb:
        return {
            "passes": None,
            "checks": [],
            "saw": [
                f"not judged: both objects are {scenes[0].colour or DEFAULT_COLOUR}, and the judge tells "
                "them apart by colour"
            ],
        }
    pair = judge_pair(clip, scenes)
    checks = [c for i, v in enumerate(pair.objects) for c in _checks(v, f"{i + 1}: ")]
    return {
        "passes": bool(pair.bound),
        "checks": [*checks, {"name": "binding", "ok": bool(pair.bound)}],
        "saw": objects_saw(scenes, pair),
    }


class Demo:
    """The trained generator and the data params its ground truth is drawn with."""

    def __init__(self, model_path: Path, data: DataConfig, fps: int = 8):
        self.generator, self.vocab, payload = load_generator(model_path)
        self.generator.eval()
        self.data = dataclasses.replace(data, frames=payload["frames"], size=payload["size"])
        self.fps = fps

    def answer(self, prompt: str, n: int, seed: int) -> dict:
        """n clips of prompt from seed, each beside ground truth, judged; a bad prompt raises T2VError."""
        start = time.perf_counter()
        scenes = parse_scenes(prompt)
        clips = generate(self.generator, self.vocab, prompt, n, seed)
        truth = render_prompt(scenes, n, self.data, np.random.default_rng(seed))
        shown = [
            {"clip": _gif(clip, self.fps), "truth": _gif(real, self.fps), **judged(clip, scenes)}
            for clip, real in zip(clips, truth)
        ]
        return {
            "prompt": scenes_prompt(scenes),
            "clips": shown,
            "seconds": round(time.perf_counter() - start, 3),
        }
