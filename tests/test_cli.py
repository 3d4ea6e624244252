import subprocess
import sys

import numpy as np
import pytest

from t2v.cli import main


def test_generate_writes_uint8_clips_and_the_same_seed_gives_the_same_clips(tiny_model, tmp_path, capsys):
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        main(["generate", "circle moving up-right", "-o", str(tmp_path / f"{name}.npy"), "--n", "3",
              "--seed", str(seed), "--model", str(tiny_model)])
    a, b, c = (np.load(tmp_path / f"{n}.npy") for n in "abc")
    assert a.dtype == np.uint8 and a.shape == (3, 8, 16, 16, 3)
    assert (a == b).all() and not (a == c).all()
    for suffix in ("gif", "mp4"):
        main(["generate", "red square shrinking", "-o", str(tmp_path / f"x.{suffix}"), "--model", str(tiny_model)])
        assert (tmp_path / f"x.{suffix}").stat().st_size > 0


def test_render_writes_ground_truth_for_held_out_prompts(tmp_path):
    main(["render", "circle moving up-right", "-o", str(tmp_path / "gt.npy"), "--n", "2"])
    clips = np.load(tmp_path / "gt.npy")
    assert clips.shape == (2, 12, 32, 32, 3) and clips.dtype == np.uint8


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["generate", "circel moving up", "-o", "x.npy"], "'circel' (did you mean 'circle'"),
        (["generate", "  ", "-o", "x.npy"], "empty prompt"),
        (["render", "red circle", "-o", "x.gif"], "has no motion"),
        (["render", "circle shrinking", "-o", "x.avi"], "unsupported format"),
        (["generate", "circle shrinking", "-o", "x.npy", "--model", "nope.pt"], "dvc repro train-gan"),
        (["generate", "circle shrinking", "-o", "x.npy", "--device", "cuda:7"], "cuda"),
    ],
)
def test_mistakes_get_one_line_and_exit_2(args, fragment, tmp_path, tiny_model):
    if "--model" not in args and args[0] == "generate":
        args = [*args, "--model", str(tiny_model)]
    result = subprocess.run([sys.executable, "-m", "t2v.cli", *args], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr
    assert not list(tmp_path.iterdir()), "nothing written on error"
