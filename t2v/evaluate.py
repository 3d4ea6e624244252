"""Score a trained generator: k clips of every seen and held-out prompt judged by t2v.metrics, their
diversity against real clips, what motion each clip was judged as, and the headline summary DVC tracks."""

from __future__ import annotations

import time

import numpy as np
import torch
from tqdm import tqdm

from t2v.config import DataConfig
from t2v.make_dataset import render_scenes
from t2v.metrics import REAL_DRAWS, Verdict, diversity, judge, judge_motion, score, score_diversity
from t2v.prompts import MOTIONS, Scene, parse_prompt
from t2v.sample import generate
from t2v.scenes import eval_scenes
from t2v.tracks import Track, measure
from t2v.vocab import encode

TUTORIAL_HELDOUT_PROMPT = "circle moving up-right"
NOTHING = "none"  # judged as no motion of the language
HEADLINE = ("motion_acc", "shape_acc", "colour_acc", "clean_shape_rate", "temporal_consistency")


def judged_motion(track: Track, scene: Scene, verdict: Verdict) -> str:
    """The motion a clip shows: the asked one when it passes, else the first motion of the language it
    passes as, else NOTHING."""
    if verdict.motion:
        return scene.motion
    return next(
        (m for m in MOTIONS if m != scene.motion and judge_motion(track, Scene(scene.shape, m))), NOTHING
    )


def evaluate(
    generator: torch.nn.Module,
    vocab: list[str],
    held: set[tuple[str, str]],
    k: int,
    seed: int,
    device: torch.device,
    data: DataConfig,
) -> tuple[dict, list[dict]]:
    """Score k clips of every seen and held-out prompt -> (scores: overall, per split, motion, shape, colour
    and prompt, with each prompt's diversity against k real clips of it; confusion rows {asked, judged})."""
    encode([TUTORIAL_HELDOUT_PROMPT], vocab)  # an unknown word fails here, before minutes of work
    start = time.perf_counter()
    results, spreads, confusion = [], [], []
    truth_rng = np.random.default_rng(seed)
    for i, (scene, split) in enumerate(tqdm(eval_scenes(held), desc="metrics", unit="prompt", leave=False)):
        clips = generate(generator, vocab, scene.prompt(), k, seed + 1 + i, device)
        tracks = [measure(clip) for clip in clips]
        verdicts = [judge(clip, scene, track) for clip, track in zip(clips, tracks)]
        results += [(scene, split, verdict) for verdict in verdicts]
        confusion += [
            {"asked": scene.motion, "judged": judged_motion(t, scene, v)} for t, v in zip(tracks, verdicts)
        ]
        truth = [
            [measure(c) for c in render_scenes([scene] * k, data, truth_rng).clips] for _ in range(REAL_DRAWS)
        ]
        spreads.append((scene, split, diversity(tracks, [v.motion and v.temporal for v in verdicts], truth)))
    scores = score(results)
    scores["diversity"] = score_diversity(spreads)
    scores["tutorial_heldout"] = {
        "prompt": TUTORIAL_HELDOUT_PROMPT,
        **scores["per_prompt"][parse_prompt(TUTORIAL_HELDOUT_PROMPT).prompt()],
    }
    scores["eval_time_s"] = round(time.perf_counter() - start, 1)
    return scores, confusion


def headline(scores: dict) -> dict:
    """The summary DVC tracks as metrics (under 100 numbers, the targets first, so `dvc exp show` shows them
    in its first columns): overall and per split, then motion and diversity per motion, shape, colour."""

    def pick(values: dict, keys: tuple[str, ...]) -> dict:
        return {key.removesuffix("_acc"): values[key] for key in keys}

    spread = scores["diversity"]
    split = {
        name: {**pick(values, HEADLINE), "diversity": spread["per_split"].get(name, 0.0)}
        for name, values in scores["per_split"].items()
    }
    return {
        "motion": scores["overall"]["motion_acc"],
        "motion_heldout": split.get("heldout", {}).get("motion", 0.0),
        "shape": scores["overall"]["shape_acc"],
        "colour": scores["overall"]["colour_acc"],
        "diversity": spread["overall"],
        "temporal": scores["overall"]["temporal_consistency"],
        "per_split": split,
        "per_motion": {
            m: {"motion": v["motion_acc"], "diversity": spread["per_motion"].get(m, 0.0)}
            for m, v in scores["per_motion"].items()
        },
        "per_shape": {s: pick(v, ("motion_acc", "shape_acc")) for s, v in scores["per_shape"].items()},
        "per_colour": {c: pick(v, ("colour_acc",)) for c, v in scores["per_colour"].items()},
        "tutorial_heldout": pick(scores["tutorial_heldout"], ("motion_acc", "clean_shape_rate")),
        "eval_time_s": scores["eval_time_s"],
    }
