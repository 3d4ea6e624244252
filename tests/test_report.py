"""The report's parts on their own: the two-object section of a one-object model, the moves past the noise
and the regression banner, the failure gallery when nothing fails, the summary for a pull request, and a
damaged per-epoch image."""

import pytest
from PIL import Image

from t2v.errors import T2VError
from t2v.report.compare import NOISE, Baseline, RunContext, locked_model, moves
from t2v.report.page import (
    binding_summary,
    gallery_section,
    pairs_table,
    regressions_banner,
    scorecard,
    target_checks,
    training_strip,
)
from t2v.report.summary import summary_markdown


def _scores(bounce: float, binding: float = 0.9) -> dict:
    return {
        "per_motion": {"bouncing vertically": {"motion_acc": bounce}, "shrinking": {"motion_acc": 1.0}},
        "diversity": {"per_motion": {"bouncing vertically": 0.8, "shrinking": 0.8}},
        "pairs": {"per_prompt": {"red circle moving left and blue square moving up": {"binding": binding}}},
    }


def _baseline(scores: dict) -> Baseline:
    return Baseline("abc1234", "main", {"motion_seen": 0.99}, scores, {})


def test_a_one_object_model_gets_a_line_not_empty_tables():
    line = binding_summary({})
    assert "data.pair_share=0.25" in line and "<table" not in line
    assert pairs_table([]) == ""


def test_a_broken_motion_is_a_regression_flagged_first_and_noise_is_not():
    found = moves(_scores(0.70), _scores(0.93))
    assert [m.figure for m in found] == ["motion · bouncing vertically"]
    banner = regressions_banner(found, _baseline(_scores(0.93)))
    assert "class=alarm" in banner and "0.93 → 0.70" in banner
    assert moves(_scores(0.93 - NOISE["motion"]), _scores(0.93)) == [], "a move within the noise is not one"
    calm = regressions_banner([], _baseline(_scores(0.93)))
    assert "alarm" not in calm and "Nothing fell" in calm


def test_rises_are_listed_after_falls_worst_first():
    found = moves(_scores(0.2, binding=1.0), _scores(0.9, binding=0.4))
    assert [round(m.change, 2) for m in found] == [-0.7, 0.6]


def test_the_failure_gallery_says_when_nothing_fails():
    assert "No clip fails" in gallery_section([]) and "<img" not in gallery_section([])


def test_the_model_hash_is_read_from_dvc_lock():
    lock = "stages:\n  train-gan:\n    outs:\n    - path: models/generator.pt\n"
    lock += "      hash: md5\n      md5: ab12\n"
    assert locked_model(lock) == "ab12" and locked_model("not: [yaml") is None and locked_model(None) is None


def test_the_summary_names_the_baseline_the_regressions_and_three_failing_clips():
    run = RunContext("def5678", [], _baseline(_scores(0.93)))
    found = moves(_scores(0.70), _scores(0.93))
    checks = [("motion, seen prompts", "motion_seen", 0.98, 0.99, 0.97, False, True)]
    failures = [{"prompt": f"p{i}", "gif": f"f{i}.gif", "saw": [f"reason {i}"]} for i in range(5)]
    text = summary_markdown(run, checks, found, failures)
    assert "abc1234" in text and "clean working tree" in text
    assert "| reports/metrics.json | motion_seen | 0.990 | 0.980 | -0.010 | ≥ 0.97 | ✓ |" in text
    assert "1 regression(s)" in text and "bouncing vertically: 0.93 → 0.70" in text
    assert text.count("](videos/f") == 3


def test_a_figure_without_a_target_is_compared_but_never_marked_met_or_unmet():
    metrics = {"motion_seen": 0.98, "fvd_seen": 60.0}
    old = Baseline("abc1234", "main", {"motion_seen": 0.99, "fvd_seen": 50.0}, {}, {})
    checks = {c[1]: c for c in target_checks(metrics, {}, {}, old)}
    assert checks["fvd_seen"][2:] == (60.0, 50.0, None, True, None)
    assert checks["motion_seen"][-1] is True and checks["judge_seen"][2] is None
    page = scorecard([checks["fvd_seen"]], old, {})
    assert "class='tracked'" in page and "✓" not in page and "✗" not in page and "+10.000" in page
    text = summary_markdown(RunContext("def5678", [], old), [checks["fvd_seen"]], [], [])
    assert "| reports/metrics.json | fvd_seen | 50.000 | 60.000 | +10.000 | - | - |" in text


def test_a_truncated_sample_image_is_named_with_the_stage_that_rewrites_it(tmp_path):
    """An image cut short (a run stopped while dvclive wrote it) is one line naming it, not PIL's error."""
    good = tmp_path / "1.png"
    Image.new("RGB", (40, 20), "red").save(good)
    assert "epoch 1" in training_strip(tmp_path)
    cut = tmp_path / "2.png"
    cut.write_bytes(good.read_bytes()[:60])
    with pytest.raises(T2VError, match=r"sample '.*2\.png' is truncated or corrupt.*dvc repro -f train-gan"):
        training_strip(tmp_path)
