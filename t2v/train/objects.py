"""The training set seen object by object: one item per object of each clip, so a two-object clip is judged as
two one-object clips, each against its own words. The generator draws the clip's whole prompt; the item is the
one object as it shows (the other's pixels taken out by colour, t2v.model.layers.separate), and its text is
that object's words. A real object with its words' motion exchanged for the other object's is a negative: the
discriminator sees a swap."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from t2v.data.dataset import Dataset
from t2v.data.scenes import PALETTE
from t2v.data.vocab import encode
from t2v.prompts import CONJUNCTION, MOTIONS, parse_prompt, tokenize


@dataclass
class Items:
    clip: torch.Tensor  # (M,) the clip an item is an object of
    slot: torch.Tensor  # (M,) 0: the clip's first object (in front), 1: its second
    ids: torch.Tensor  # (M, L) the clip's whole prompt: what the generator reads
    own: torch.Tensor  # (M, L) the object's own words: what it is judged against
    swapped: (
        torch.Tensor
    )  # (M, L) its words with the other object's motion; its own words where there is none
    labels: torch.Tensor  # (M, 3) the object's shape, colour and motion
    fills: (
        torch.Tensor
    )  # (M, 2, 3) its palette colour and the other object's in [-1, 1] (its own twice if alone)
    paired: torch.Tensor  # (M,) bool: the clip has two objects

    def __len__(self) -> int:
        return len(self.clip)


def object_items(data: Dataset, vocab: list[str]) -> Items:
    """Every object of every clip: the clips' first objects in clip order, then their second objects."""
    n = len(data.prompts)
    objects = data.objects
    second = np.flatnonzero(objects == 2)
    clip = np.concatenate([np.arange(n), second])
    slot = np.concatenate([np.zeros(n, np.int64), np.ones(len(second), np.int64)])
    first_labels = np.stack([data.shape, data.colour, data.motion], axis=1)
    if data.second is not None:
        other = np.stack([data.second[k] for k in ("shape", "colour", "motion")], axis=1)
    else:
        other = np.full_like(first_labels, -1)
    own_labels = np.concatenate([first_labels, other[second]])
    partner_labels = np.concatenate([other, first_labels[second]])
    paired = objects[clip] == 2
    phrases = [f" {data.prompts[c]} ".split(f" {CONJUNCTION} ")[s].strip() for c, s in zip(clip, slot)]
    swapped = [
        replace(parse_prompt(p), motion=MOTIONS[m]).prompt() if two else p
        for p, m, two in zip(phrases, partner_labels[:, 2], paired)
    ]
    length = max(len(tokenize(p)) for p in data.prompts)
    palette = torch.from_numpy(PALETTE.astype(np.float32) / 127.5 - 1.0)
    own_fill = palette[own_labels[:, 1]]
    other_fill = torch.where(
        torch.from_numpy(paired)[:, None], palette[np.where(paired, partner_labels[:, 1], 0)], own_fill
    )
    return Items(
        clip=torch.from_numpy(clip),
        slot=torch.from_numpy(slot),
        ids=encode(data.prompts, vocab, length)[clip],
        own=encode(phrases, vocab, length),
        swapped=encode(swapped, vocab, length),
        labels=torch.from_numpy(own_labels).long(),
        fills=torch.stack([own_fill, other_fill], dim=1),
        paired=torch.from_numpy(paired),
    )
