"""Score a trained generator: k clips of every seen and held-out prompt judged by t2v.judge.metrics, their
diversity against real clips, what motion each clip was judged as, and the headline summary DVC tracks."""

from __future__ import annotations

import time

import numpy as np
import torch
from tqdm import tqdm

from t2v.config import DataConfig
from t2v.data.synthesize import render_scenes
from t2v.data.vocab import encode
from t2v.judge.binding import PairVerdict, judge_pair, right
from t2v.judge.eval_sets import eval_pairs, eval_scenes
from t2v.judge.metrics import REAL_DRAWS, Verdict, diversity, judge, judge_motion, score, score_diversity
from t2v.judge.tracks import Track, measure
from t2v.prompts import CONJUNCTION, MOTIONS, Scene, parse_prompt, scenes_prompt
from t2v.sample.gallery import Failure, Failures
from t2v.sample.generate import generate

TUTORIAL_HELDOUT_PROMPT = "circle moving up-right"
NOTHING = "none"  # judged as no motion of the language


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
        return f"{scene.prompt()}: passes, moving as asked"
    return f"{scene.prompt()}: judged {judged_motion(track, scene, verdict)}; " + "; ".join(verdict.faults)


def _first_failure(prompt: str, split: str, clips: np.ndarray, saw: list[list[str] | None]) -> Failure | None:
    """The first failing clip of a prompt (saw[i]: what the judge saw of clip i, None where it passes)."""
    bad = [i for i, lines in enumerate(saw) if lines is not None]
    return Failure(prompt, split, len(bad), len(saw), clips[bad[0]], saw[bad[0]]) if bad else None


def evaluate(
    generator: torch.nn.Module,
    vocab: list[str],
    held: set[tuple[str, str]],
    k: int,
    seed: int,
    device: torch.device,
    data: DataConfig,
) -> tuple[dict, list[dict], Failures]:
    """Score k clips of every seen and held-out prompt -> (scores: overall, per split, motion, shape, colour
    and prompt, with each prompt's diversity against k real clips of it; confusion rows {asked, judged}; the
    first failing clip of each prompt, one and two objects, with what the judge saw)."""
    encode([TUTORIAL_HELDOUT_PROMPT], vocab)  # an unknown word fails here, before minutes of work
    start = time.perf_counter()
    results, spreads, confusion, failures = [], [], [], Failures()
    truth_rng = np.random.default_rng(seed)
    for i, (scene, split) in enumerate(tqdm(eval_scenes(held), desc="metrics", unit="prompt", leave=False)):
        clips = generate(generator, vocab, scene.prompt(), k, seed + 1 + i, device)
        tracks = [measure(clip) for clip in clips]
        verdicts = [judge(clip, scene, track) for clip, track in zip(clips, tracks)]
        results += [(scene, split, verdict) for verdict in verdicts]
        saw = [None if passes(v) else [what_it_saw(scene, t, v)] for t, v in zip(tracks, verdicts)]
        failures.add(_first_failure(scene.prompt(), split, clips, saw), k)
        confusion += [
            {"asked": scene.motion, "judged": judged_motion(t, scene, v)} for t, v in zip(tracks, verdicts)
        ]
        truth = [
            [measure(c) for c in render_scenes([scene] * k, data, truth_rng).clips] for _ in range(REAL_DRAWS)
        ]
        spreads.append((scene, split, diversity(tracks, [v.motion and v.temporal for v in verdicts], truth)))
    scores = score(results)
    scores["diversity"] = score_diversity(spreads)
    scores["pairs"] = evaluate_pairs(generator, vocab, k, seed, device, data, failures)
    scores["tutorial_heldout"] = {
        "prompt": TUTORIAL_HELDOUT_PROMPT,
        **scores["per_prompt"][parse_prompt(TUTORIAL_HELDOUT_PROMPT).prompt()],
    }
    scores["eval_time_s"] = round(time.perf_counter() - start, 1)
    return scores, confusion, failures


def _pair_saw(pair: tuple[Scene, Scene], verdict: PairVerdict) -> list[str] | None:
    if verdict.bound:
        return None
    return [
        f"{scene.prompt()}: right" if right(v) else what_it_saw(scene, t, v)
        for scene, t, v in zip(pair, verdict.tracks, verdict.objects)
    ]


def evaluate_pairs(
    generator: torch.nn.Module,
    vocab: list[str],
    k: int,
    seed: int,
    device: torch.device,
    data: DataConfig,
    failures: Failures | None = None,
) -> dict:
    """Score k clips of every two-object prompt the binding metric judges (t2v.judge.eval_sets.eval_pairs):
    binding (both objects right) and the swapped control (the same clips against the prompt with the motions
    exchanged), overall, per split and per prompt. Empty when the model never read a two-object prompt."""
    if CONJUNCTION not in vocab:
        return {}
    rows, per_prompt = [], {}
    for i, (pair, split) in enumerate(tqdm(eval_pairs(data), desc="binding", unit="prompt", leave=False)):
        prompt = scenes_prompt(pair)
        clips = generate(generator, vocab, prompt, k, seed + 7919 + i, device)
        verdicts = [judge_pair(clip, pair) for clip in clips]
        if failures is not None:
            failures.add(_first_failure(prompt, split, clips, [_pair_saw(pair, v) for v in verdicts]), k)
        bound = float(np.mean([v.bound for v in verdicts]))
        swapped = float(np.mean([v.bound_swapped for v in verdicts]))
        per_prompt[prompt] = {"split": split, "binding": round(bound, 4), "swapped": round(swapped, 4)}
        rows.append((split, bound, swapped))

    def mean(split: str | None, column: int) -> float:
        values = [r[column] for r in rows if split in (None, r[0])]
        return round(float(np.mean(values)), 4) if values else 0.0

    return {
        "binding": mean(None, 1),
        "swapped": mean(None, 2),
        "per_split": {s: {"binding": mean(s, 1), "swapped": mean(s, 2)} for s in ("seen", "heldout")},
        "per_prompt": per_prompt,
    }


def headline(scores: dict) -> dict:
    """The metrics DVC tracks: the targets only (the README's table), named short enough that the README's
    `dvc exp show` command shows all nine in 120 columns. Everything else, the time included, is in
    scores.json, and the per-group figures in breakdown.json, a DVC plot."""
    overall, spread = scores["overall"], scores["diversity"]
    split = {name: scores["per_split"].get(name, {}) for name in ("seen", "heldout")}
    return {
        "motion_seen": split["seen"].get("motion_acc", 0.0),
        "motion_held": split["heldout"].get("motion_acc", 0.0),
        "shape": overall["shape_acc"],
        "colour": overall["colour_acc"],
        "diversity": spread["overall"],
        "temporal": overall["temporal_consistency"],
        **_binding_headline(scores.get("pairs") or {}),
    }


def _binding_headline(pairs: dict) -> dict:
    if not pairs:
        return {}
    split = pairs["per_split"]
    return {
        "bind_seen": split["seen"]["binding"],
        "bind_held": split["heldout"]["binding"],
        "bind_swap": pairs["swapped"],
    }


def breakdown(scores: dict) -> list[dict]:
    """One row per split, motion, shape and colour: {group, motion, shape, colour, diversity}, the records of
    the DVC bar plots that `dvc plots diff` compares between commits."""
    return [
        {
            "group": f"{kind}: {name}",
            "motion": values["motion_acc"],
            "shape": values["shape_acc"],
            "colour": values["colour_acc"],
            "diversity": scores["diversity"][f"per_{kind}"].get(name, 0.0),
        }
        for kind in ("split", "motion", "shape", "colour")
        for name, values in scores[f"per_{kind}"].items()
    ]
