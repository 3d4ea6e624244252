"""The word vocabulary: sorted, with padding and unknown tokens, built from the training prompts."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from t2v.atomic import write_json
from t2v.errors import T2VError
from t2v.prompts import check_known, show, tokenize

PAD, UNK = "<pad>", "<unk>"


def build_vocab(prompts: list[str]) -> list[str]:
    """Sorted words, so the file is the same in every process whatever PYTHONHASHSEED is."""
    return [PAD, UNK, *sorted({w for p in prompts for w in tokenize(p)})]


def save_vocab(words: list[str], path: str | Path) -> None:
    write_json(path, words)


def load_vocab(path: str | Path) -> list[str]:
    path = Path(path)
    if not path.exists():
        raise T2VError(f"vocabulary {str(path)!r} not found: run `dvc repro build-vocab` first")
    try:
        words = json.loads(path.read_text())
    except ValueError as err:  # bad JSON or bytes
        raise T2VError(
            f"vocabulary {str(path)!r} is truncated or corrupt ({type(err).__name__}): "
            "run `dvc repro build-vocab`"
        ) from None
    if not (isinstance(words, list) and words[:2] == [PAD, UNK] and all(isinstance(w, str) for w in words)):
        raise T2VError(
            f"vocabulary {str(path)!r} is not a t2v vocabulary "
            f"(expected a JSON list starting with {PAD}, {UNK}): run `dvc repro build-vocab`"
        )
    return words


def encode(prompts: list[str], words: list[str], max_len: int | None = None) -> torch.Tensor:
    """Token ids (B, L), padded with 0; a word outside the vocabulary fails with the closest known words."""
    index = {w: i for i, w in enumerate(words)}
    tokenized = [tokenize(p) for p in prompts]
    for prompt, tokens in zip(prompts, tokenized):
        check_known(tokens, words[2:], f"prompt {show(prompt)} (not in the trained vocabulary)")
    length = max_len or max(1, max(len(t) for t in tokenized))
    ids = torch.zeros((len(prompts), length), dtype=torch.long)
    for row, tokens in enumerate(tokenized):
        ids[row, : len(tokens)] = torch.tensor([index[w] for w in tokens[:length]], dtype=torch.long)
    return ids
