import json
import os
import subprocess
import sys

import pytest

from t2v.data.vocab import PAD, UNK, build_vocab, encode, load_vocab, save_vocab
from t2v.errors import T2VError

PROMPTS = [
    "red circle moving up",
    "square moving diagonally down-left",
    "triangle shrinking",
    "circle moving up",
]


def test_vocab_is_sorted_with_pad_and_unk_first():
    words = build_vocab(PROMPTS)
    assert words[:2] == [PAD, UNK] and words[2:] == sorted(set(" ".join(PROMPTS).split()))


def test_vocab_file_is_identical_across_processes_and_hash_seeds(tmp_path):
    script = (
        "import sys, json; from t2v.data.vocab import build_vocab, save_vocab; "
        f"save_vocab(build_vocab({PROMPTS!r}), sys.argv[1])"
    )
    outputs = []
    for seed in ("0", "1", "12345"):
        path = tmp_path / f"v{seed}.json"
        subprocess.run(
            [sys.executable, "-c", script, str(path)], check=True, env={**os.environ, "PYTHONHASHSEED": seed}
        )
        outputs.append(path.read_bytes())
    assert len(set(outputs)) == 1


def test_encode_pads_and_rejects_unknown_words_with_suggestions(tmp_path):
    words = build_vocab(PROMPTS)
    ids = encode(["circle moving up", "triangle shrinking"], words)
    assert ids.shape == (2, 3) and ids[1, 2] == 0
    assert [words[i] for i in ids[0]] == ["circle", "moving", "up"]
    with pytest.raises(T2VError, match=r"'circel' \(did you mean 'circle'"):
        encode(["circel moving up"], words)
    save_vocab(words, tmp_path / "v.json")
    assert load_vocab(tmp_path / "v.json") == words


def test_missing_or_foreign_vocab_file(tmp_path):
    with pytest.raises(T2VError, match="dvc repro build-vocab"):
        load_vocab(tmp_path / "none.json")
    (tmp_path / "x.json").write_text(json.dumps({"a": 1}))
    with pytest.raises(T2VError, match="not a t2v vocabulary"):
        load_vocab(tmp_path / "x.json")
