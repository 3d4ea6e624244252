"""Score a trained generator: k clips of every seen and held-out prompt judged by t2v.judge.metrics, their
diversity against real clips, what motion each clip was judged as, and the headline summary DVC tracks."""

from __future__ import annotations

import time
from contextlib import nullcontext

import numpy as np
import torch
from tqdm import tqdm

from t2v.classifier.scoring import LearnedScores
from t2v.config import DataConfig
from t2v.data.synthesize import render_scenes
from t2v.data.vocab import encode
from t2v.forks import cores
from t2v.judge.eval_sets import eval_pairs, eval_scenes
from t2v.judge.metrics import REAL_DRAWS, score, score_diversity
from t2v.judge.verdicts import PromptJudgement, judge_pair_prompt, judge_prompt, pair_saw
from t2v.judge.workers import Judge, chunks, judging
from t2v.prompts import CONJUNCTION, parse_prompt, scenes_prompt
from t2v.sample.gallery import Failure, Failures
from t2v.sample.generate import generate

TUTORIAL_HELDOUT_PROMPT = "circle moving up-right"
CHUNK_PER_CORE = 4  # prompts generated per core before they are judged: memory stays a chunk's clips


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
    learned: LearnedScores | None = None,
) -> tuple[dict, list[dict], Failures]:
    """Score k clips of every seen and held-out prompt -> (scores: overall, per split, motion, shape, colour
    and prompt, with each prompt's diversity against k real clips of it, and, given the learned judge's
    collector, its summary under "learned"; confusion rows {asked, judged}; the first failing clip of each
    prompt, one and two objects, with what the judge saw)."""
    encode([TUTORIAL_HELDOUT_PROMPT], vocab)  # an unknown word fails here, before minutes of work
    start = time.perf_counter()
    results, spreads, confusion, failures = [], [], [], Failures()
    truth_rng = np.random.default_rng(seed)
    scenes = list(enumerate(eval_scenes(held)))

    def collect(chunk: list, work: list, judged: list[PromptJudgement]) -> None:
        """Add a judged chunk's verdicts to what evaluation returns."""
        for (_, (scene, split)), (_, clips, real), judgement in zip(chunk, work, judged):
            results.extend((scene, split, verdict) for verdict in judgement.verdicts)
            failures.add(_first_failure(scene.prompt(), split, clips, judgement.saw), k)
            confusion.extend({"asked": scene.motion, "judged": motion} for motion in judgement.judged)
            spreads.append((scene, split, judgement.diversity))
            if learned is not None:
                learned.add(
                    scene, split, clips, real, [v.motion for v in judgement.verdicts], judgement.judged
                )

    with judging(len(scenes) * k) as judge_all, tqdm(total=len(scenes), desc="metrics", leave=False) as bar:
        for chunk in chunks(scenes, CHUNK_PER_CORE * cores()):
            work = [
                (
                    scene,
                    generate(generator, vocab, scene.prompt(), k, seed + 1 + i, device),
                    [render_scenes([scene] * k, data, truth_rng).clips for _ in range(REAL_DRAWS)],
                )
                for i, (scene, _) in chunk
            ]
            collect(chunk, work, judge_all(judge_prompt, work))
            bar.update(len(chunk))
        scores = score(results)
        scores["diversity"] = score_diversity(spreads)
        scores["pairs"] = evaluate_pairs(
            generator, vocab, k, seed, device, data, failures, judge_all, learned
        )
    if learned is not None:
        scores["learned"] = learned.summary()
    scores["tutorial_heldout"] = {
        "prompt": TUTORIAL_HELDOUT_PROMPT,
        **scores["per_prompt"][parse_prompt(TUTORIAL_HELDOUT_PROMPT).prompt()],
    }
    scores["eval_time_s"] = round(time.perf_counter() - start, 1)
    return scores, confusion, failures


def evaluate_pairs(
    generator: torch.nn.Module,
    vocab: list[str],
    k: int,
    seed: int,
    device: torch.device,
    data: DataConfig,
    failures: Failures | None = None,
    judge_all: Judge | None = None,
    learned: LearnedScores | None = None,
) -> dict:
    """Score k clips of every two-object prompt the binding metric judges (t2v.judge.eval_sets.eval_pairs):
    binding (both objects right) and the swapped control (the same clips against the prompt with the motions
    exchanged), overall, per split and per prompt. Empty when the model never read a two-object prompt.
    judge_all: the map that judges (t2v.judge.workers.judging), else one of this call's own."""
    if CONJUNCTION not in vocab:
        return {}
    pairs = list(enumerate(eval_pairs(data)))
    with nullcontext(judge_all) if judge_all else judging(len(pairs) * k) as judge_all:
        work = [
            (pair, generate(generator, vocab, scenes_prompt(pair), k, seed + 7919 + i, device))
            for i, (pair, _) in tqdm(pairs, desc="binding", unit="prompt", leave=False)
        ]
        judged = judge_all(judge_pair_prompt, work)
    rows, per_prompt = [], {}
    for (_, (pair, split)), (_, clips), verdicts in zip(pairs, work, judged):
        prompt = scenes_prompt(pair)
        if learned is not None:
            learned.add_pair(pair, split, clips)
        if failures is not None:
            failures.add(_first_failure(prompt, split, clips, [pair_saw(pair, v) for v in verdicts]), k)
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
        **_learned_headline(scores.get("learned") or {}),
    }


def _learned_headline(learned: dict) -> dict:
    """The learned judge's judge_acc and fvd per split (its entropies and references are in scores.json)."""
    split = learned.get("per_split", {})
    return {
        f"{short}_{split_name}": split[key][name]
        for name, short in (("judge_acc", "judge"), ("fvd", "fvd"))
        for key, split_name in (("seen", "seen"), ("heldout", "held"))
        if split.get(key)
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
