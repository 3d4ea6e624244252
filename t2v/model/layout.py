"""Two objects of one prompt placed apart, by search and not learned: the data's layout procedure
(t2v.data.layout) in torch, so the generator's pairs lie as far apart as the real ones, each motion untouched.

Both share their bounds (t2v.pair_bounds) and differ in two ways, each for a reason. The data draws its
candidates at random; here they come from the prompt's own noise (a low-discrepancy sequence), so a seed fixes
the layout as it fixes the clip. The data knows each shape's exact half-size; the generator knows only a
sprite's equal-area radius, so outlines count as meeting within APART_REACH radii (a square's corner)."""

from __future__ import annotations

import math

import torch

from t2v.model.paths import turn_about_centre
from t2v.model.sprite import radius
from t2v.pair_bounds import LAYOUT_TRIES, PAIR_SHIFT

LAYOUT_NOISE = 4  # noise entries per prompt that set its candidates: a shift and a turn per object
LAYOUT_STEPS = (0.6180339887, 0.4142135624, 0.7320508076, 0.2360679775)  # irrational steps, one per entry
MAX_SHIFT = 2 * PAIR_SHIFT  # normalised frame units ([-1, 1] across)
APART_REACH = 1.25  # equal-area radii within which an outline lies: a square's corner
STILL_SPREAD = 0.1  # normalised frame units: a path spread less than this about its mean stays in place


def across_main_axis(xy: torch.Tensor) -> torch.Tensor:
    """The unit vector (n, 2) across the main axis (of greatest spread) of paths xy (n, T, 2): across a
    translation's direction, a bounce's or a zigzag's axis."""
    rel = xy - xy.mean(dim=1, keepdim=True)
    xx, yy, xy_ = (rel[..., 0] ** 2).mean(1), (rel[..., 1] ** 2).mean(1), (rel[..., 0] * rel[..., 1]).mean(1)
    axis = 0.5 * torch.atan2(2 * xy_, xx - yy)
    return torch.stack([-torch.sin(axis), torch.cos(axis)], dim=1)


@torch.no_grad()
def layout_moves(
    paths: tuple[torch.Tensor, torch.Tensor], turnable: torch.Tensor, noise: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The move of each object of P two-object prompts that keeps the pair apart. LAYOUT_TRIES moves of both
    objects are tried, the first the paths as drawn; the first leaving the outlines apart in every frame, both
    inside the frame, wins, else the one with the fewest frames that meet. A move is one the object's motion
    allows: a shift across the main axis of its path (a translation, a bounce, a zigzag) up to MAX_SHIFT,
    then, where its words leave it free to turn, a turn about the frame centre. An orbit (free to turn,
    travelling) is only turned; a change of size (free to turn, still) is shifted any way. An outline may not
    leave the frame further than the path as drawn takes it (a bounce reaches the wall).

    paths: each object's (P, T, 3); turnable (2, P) bool; noise (P, LAYOUT_NOISE). -> (shifts (2, P, 2),
    angles (2, P)): each path is turned, then shifted."""
    k = torch.arange(LAYOUT_TRIES, device=noise.device, dtype=noise.dtype)
    start = torch.special.ndtr(noise)[:, :, None]  # (P, 4, 1) uniform
    steps = torch.tensor(LAYOUT_STEPS, device=noise.device, dtype=noise.dtype)[None, :, None]
    u = torch.remainder(start + k * steps, 1.0)  # (P, 4, K)
    u[..., 0] = 0.5  # the first candidate: the paths as drawn (no shift, no turn)
    placed, shifts, angles, allowed, radii = [], [], [], [], []
    for j, path in enumerate(paths):
        xy = path[..., :2]
        rel = xy - xy.mean(dim=1, keepdim=True)
        still = rel.square().sum(dim=-1).mean(dim=1).sqrt() < STILL_SPREAD
        amount = MAX_SHIFT * (2 * u[:, 2 * j] - 1) * (~turnable[j] | still)[:, None]  # (P, K)
        angle = 2 * math.pi * (u[:, 2 * j + 1] - 0.5) * turnable[j, :, None]
        offset = amount[..., None] * across_main_axis(xy)[:, None, :]  # (P, K, 2)
        # Shifted, then turned: the same as turned, then shifted by the turned offset.
        moved = turn_about_centre((xy[:, None] + offset[:, :, None]).flatten(0, 1), angle.flatten())
        placed.append(moved.view(*angle.shape, *xy.shape[1:]))  # (P, K, T, 2)
        shifts.append(turn_about_centre(offset.flatten(0, 1)[:, None], angle.flatten()).view(offset.shape))
        angles.append(angle)
        reach = radius(path)  # (P, T)
        radii.append(reach[:, None])
        wall = 1.0 - APART_REACH * reach  # where the outline meets the edge
        allowed.append(torch.maximum(wall, xy.abs().amax(dim=-1))[:, None, :, None] + 1e-5)
    outside = sum((c.abs() > a).any(dim=-1).any(dim=-1) for c, a in zip(placed, allowed))
    meets = ((placed[0] - placed[1]).norm(dim=-1) < APART_REACH * (radii[0] + radii[1])).sum(dim=-1)
    frames = paths[0].shape[1]
    best = torch.argmin(outside * (frames + 1) + meets, dim=1)  # the first of the cheapest
    rows = torch.arange(len(best), device=best.device)
    return torch.stack([s[rows, best] for s in shifts]), torch.stack([a[rows, best] for a in angles])


def lay_out(
    track: torch.Tensor, turnable: torch.Tensor, rows: torch.Tensor, noise: torch.Tensor
) -> torch.Tensor:
    """Place the two objects of each two-object prompt apart (layout_moves): track (B + P, T, 3), the B first
    objects then the P second ones; turnable (B + P,): whose words leave it free to turn; rows (P,): their
    prompts; noise (P, LAYOUT_NOISE). Each path keeps its gradient: a move is a fixed turn and shift of it."""
    b = len(track) - len(rows)
    paths = (track[rows], track[b:])
    shifts, angles = layout_moves(
        tuple(p.detach() for p in paths), torch.stack([turnable[rows], turnable[b:]]), noise
    )
    placed = [
        torch.cat([turn_about_centre(p[..., :2], a) + s[:, None], p[..., 2:]], dim=-1)
        for p, s, a in zip(paths, shifts, angles)
    ]
    return torch.cat([track[:b].index_copy(0, rows, placed[0]), placed[1]])
