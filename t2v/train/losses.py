"""The GAN's objectives as plain functions of the networks and a batch, as stylegan2's training/loss.py: one
number for the discriminator to minimise and one for the generator."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from t2v.config import TrainConfig
from t2v.model.base import Readouts
from t2v.model.paths import frame_coords, group_spread, soft_ink, symmetry_statistics
from t2v.model.sprite import SHAPE_REACH

Loss = Callable[[torch.Tensor], torch.Tensor]


def adversarial_losses(kind: str) -> tuple[Loss, Loss, Loss]:
    """(loss for scores that should read real, loss for scores that should read fake, generator loss)."""
    if kind == "hinge":
        return (lambda s: F.relu(1 - s), lambda s: F.relu(1 + s), lambda s: -s)
    return (lambda s: F.softplus(-s), lambda s: F.softplus(s), lambda s: F.softplus(-s))


def attribute_loss(logits: tuple[torch.Tensor, ...], labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the shape, colour and motion heads against labels (B, 3)."""
    return sum(F.cross_entropy(l.float(), labels[:, k]) for k, l in enumerate(logits)) / len(logits)


def uncertain_loss(logits: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """Cross-entropy of the heads on fakes against the uniform distribution: the heads may only be sure of
    what looks real, so the generator cannot earn an attribute with a pattern no real clip has."""
    return sum(-F.log_softmax(l.float(), dim=1).mean() for l in logits) / len(logits)


def variety_loss(fake_path: torch.Tensor, real_path: torch.Tensor, group: int) -> torch.Tensor:
    """How far the generator's paths fall short of the data's variety (a diversity-sensitive term, as DSGAN's,
    measured on the pose path): per group of clips of one prompt, the per-frame spread of the ink's centre and
    extent, fake against real clips of the same prompts. Paths are ink_track's (B, T, 8). One-sided: a
    collapsed group pays the real spread, a group as varied as the data pays nothing, and incoherent excess is
    the discriminator's to punish. A pixel distance would instead reward changing colour or shape."""
    shortfall = group_spread(real_path[..., :4].detach(), group) - group_spread(fake_path[..., :4], group)
    return F.relu(shortfall).mean()


def energy_loss(fake_path: torch.Tensor, real_path: torch.Tensor, group: int) -> torch.Tensor:
    """How far a prompt's fake paths lie from its real paths as distributions: the energy distance (Szekely)
    between a group of fakes and the group of real clips of the same prompt, each clip's path the ink's centre
    and extent over all frames ((B, T, 8) ink_track paths; the distance is per frame, RMS). It pulls each fake
    towards the real paths and pushes the group's fakes apart: a group pays for matching the real paths as a
    set, where they lie and how far apart, where variety_loss's one-sided spread asks only for width. The real
    clips' distances to each other are a constant and left out."""
    b, t = fake_path.shape[:2]
    g = math.gcd(b, group)
    fake = fake_path[..., :4].reshape(b // g, g, -1)
    real = real_path[..., :4].detach().reshape(b // g, g, -1)

    def distance(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:  # (groups, g, g)
        # the epsilon keeps the gradient finite where two fakes coincide
        return ((x[:, :, None] - y[:, None]).square().sum(dim=-1) + 1e-8).sqrt() / math.sqrt(t)

    across = distance(fake, real).mean(dim=(1, 2))
    within = distance(fake, fake).sum(dim=(1, 2)) / max(g * (g - 1), 1)
    return (2 * across - within).mean()


def clip_statistics(path: torch.Tensor) -> torch.Tensor:
    """What a motion is, as numbers per clip: ink_track features (B, T, F) -> (B, 11): mean spin, mean
    distance from the frame centre, mean speed and mean change of velocity along x and y (a zigzag's or a
    bounce's reversals), travel along x and y and its size, and the change of log size."""
    centre, velocity, spin = path[..., :2], path[..., 5:7], path[..., 7]
    return torch.cat(
        [
            spin.mean(dim=1, keepdim=True),
            centre.norm(dim=-1).mean(dim=1, keepdim=True),
            velocity.abs().mean(dim=1),
            velocity.diff(dim=1).abs().mean(dim=1),
            centre[:, -1] - centre[:, 0],
            (centre[:, -1] - centre[:, 0]).abs(),  # a zigzag's advance, whichever way: its mean travel is 0
            path[:, -1, 4:5] - path[:, 0, 4:5],
        ],
        dim=1,
    )


def moment_loss(fake_path: torch.Tensor, real_path: torch.Tensor, group: int) -> torch.Tensor:
    """How far the generator's clips move from the data's on average, per prompt: the squared distance between
    the mean motion statistics (clip_statistics of ink_track paths, (B, T, 8)) of a group of fakes and of its
    real clips, estimated without bias (a linear-kernel MMD), so a group pays for a wrong motion but not for
    varying. A direct signal where the discriminator's gradient leaves a motion stuck (a static sprite in a
    corner asked to rotate)."""
    b = fake_path.shape[0]
    g = math.gcd(b, group)
    f = clip_statistics(fake_path).view(b // g, g, -1)
    r = clip_statistics(real_path.detach()).view(b // g, g, -1).mean(dim=1)
    within = f @ f.transpose(1, 2)  # (groups, g, g); its diagonal is each clip with itself
    pairs = (within.sum(dim=(1, 2)) - within.diagonal(dim1=1, dim2=2).sum(dim=1)) / max(g * (g - 1), 1)
    return (pairs - 2 * (f.mean(dim=1) * r).sum(dim=1) + r.square().sum(dim=1)).mean()


def canonical_shape(clips: torch.Tensor, n: int, reach: float) -> torch.Tensor:
    """Each clip's first frame with position, size and colour taken out: its ink over the fill's, resampled on
    an n x n grid around the ink's centre reaching `reach` equal-area radii each way -> (B, 1, n, n) in [0,
    1]."""
    size = clips.shape[-1]
    ink = soft_ink(clips[:, :, 0])  # (B, H, W)
    coverage = ink / ink.amax(dim=(1, 2), keepdim=True).clamp(min=1e-3)
    coords = frame_coords(size).to(clips.device, clips.dtype)
    mass = coverage.sum(dim=(1, 2)).clamp(min=1e-3)
    centre = torch.stack([(coverage * coords[i]).sum(dim=(1, 2)) / mass for i in range(2)], dim=1)
    radius = (mass / math.pi).sqrt() * (2.0 / (size - 1))  # pixels -> align_corners=True units
    axis = torch.linspace(-reach, reach, n, device=clips.device, dtype=clips.dtype)
    grid = torch.stack(torch.meshgrid(axis, axis, indexing="xy"), dim=-1)  # (n, n, 2): x, y
    grid = centre[:, None, None, :] + radius[:, None, None, None] * grid[None]
    return F.grid_sample(coverage[:, None], grid, mode="bilinear", padding_mode="zeros", align_corners=True)


def shape_loss(mask: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Squared distance of each prompt's sprite mask (B, 1, n, n) from the shape of its real twin, which has
    the same words, with position, size and colour taken out (canonical_shape)."""
    with torch.no_grad():
        target = canonical_shape(real, mask.shape[-1], SHAPE_REACH)
    return (mask - target).square().mean()


def colour_loss(paint: torch.Tensor, colour: torch.Tensor) -> torch.Tensor:
    """Squared distance of each prompt's fill (B, 3) from the solid colour (B, 3) of its real twin
    (solid_colour), which has the same words: colour is what the words fix, so it is matched clip by clip,
    not left to the discriminator, which barely sees a fill 20 levels off."""
    return (paint - colour).square().sum(dim=1).mean()


# The scale below which a path statistic counts as no sign (ink_track units: a translation's velocity is about
# 0.35, the data's position jitter 0.1).
SIGN_SCALE = 0.1


def symmetry_loss(symmetry: torch.Tensor, real_path: torch.Tensor) -> torch.Tensor:
    """Squared distance of each prompt's symmetry read-out (B, STATISTICS) from its real twin's signs of the
    path statistics (models.symmetry_statistics of ink_track paths (B, T, 8)): fitted over many clips, the
    read-out is each statistic's expected sign, near 0 where the data is symmetric."""
    signs = torch.tanh(symmetry_statistics(real_path.detach()) / SIGN_SCALE)
    return (symmetry - signs).square().mean()


@dataclass
class Batch:
    """What both losses of a training step read: the real objects and the generator's fakes (B, 3, T, H, W) in
    [-1, 1], the objects' own words ids (B, L) and labels (B, 3: shape, colour, motion), the ink paths of
    both (clip_paths, (B, T, 8); the fakes' computed once per step, keeping its graph for the generator) and
    the real objects' solid colours (B, 3)."""

    real: torch.Tensor
    fake: torch.Tensor
    ids: torch.Tensor
    labels: torch.Tensor
    real_path: torch.Tensor
    fake_path: torch.Tensor
    colour: torch.Tensor


def discriminator_loss(
    D: torch.nn.Module, batch: Batch, *, wrong: torch.Tensor, cfg: TrainConfig
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Real clips with their words read real; fakes, and real clips with the wrong words (B, L), read fake;
    the heads name the attributes of real clips and stay unsure on fakes. -> (loss, scores of real clips,
    scores of fakes)."""
    real_loss, fake_loss, _ = adversarial_losses(cfg.loss)
    ids, n = batch.ids, len(batch.ids)
    differs = (wrong != ids).any(dim=1).float()  # a rolled prompt may equal the original
    scores, logits = D(
        torch.cat([batch.real, batch.fake.detach()]),
        torch.cat([ids, ids]),
        torch.cat([wrong, ids]),
        path=torch.cat([batch.real_path, batch.fake_path.detach()]),
    )
    s_real, s_fake, s_wrong = scores[0, :n], scores[0, n:], scores[1, :n]
    w = cfg.mismatch_weight
    loss_wrong = (fake_loss(s_wrong) * differs).sum() / differs.sum().clamp(min=1)
    loss = real_loss(s_real).mean() + (1 - w) * fake_loss(s_fake).mean() + w * loss_wrong
    heads = attribute_loss([l[:n] for l in logits], batch.labels) + uncertain_loss([l[n:] for l in logits])
    return loss + cfg.aux_weight * heads, s_real, s_fake


def generator_loss(
    D: torch.nn.Module, batch: Batch, *, readouts: Readouts | None, cfg: TrainConfig, group: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fakes should read real for their words, show the attributes they name, and vary as their real clips do
    (groups of `group` clips share a prompt); the generator's fitted read-outs match the real twins. The
    discriminator, variety and moment terms share the fakes' path, and its backward. -> (the whole loss, its
    path terms alone: path_fit_loss, which is part of it)."""
    _, _, gen_loss = adversarial_losses(cfg.loss)
    scores, logits = D(batch.fake, batch.ids, path=batch.fake_path)
    loss = gen_loss(scores[0]).mean() + cfg.aux_weight * attribute_loss(logits, batch.labels)
    fit = path_fit_loss(batch.fake_path, batch.real_path, cfg, group)
    loss = loss + fit
    if readouts is not None:  # their only gradients, so no weights: Adam's steps do not depend on their scale
        loss = loss + colour_loss(readouts.paint, batch.colour) + shape_loss(readouts.mask, batch.real)
        loss = loss + symmetry_loss(readouts.symmetry, batch.real_path)
    return loss, fit


def path_fit_loss(
    fake_path: torch.Tensor, real_path: torch.Tensor, cfg: TrainConfig, group: int
) -> torch.Tensor:
    """The terms that fit each prompt's fake paths to its real paths: variety, moment and energy, weighted."""
    loss = fake_path.new_zeros(())
    if cfg.variety_weight:
        loss = loss + cfg.variety_weight * variety_loss(fake_path, real_path, group)
    if cfg.moment_weight:
        loss = loss + cfg.moment_weight * moment_loss(fake_path, real_path, group)
    if cfg.energy_weight:
        loss = loss + cfg.energy_weight * energy_loss(fake_path, real_path, group)
    return loss
