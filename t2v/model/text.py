"""The text encoder: a prompt's words pooled per object and grammatical role."""

from __future__ import annotations

import math

import torch
from torch import nn

from t2v.prompts import CONJUNCTION, MAX_OBJECTS, ROLES, word_role


class TextEncoder(nn.Module):
    """Word embeddings pooled per object and grammatical role: ids (B, L) -> (B, MAX_OBJECTS, 3, dim), for
    each object (the words before `and`, then after it) one vector each for its colour, shape and motion words
    (a learned query attends over that object's words of that role; a learned vector stands in for a role the
    prompt leaves out, so a prompt without a colour reads as the default one, and a one-object prompt's second
    object is all stand-ins). Appearance and motion then come from disjoint words, and each object's only from
    its own: the sprite cannot depend on the motion, and an unseen pairing is composed from the words of seen
    ones."""

    def __init__(self, vocab: list[str], dim: int):
        super().__init__()
        self.embed = nn.Embedding(len(vocab), dim, padding_idx=0)
        self.register_buffer("roles", torch.tensor([word_role(w) for w in vocab]), persistent=False)
        self.conjunction = vocab.index(CONJUNCTION) if CONJUNCTION in vocab else -1
        self.queries = nn.Parameter(torch.randn(len(ROLES), dim) * 0.1)
        self.absent = nn.Parameter(torch.randn(len(ROLES), dim) * 0.1)
        self.scale = 1.0 / math.sqrt(dim)

    def has_second(self, ids: torch.Tensor) -> torch.Tensor:
        """(B,) whether each prompt names a second object."""
        return (ids == self.conjunction).any(dim=1)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        b, r = ids.shape[0], len(ROLES)
        words = self.embed(ids)  # (B, L, D)
        obj = (ids == self.conjunction).cumsum(dim=1).clamp(max=MAX_OBJECTS - 1)
        role = self.roles[ids]
        slot = torch.where(role >= 0, obj * r + role, -1)  # (B, L): which (object, role) a word fills
        member = slot[:, None, :] == torch.arange(MAX_OBJECTS * r, device=ids.device)[None, :, None]
        scores = torch.einsum("bld,rd->brl", words, self.queries.repeat(MAX_OBJECTS, 1)) * self.scale
        # A finite fill: a role with no words would otherwise softmax to NaN, and NaN leaks through
        # torch.where into the gradients even where the absent vector is chosen.
        pooled = torch.einsum("brl,bld->brd", scores.masked_fill(~member, -1e4).softmax(dim=-1), words)
        absent = self.absent.repeat(MAX_OBJECTS, 1).to(pooled.dtype)
        return torch.where(member.any(dim=-1, keepdim=True), pooled, absent).view(b, MAX_OBJECTS, r, -1)
