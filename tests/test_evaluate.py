"""The summaries DVC reads: a short headline of metrics, and per-group rows for its bar plots."""

import numpy as np

from t2v.judge.metrics import Verdict, score, score_diversity
from t2v.prompts import MOTIONS, SHAPES, Scene
from t2v.sample.evaluate import breakdown, headline

PASS = Verdict(True, True, True, True, True, "circle", "blue")
FAIL_MOTION = Verdict(False, True, True, True, True, "circle", "blue")


def _scores() -> dict:
    """Every motion with every shape; circles fail their motion, triangles are held out at diversity 0.2."""
    rows, spreads = [], []
    for motion in MOTIONS:
        for shape in SHAPES:
            scene, split = Scene(shape, motion, "red"), "heldout" if shape == "triangle" else "seen"
            rows += [(scene, split, FAIL_MOTION if shape == "circle" else PASS)] * 2
            spreads.append((scene, split, 0.2 if shape == "triangle" else 0.8))
    scores = score(rows)
    scores["diversity"] = score_diversity(spreads)
    scores["tutorial_heldout"] = scores["per_prompt"][Scene("circle", "moving up-right", "red").prompt()]
    scores["eval_time_s"] = 1.5
    return scores


def test_headline_is_a_short_summary_with_the_targets_first():
    summary = headline(_scores())
    assert list(summary)[:3] == ["motion_seen", "motion_held", "shape"], "the first columns of `dvc exp show`"
    assert len(summary) <= 11 and all(isinstance(v, float) for v in summary.values())
    assert "eval_time_s" not in summary, "a time differs in every run: not a metric to compare"
    assert summary["motion_seen"] == 0.5 and summary["motion_held"] == 1.0
    assert summary["diversity"] == 0.6


def test_breakdown_has_a_row_per_split_motion_shape_and_colour():
    rows = {row["group"]: row for row in breakdown(_scores())}
    assert len(rows) == 2 + len(MOTIONS) + len(SHAPES) + 1
    assert rows["shape: circle"]["motion"] == 0.0 and rows["shape: square"]["motion"] == 1.0
    assert rows["shape: triangle"]["diversity"] == 0.2 and rows["split: seen"]["diversity"] == 0.8
    assert rows["motion: shrinking"]["motion"] == round(2 / 3, 4) and rows["colour: red"]["colour"] == 1.0


def test_what_the_judge_saw_says_pass_or_the_motion_it_judged_with_each_fault():
    """The gallery's line per object: a passing object reads as passing (not "right", which reads as a
    direction), a failing one names what it moved as and each fault with its measure."""
    from t2v.data.synthesize import render_prompt
    from t2v.judge.metrics import judge
    from t2v.judge.tracks import measure
    from t2v.judge.verdicts import what_it_saw
    from tests.conftest import tiny_config

    scene = Scene("square", "moving left", "red")
    cfg = tiny_config(data={"size": 64, "frames": 10}).data
    clip = render_prompt((scene,), 1, cfg, np.random.default_rng(0))[0]
    for frames, expected in ((clip, "passes, moving as asked"), (clip[::-1], "judged moving right; ")):
        track = measure(frames)
        assert expected in what_it_saw(scene, track, judge(frames, scene, track))


def test_judging_on_every_core_gives_what_one_process_gives(tiny_model, monkeypatch):
    """The same scores, confusion and failures, in the same order, judged by two forked workers as by this
    process (t2v.judge.workers), one and two objects."""
    import torch

    from t2v.config import DataConfig
    from t2v.judge import workers
    from t2v.model.checkpoint import load_generator
    from t2v.sample.evaluate import evaluate

    generator, vocab, payload = load_generator(tiny_model)
    data = DataConfig(frames=payload["frames"], size=payload["size"])
    runs = []
    for parallel_from, cores in ((10**9, 1), (0, 2)):
        monkeypatch.setattr(workers, "PARALLEL_FROM", parallel_from)
        monkeypatch.setattr(workers, "cores", lambda cores=cores: cores)
        scores, confusion, failures = evaluate(generator, vocab, set(), 2, 0, torch.device("cpu"), data)
        scores.pop("eval_time_s")
        runs.append((scores, confusion, [(f.prompt, f.failed, f.saw) for f in failures.found]))
    assert runs[0] == runs[1]
    assert runs[0][0]["pairs"]["per_prompt"], "two-object prompts judged too"


def test_a_failing_pairs_right_object_reads_as_passing_as_a_lone_object_does():
    """The gallery's lines for a two-object clip: the right object passes in the words a lone object does
    (not "right", which reads as a direction), the wrong one with its faults."""
    from t2v.judge.binding import PairVerdict
    from t2v.judge.tracks import measure
    from t2v.judge.verdicts import pair_saw

    good = Verdict(True, True, True, True, True, "circle", "red")
    bad = Verdict(True, False, True, False, True, "square", "blue", ("a square fits best",))
    pair = (Scene("circle", "moving up", "red"), Scene("triangle", "shrinking", "blue"))
    track = measure(np.full((8, 16, 16, 3), 255, np.uint8))
    lines = pair_saw(pair, PairVerdict((good, bad), (good, bad), (track, track)))
    assert lines == [
        "red circle moving up: passes, moving as asked",
        "blue triangle shrinking: judged shrinking; a square fits best",
    ]
    assert pair_saw(pair, PairVerdict((good, good), (good, good), (track, track))) is None
