import argparse
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from t2v.cli import main
from t2v.prompts import COLOURS, DEFAULT_COLOUR
from tests.conftest import ROOT


def test_generate_writes_uint8_clips_and_the_same_seed_gives_the_same_clips(tiny_model, tmp_path, capsys):
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        main(
            [
                "generate",
                "circle moving up-right",
                "-o",
                str(tmp_path / f"{name}.npy"),
                "--n",
                "3",
                "--seed",
                str(seed),
                "--model",
                str(tiny_model),
            ]
        )
    a, b, c = (np.load(tmp_path / f"{n}.npy") for n in "abc")
    assert a.dtype == np.uint8 and a.shape == (3, 8, 16, 16, 3)
    assert (a == b).all() and not (a == c).all()
    for suffix in ("gif", "mp4"):
        main(
            [
                "generate",
                "red square shrinking",
                "-o",
                str(tmp_path / f"x.{suffix}"),
                "--model",
                str(tiny_model),
            ]
        )
        assert (tmp_path / f"x.{suffix}").stat().st_size > 0


def test_generate_draws_both_objects_of_a_two_object_prompt(tiny_model, tmp_path):
    prompt = "red circle moving left and yellow square moving up"
    main(["generate", prompt, "-o", str(tmp_path / "two.npy"), "--n", "4", "--model", str(tiny_model)])
    clips = np.load(tmp_path / "two.npy")
    assert clips.shape == (4, 8, 16, 16, 3)
    one = tmp_path / "one.npy"
    main(["generate", "red circle moving left", "-o", str(one), "--n", "4", "--model", str(tiny_model)])
    assert not np.array_equal(np.load(one), clips), "the second object is drawn"


def test_a_model_trained_on_one_object_prompts_refuses_two_in_one_line(tmp_path):
    from t2v.config import ModelConfig
    from t2v.data.vocab import build_vocab
    from t2v.errors import T2VError
    from t2v.model.build import build_generator
    from t2v.sample.generate import generate

    vocab = build_vocab(["red circle moving left", "square moving up"])
    G = build_generator(ModelConfig(text_dim=8, noise_dim=4), vocab, 8, 16)
    with pytest.raises(T2VError, match="trained on one-object prompts only"):
        generate(G, vocab, "red circle moving left and square moving up", 1, seed=0)


def test_render_writes_ground_truth_for_held_out_prompts(tmp_path):
    main(["render", "circle moving up-right", "-o", str(tmp_path / "gt.npy"), "--n", "2"])
    clips = np.load(tmp_path / "gt.npy")
    assert clips.shape == (2, 10, 64, 64, 3) and clips.dtype == np.uint8  # the default data params


def test_render_draws_both_objects_of_a_two_object_prompt(tmp_path):
    main(
        ["render", "red circle moving left and square moving up", "-o", str(tmp_path / "two.npy"), "--n", "3"]
    )
    clips = np.load(tmp_path / "two.npy")
    assert clips.shape == (3, 10, 64, 64, 3)
    for rgb in (COLOURS["red"], COLOURS[DEFAULT_COLOUR]):
        assert (np.abs(clips.astype(int) - rgb).max(axis=-1) <= 2).any(axis=(1, 2, 3)).all()


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["generate", "circel moving up", "-o", "x.npy"], "'circel' (did you mean 'circle'"),
        (["generate", "  ", "-o", "x.npy"], "empty prompt"),
        (["render", "red circle", "-o", "x.gif"], "has no motion"),
        (["render", "circle moving up and circle shrinking", "-o", "x.gif"], "names two blue circles"),
        (["generate", "circle moving up and circle shrinking", "-o", "x.npy"], "names two blue circles"),
        (["render", "circle shrinking", "-o", "x.avi"], "unsupported format"),
        (["generate", "circle shrinking", "-o", "x.npy", "--model", "nope.pt"], "dvc repro train-gan"),
        (["generate", "circle shrinking", "-o", "x.npy", "--device", "cuda:7"], "cuda"),
        (["generate", "circle shrinking", "-o", "x.npy", "--device", "gpu"], "--device = 'gpu' is invalid"),
    ],
)
def test_mistakes_get_one_line_and_exit_2(args, fragment, tmp_path, tiny_model):
    if "--model" not in args and args[0] == "generate":
        args = [*args, "--model", str(tiny_model)]
    result = subprocess.run(
        [sys.executable, "-m", "t2v.cli", *args], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr
    assert not list(tmp_path.iterdir()), "nothing written on error"


def _run_cli(args: list[str], cwd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "t2v.cli", *args], cwd=cwd, capture_output=True, text=True, **kw
    )


def _one_line_error(result: subprocess.CompletedProcess, fragment: str) -> None:
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in result.stderr, result.stderr


@pytest.mark.parametrize("verb", ["generate", "render"])
def test_an_upper_case_extension_holds_the_clips(verb, tiny_model, tmp_path):
    """It used to leave a 0-byte out.NPY: np.save added '.npy' to the temporary name."""
    extra = ["--model", str(tiny_model)] if verb == "generate" else []
    assert _run_cli([verb, "circle moving up", "-o", "out.NPY", "--n", "2", *extra], tmp_path).returncode == 0
    assert np.load(tmp_path / "out.NPY").shape[0] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.NPY"]


def test_a_full_disk_keeps_the_good_mp4_and_says_so(tiny_model, tmp_path):
    main(["generate", "circle moving up", "-o", str(tmp_path / "good.mp4"), "--model", str(tiny_model)])
    before = (tmp_path / "good.mp4").read_bytes()
    result = subprocess.run(
        [
            "bash",
            "-c",
            f"ulimit -f 2; {sys.executable} -m t2v.cli generate 'circle moving up' "
            f"-o good.mp4 --n 64 --model {tiny_model}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    _one_line_error(result, "writing 'good.mp4' failed")
    assert "t2v-tmp" not in result.stderr, "the user's path is named, not the temporary one"
    assert (tmp_path / "good.mp4").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.mp4"]


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--seed", str(2**64)], "outside [0, 2147483647]"),
        (["--seed", "-5"], "outside [0, 2147483647]"),
        (["--fps", "1000"], "outside [1, 60]"),
        (["--n", "0"], "outside [1,"),
    ],
)
def test_out_of_range_numbers_get_the_allowed_range(args, fragment, tmp_path):
    result = _run_cli(["render", "circle moving up", "-o", "x.npy", *args], tmp_path)
    assert result.returncode == 2 and fragment in result.stderr and "Traceback" not in result.stderr


def test_unwritable_places_get_one_line_and_lose_nothing(tmp_path):
    (tmp_path / "a_dir").mkdir()
    _one_line_error(_run_cli(["render", "circle moving up", "-o", "a_dir"], tmp_path), "unsupported format")
    (tmp_path / "a_dir.npy").mkdir()
    _one_line_error(_run_cli(["render", "circle moving up", "-o", "a_dir.npy"], tmp_path), "is a directory")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = _run_cli(["render", "circle moving up", "-o", "locked/x.npy"], tmp_path)
        if result.returncode:  # root may write anywhere; where refused, refused in one line
            _one_line_error(result, "")
    finally:
        locked.chmod(0o700)


def test_a_long_prompt_is_echoed_short(tmp_path):
    result = _run_cli(["render", "circle " + "x" * 10_000, "-o", "x.npy"], tmp_path)
    _one_line_error(result, "characters")
    assert len(result.stderr) < 400


def test_a_grid_of_too_many_clips_is_refused_before_any_work(tmp_path):
    _one_line_error(
        _run_cli(["render", "circle moving up", "-o", "x.gif", "--n", "100000"], tmp_path), "too many"
    )


def test_a_checkpoint_of_another_size_is_named(tiny_model, tmp_path):
    import torch

    payload = torch.load(tiny_model, weights_only=True)
    payload["state_dict"].pop(next(iter(payload["state_dict"])))
    torch.save(payload, tmp_path / "old.pt")
    result = _run_cli(["generate", "circle moving up", "-o", "x.npy", "--model", "old.pt"], tmp_path)
    _one_line_error(result, "does not fit this version of t2v")


def test_check_params_names_a_top_level_typo(tmp_path):
    (tmp_path / "params.yaml").write_text("trian:\n  epochs: 3\n")
    _one_line_error(_run_cli(["check-params"], tmp_path), "'trian' (did you mean 'train'")
    (tmp_path / "params.yaml").write_text("train:\n  amp: off\n  lr: 1e-3\n")
    result = _run_cli(["check-params"], tmp_path)
    assert result.returncode == 0 and "valid" in result.stdout, result.stderr


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/\x00"), min_size=1, max_size=20),
    suffix=st.sampled_from([".npy", ".NPY", ".gif", ".Gif", ".mp4", ".MP4", ".avi", "", ".npy.gz", "."]),
)
@pytest.mark.parametrize("verb", ["render", "generate"])
def test_any_output_name_either_holds_the_clips_or_fails_in_one_line_leaving_the_old_file(
    verb, name, suffix, tmp_path, tiny_model
):
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    target = folder / (name + suffix)
    if target.name in (".", "..") or len(target.name.encode()) > 200:
        return
    target.write_bytes(b"earlier")
    try:
        main(
            [
                verb,
                "circle moving up",
                "-o",
                str(target),
                "--n",
                "2",
                *(["--model", str(tiny_model)] if verb == "generate" else []),
            ]
        )
    except SystemExit as exit_:
        assert exit_.code == 2
        assert target.read_bytes() == b"earlier"
    else:
        if suffix.lower() == ".npy":
            assert np.load(target).shape[0] == 2 and np.load(target).dtype == np.uint8
        else:
            assert target.stat().st_size > 1000
    assert [p.name for p in folder.iterdir()] == [target.name], "no temporary file left behind"


def test_a_path_under_a_regular_file_is_named_as_such(tmp_path):
    (tmp_path / "notes").write_text("x")
    result = _run_cli(["render", "circle moving up", "-o", "notes/x.gif"], tmp_path)
    _one_line_error(result, "'notes' is a file, not a folder")


def test_the_temporary_file_of_a_killed_run_is_cleared_by_the_next(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "t2v.cli", "render", "circle moving up", "-o", "big.npy", "--n", "1000000"],
        cwd=tmp_path,
    )
    deadline = time.time() + 60
    while not [p for p in tmp_path.iterdir() if p.stat().st_size > 10**6] and time.time() < deadline:
        time.sleep(0.2)
    proc.kill()  # kill -9: no handler runs, the temporary file stays
    proc.wait()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".big.npy.")], "a temporary file was left"
    assert _run_cli(["render", "circle moving up", "-o", "big.npy", "--n", "2"], tmp_path).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.npy"]


def test_a_grid_of_256_clips_is_written_in_bounded_memory(tmp_path):
    """The grid is built cell by cell and shown smaller past 2048 px. Measured above the peak after imports
    (torch alone is 0.5 GB, more on hosts with more cores): 2.6 GB before, 0.3 GB now."""
    code = (
        "import resource, sys; from t2v.cli import main\n"
        "def peak(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "imported = peak()\n"
        "try:\n    main(['render', 'circle moving up', '-o', 'x.gif', '--n', '256'])\n"
        "finally:\n    print(peak() - imported)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    grown_mb = int(result.stdout.split()[-1]) / 1024
    assert grown_mb < 700, f"peak RSS grew by {grown_mb:.0f} MB while rendering"


def test_every_option_has_help_and_shows_its_default(monkeypatch):
    from t2v.cli import build_parser

    monkeypatch.setenv("COLUMNS", "400")  # one line per option: a default is never split
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert {"generate", "render", "words", "bench", "noise", "check-params"} <= set(commands)
    for name, command in commands.items():
        text = command.format_help()
        for action in command._actions:
            assert action.help, f"t2v {name} {action.dest} has no help"
            if (
                action.default is not None
                and action.default is not False
                and action.default != argparse.SUPPRESS
            ):
                assert f"(default: {action.default})" in text, (name, action.dest)
    assert "(default: models/generator.pt of the t2v repository" in commands["generate"].format_help()


def test_words_and_generate_help_list_the_language_and_what_the_repository_held_out(tmp_path):
    from t2v.prompts import COLOURS, MOTION_WORDS, SHAPES

    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["data"]["heldout"] = [["triangle", "shrinking"]]
    params["data"]["heldout_pairings"] = [["red", "yellow"]]
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    (tmp_path / "dvc.yaml").write_text("stages: {}\n")
    (tmp_path / "sub").mkdir()
    words = _run_cli(["words"], tmp_path / "sub", env={**os.environ, "COLUMNS": "100"})
    assert words.returncode == 0, words.stderr
    listed = words.stdout
    for word in (*COLOURS, *SHAPES, *MOTION_WORDS):
        assert word in listed, word
    assert (
        "triangle shrinking" in listed and "red + yellow" in listed and "circle moving up-right" not in listed
    )
    assert str(tmp_path / "params.yaml") in listed
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(params))
    named = _run_cli(["words", "--params", str(tmp_path / "other.yaml")], tmp_path).stdout
    assert f"({tmp_path / 'other.yaml'})" in named, "the file given is the one named"
    helped = _run_cli(["generate", "--help"], tmp_path / "sub", env={**os.environ, "COLUMNS": "100"}).stdout
    assert listed in helped


def test_the_default_model_is_the_repositorys_or_the_error_says_where_it_looked(tiny_model, tmp_path):
    repo = tmp_path / "repo"
    (repo / "models").mkdir(parents=True)
    (repo / "dvc.yaml").write_text("stages: {}\n")
    shutil.copy(tiny_model, repo / "models/generator.pt")
    (repo / "reports").mkdir()
    made = _run_cli(["generate", "circle moving up", "-o", "x.npy", "--n", "1"], repo / "reports")
    assert made.returncode == 0 and (repo / "reports/x.npy").exists(), made.stderr
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    _one_line_error(
        _run_cli(["generate", "circle moving up", "-o", "x.npy"], outside),
        f"no t2v repository at or above '{outside}' (no dvc.yaml)",
    )
