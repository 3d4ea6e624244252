"""The tutorial's per-frame DCGAN (`model.arch: seed`), kept as the baseline: its frames are drawn
independently, so its clips do not move coherently."""

from __future__ import annotations

import math

import torch
from torch import nn

from t2v.config import ModelConfig
from t2v.model.base import Generator
from t2v.model.discriminator import N_ATTRIBUTES, ClipJudge


def mean_embedding(embed: nn.Embedding, ids: torch.Tensor) -> torch.Tensor:
    """The tutorial's text encoding: the mean of the prompt's word embeddings, (B, L) -> (B, D)."""
    mask = (ids != 0).unsqueeze(-1).float()
    return (embed(ids) * mask).sum(1) / mask.sum(1).clamp(min=1)


class SeedGenerator(Generator):
    """The tutorial's per-frame DCGAN: each frame from its own noise and the mean word embedding (now
    trained). Frames are independent, so its clips do not move coherently: it is the baseline."""

    def __init__(self, cfg: ModelConfig, vocab: list[str], frames: int, size: int):
        super().__init__()
        self.frames, self.size, self.noise_dim = frames, size, cfg.noise_dim
        e, c = cfg.text_dim, cfg.g_channels
        self.embed = nn.Embedding(len(vocab), e, padding_idx=0)
        self.seed = nn.Sequential(
            nn.Linear(e + cfg.noise_dim, c * 2 * 16),
            nn.ReLU(),
        )
        blocks, ch = [], c * 2
        for _ in range(int(math.log2(size // 8))):
            blocks += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1), nn.BatchNorm2d(ch // 2), nn.ReLU()]
            ch //= 2
        self.net = nn.Sequential(
            *blocks,
            nn.ConvTranspose2d(ch, 3, 4, 2, 1),
            nn.Tanh(),
        )

    @property
    def noise_size(self) -> int:
        return self.frames * self.noise_dim

    def forward(
        self,
        ids: torch.Tensor,
        noise: torch.Tensor,
        slots: torch.Tensor | None = None,
        second: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """slots and second are ignored: this generator draws one object, so every clip's one object is the
        clip."""
        b, t = ids.shape[0], self.frames
        text = mean_embedding(self.embed, ids).unsqueeze(1).expand(b, t, -1)
        z = torch.cat([text, noise.view(b, t, self.noise_dim)], dim=-1).reshape(b * t, -1)
        frames = self.net(self.seed(z).view(b * t, -1, 4, 4))
        return frames.view(b, t, 3, self.size, self.size).transpose(1, 2)


class SeedDiscriminator(ClipJudge):
    """Per-frame DCGAN discriminator with a text projection; a clip's score is the mean over its frames."""

    def __init__(self, cfg: ModelConfig, vocab: list[str], frames: int, size: int):
        super().__init__()
        c, e = cfg.d_channels, cfg.text_dim
        layers, ch_in, ch, s = [], 3, c, size
        while s > 4:
            layers += [nn.Conv2d(ch_in, ch, 4, 2, 1), nn.LeakyReLU(0.2)]
            ch_in, ch, s = ch, ch * 2, s // 2
        self.conv = nn.Sequential(
            *layers,
            nn.Flatten(),
            nn.Linear(ch_in * 16, 8 * c),
            nn.LeakyReLU(0.2),
        )
        self.words = nn.Embedding(len(vocab), e, padding_idx=0)
        self.project = nn.Linear(e, 8 * c)
        self.score = nn.Linear(8 * c, 1)
        self.attributes = nn.Linear(8 * c, sum(N_ATTRIBUTES))

    def embed(self, clips: torch.Tensor, path: torch.Tensor | None = None) -> torch.Tensor:
        """Per-frame features (B, T, F); path is unused: this baseline judges pixels only."""
        b, _, t, s, _ = clips.shape
        return self.conv(clips.transpose(1, 2).reshape(b * t, 3, s, s)).view(b, t, -1)

    def judge(self, features: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        text = self.project(mean_embedding(self.words, ids))
        per_frame = self.score(features).squeeze(-1) + (features * text[:, None]).sum(-1)
        return per_frame.mean(dim=1)

    def classify(self, features: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return self.attributes(features.mean(dim=1)).split(N_ATTRIBUTES, dim=1)
