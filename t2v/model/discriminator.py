"""The video discriminator: three views of a clip (pooled pixels, windows on the ink, the ink's path),
scored against the text by projection, with heads that name the clip's attributes."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from t2v.config import ModelConfig
from t2v.model.paths import PATH_FEATURES, clip_paths, frame_coords, group_spread, ink_crops
from t2v.model.text import TextEncoder
from t2v.prompts import COLOURS, MOTIONS, ROLES, SHAPES

N_ATTRIBUTES = (len(SHAPES), len(COLOURS), len(MOTIONS))


class ClipJudge(nn.Module):
    """One forward over the clips scores them against several texts and predicts their attributes; a single
    forward per backward keeps DistributedDataParallel's gradient sync exact. Subclasses define embed,
    judge and classify."""

    def forward(
        self, clips: torch.Tensor, *texts: torch.Tensor, path: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """path: the clips' ink_track when the caller has it already (the training step shares one per
        batch)."""
        features = self.embed(clips, path)
        return torch.stack([self.judge(features, ids) for ids in texts]), self.classify(features)


def _downsampling_stack(
    conv: type, ch_in: int, c: int, size: int, kernel, strides
) -> tuple[list[nn.Module], int, int]:
    """Strided convolutions halving `size` down to 4: the layers, the channels out and the time divisor."""
    layers, ch, time_div = [], c, 1
    while size > 4:
        stride = strides(len(layers))
        layers += [conv(ch_in, ch, kernel, stride, 1), nn.LeakyReLU(0.2)]
        time_div *= stride[0] if isinstance(stride, tuple) else 1
        size, ch_in, ch = size // 2, ch, min(ch * 2, 8 * c)
    return layers, ch_in, time_div


class HalveFrames(torch.autograd.Function):
    """F.avg_pool3d(clips, (1, 2, 2)) on the CPU, the same to the bit, in about half the time forward and
    backward: the pool's CPU kernel walks each window element by element, where four strided slices summed in
    its order (top left, top right, bottom left, bottom right), then halved twice, stream through memory."""

    @staticmethod
    def forward(ctx, clips: torch.Tensor) -> torch.Tensor:
        out = clips[..., 0::2, 0::2].clone(memory_format=torch.contiguous_format)
        out.add_(clips[..., 0::2, 1::2]).add_(clips[..., 1::2, 0::2]).add_(clips[..., 1::2, 1::2])
        return out.div_(4)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        b, c, t, h, w = grad.shape
        share = (grad / 4)[:, :, :, :, None, :, None]
        return share.expand(b, c, t, h, 2, w, 2).reshape(b, c, t, 2 * h, 2 * w)


def pool_frames(clips: torch.Tensor, pool: int) -> torch.Tensor:
    """Each frame of clips (B, C, T, H, W) average-pooled by pool x pool pixels."""
    if pool == 1:
        return clips
    if pool == 2 and clips.device.type == "cpu":
        return HalveFrames.apply(clips)
    return F.avg_pool3d(clips, (1, pool, pool))


def spectral(module: nn.Module) -> nn.Module:
    """Spectral normalisation on every convolution and linear layer: the discriminator stays 1-Lipschitz in
    each, so it cannot win outright and starve the generator of gradient (SN-GAN's projection recipe)."""
    for child in list(module.modules()):
        if isinstance(child, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)):
            nn.utils.parametrizations.spectral_norm(child)
    return module


class VideoDiscriminator(ClipJudge):
    """Three views of a clip, flattened to features together: 3D convolutions over the clip pooled to at most
    MOTION_SIZE pixels (with coordinate channels, so absolute position and the frame edges are visible), 2D
    convolutions over full-resolution windows around the ink in a few frames (the shape's outline and fill),
    and 1D convolutions over the ink's path (ink_track) beside its group's spread (group_spread). The score is
    a projection onto the text, and heads predict the shape, colour and motion the clip shows."""

    motion_size = 32  # motion reads as plainly at 32 px; at 64 px the pooled 3D branch costs a sixth
    looks = 4  # frames whose ink windows the appearance branch judges, spread over the clip

    def __init__(self, cfg: ModelConfig, vocab: list[str], frames: int, size: int):
        super().__init__()
        c, e = cfg.d_channels, cfg.text_dim
        self.group, self.pool, self.window = cfg.group, max(1, size // self.motion_size), size // 2
        small = size // self.pool
        self.register_buffer("small_coords", frame_coords(small), persistent=False)
        self.register_buffer(
            "look_frames", torch.linspace(0, frames - 1, self.looks).round().long(), persistent=False
        )
        # time is halved once, at the second layer, after motion is seen at full rate
        layers, ch3, time_div = _downsampling_stack(
            nn.Conv3d, 5, c, small, (3, 4, 4), lambda i: (2 if i == 2 else 1, 2, 2)
        )
        self.conv = spectral(nn.Sequential(*layers)).to(memory_format=torch.channels_last_3d)
        features = 8 * c
        layers, ch2, _ = _downsampling_stack(nn.Conv2d, 3, c, self.window, 4, lambda i: 2)
        self.look = spectral(
            nn.Sequential(
                *layers,
                nn.Flatten(),
                nn.Linear(ch2 * 16, features),
                nn.LeakyReLU(0.2),
            )
        )
        self.track = spectral(
            nn.Sequential(
                nn.Conv1d(2 * PATH_FEATURES, features, 3, padding=1),
                nn.LeakyReLU(0.2),
                nn.Conv1d(features, features, 3, padding=1),
                nn.LeakyReLU(0.2),
                nn.Flatten(),
            )
        )
        flat = ch3 * (frames // time_div) * 16 + features + features * frames
        self.features = spectral(
            nn.Sequential(
                nn.Linear(flat, features),
                nn.LeakyReLU(0.2),
            )
        )
        self.text = TextEncoder(vocab, e)
        self.project = nn.Linear(len(ROLES) * e, features)
        self.score = spectral(nn.Linear(features, 1))
        self.attributes = nn.Linear(features, sum(N_ATTRIBUTES))

    def embed(self, clips: torch.Tensor, path: torch.Tensor | None = None) -> torch.Tensor:
        b, _, t, _, _ = clips.shape
        if path is None:
            path = clip_paths(clips)
        small = pool_frames(clips, self.pool)
        coords = self.small_coords.to(clips.dtype)[None, :, None].expand(b, 2, t, *small.shape[-2:])
        motion = torch.cat([small, coords], dim=1).contiguous(memory_format=torch.channels_last_3d)
        motion = self.conv(motion).flatten(1)
        looks = self.look(ink_crops(clips, path[..., :2], self.look_frames, self.window))
        looks = looks.view(b, self.looks, -1).mean(dim=1)
        path = self.track(torch.cat([path, group_spread(path, self.group)], dim=2).transpose(1, 2))
        return self.features(torch.cat([motion, looks, path], dim=1))

    def judge(self, features: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """Score (B,) of clip features against text ids: high for a real clip that matches its text."""
        text = self.project(self.text(ids)[:, 0].flatten(1))  # clips of one object, judged by its words
        return self.score(features).squeeze(1) + (text * features).sum(dim=1)

    def classify(self, features: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return self.attributes(features).split(N_ATTRIBUTES, dim=1)
