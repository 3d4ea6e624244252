"""Every reader of a pipeline file turns a damaged file into one line naming the file and the command that
rebuilds it: truncated and garbage bytes, of any length, never give a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from t2v.config import DataConfig
from t2v.data.dataset import load_dataset, load_heldout
from t2v.data.synthesize import write_dataset
from t2v.data.vocab import build_vocab, load_vocab, save_vocab
from t2v.errors import T2VError
from t2v.model.checkpoint import load_generator

READERS = {  # file -> (how to read it, the command its error names)
    "dataset/clips.npy.zst": (lambda root: load_dataset(root / "dataset"), "dvc repro generate-dataset"),
    "dataset/meta.npz": (lambda root: load_dataset(root / "dataset"), "dvc repro generate-dataset"),
    "dataset/prompts.json": (lambda root: load_dataset(root / "dataset"), "dvc repro generate-dataset"),
    "heldout.json": (lambda root: load_heldout(root / "heldout.json"), "dvc repro generate-dataset"),
    "vocab.json": (lambda root: load_vocab(root / "vocab.json"), "dvc repro build-vocab"),
    "generator.pt": (lambda root: load_generator(root / "generator.pt"), "dvc repro train-gan"),
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> Path:
    """Good copies of every pipeline file, written by the library itself."""
    root = tmp_path_factory.mktemp("pristine")
    data = write_dataset(DataConfig(n_clips=48, size=16, frames=8), seed=0, out_dir=root / "dataset")
    (root / "heldout.json").write_text(json.dumps({"pairs": [["circle", "moving up-right"]]}))
    save_vocab(build_vocab(data.prompts), root / "vocab.json")
    shutil.copy(tiny_model, root / "generator.pt")
    return root


def _fresh(pristine: Path, tmp_path: Path) -> Path:
    root = tmp_path / "files"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(pristine, root)
    return root


def test_every_pristine_file_reads(pristine, tmp_path):
    root = _fresh(pristine, tmp_path)
    for read, _ in READERS.values():
        read(root)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(name="generator.pt", cut=0.0, garbage=b"c")  # a bare GLOBAL opcode: damage, not pickled code
@given(
    name=st.sampled_from(sorted(READERS)),
    cut=st.floats(0.0, 0.999),
    garbage=st.one_of(st.none(), st.binary(min_size=0, max_size=64)),
)
def test_a_damaged_file_is_one_line_naming_it_and_its_rebuild(pristine, tmp_path, name, cut, garbage):
    root = _fresh(pristine, tmp_path)
    target = root / name
    good = target.read_bytes()
    target.write_bytes(good[: int(len(good) * cut)] if garbage is None else garbage)
    read, rebuild = READERS[name]
    try:
        read(root)
    except T2VError as err:
        message = str(err)
        assert "\n" not in message and str(target) in message and rebuild in message, message
    # a damaged file that still parses (garbage that happens to be valid) is the reader's to accept


def test_prompts_that_do_not_match_the_clips_are_refused(pristine, tmp_path):
    root = _fresh(pristine, tmp_path)
    prompts = root / "dataset/prompts.json"
    prompts.write_text(json.dumps(json.loads(prompts.read_text())[:-1]))
    with pytest.raises(T2VError, match="prompts.json.*47 prompts for 48 clips"):
        load_dataset(root / "dataset")
