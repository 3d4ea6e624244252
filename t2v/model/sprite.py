"""The sprite's appearance and where it lands: its alpha from mask logits, its size along a track, and its
coverage of each frame through a spatial transformer. Clips are (B, 3, T, H, W) in [-1, 1]."""

from __future__ import annotations

import torch
import torch.nn.functional as F

# The sprite's box reaches this many equal-area radii of its shape each way from the shape's centroid: room
# for a triangle's apex (1.67 radii above its centroid) and a square's corners (1.25).
SHAPE_REACH = 2.0
# The sprite's half-width at scale 1, in normalised frame units ([-1, 1] across): SHAPE_REACH equal-area radii
# of a shape the middle of the data's sizes.
BASE_EXTENT = 0.6
# The sprite spans 0.22x to 1.5x its base size: it cannot grow to paint a path.
LOG_SCALE_RANGE = (-1.5, 0.4)
ALPHA_MARGIN = 0.05  # alpha = sigmoid stretched by this much each side, then clipped to [0, 1]
# The mask is fitted to the real shapes' anti-aliased coverage, and the compositor's bilinear resampling
# softens it again. Sampling draws it this many times sharper: the same outline, a pixel-wide edge.
SAMPLE_SHARPENING = 4.0


def alpha(logits: torch.Tensor, sharpen: bool) -> torch.Tensor:
    """Mask logits (n, 1, h, w) -> alpha in [0, 1], saturating to exactly 0 and 1 (white stays white, the fill
    solid); sharpened for sampling."""
    if sharpen:
        logits = logits * SAMPLE_SHARPENING
    m = ALPHA_MARGIN
    return (torch.sigmoid(logits) * (1 + 2 * m) - m).clamp(0.0, 1.0)


def log_scale(track: torch.Tensor) -> torch.Tensor:
    """The sprite's log-scale per frame (n, T) from a track (n, T, 3), softly bounded so gradients stay
    alive."""
    lo, hi = LOG_SCALE_RANGE
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    return mid + half * torch.tanh((track[..., 2] - mid) / half)


def radius(track: torch.Tensor) -> torch.Tensor:
    """The sprite's equal-area radius per frame (n, T), frame units: its box reaches SHAPE_REACH of them."""
    return BASE_EXTENT * torch.exp(log_scale(track)) / SHAPE_REACH


def _base_grid(size: int, like: torch.Tensor) -> torch.Tensor:
    """affine_grid's base grid for a size x size output: (size * size, 3) rows of x, y, 1."""
    identity = torch.eye(2, 3, device=like.device, dtype=like.dtype)[None]
    xy = F.affine_grid(identity, [1, 1, size, size], align_corners=False).view(-1, 2)
    return torch.cat([xy, torch.ones_like(xy[:, :1])], dim=1)


class AxisAlignedGrid(torch.autograd.Function):
    """F.affine_grid(theta, [n, 1, size, size], align_corners=False) for thetas (n, 2, 3) that only scale and
    shift (zero off the diagonal), the same grid to the bit. affine_grid multiplies a general theta into an
    (n, H, W, 3) base grid, one batched matrix product per item; an axis-aligned grid is one row of x and
    one column of y, scaled and shifted, at a fifth of the step's cost. The backward is affine_grid's own
    product, with one base grid for the batch. Computed in float32, as autocast runs affine_grid."""

    @staticmethod
    def forward(ctx, theta: torch.Tensor, size: int) -> torch.Tensor:
        theta = theta.float()
        ctx.size = size
        base = _base_grid(size, theta).view(size, size, 3)
        x, y = base[0, :, 0], base[:, 0, 1]
        grid_x = x[None, None, :] * theta[:, 0, 0, None, None] + theta[:, 0, 2, None, None]
        grid_y = y[None, :, None] * theta[:, 1, 1, None, None] + theta[:, 1, 2, None, None]
        n = theta.shape[0]
        return torch.stack([grid_x.expand(n, size, size), grid_y.expand(n, size, size)], dim=-1)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        n, size = grad.shape[0], ctx.size
        return grad.reshape(n, size * size, 2).transpose(1, 2) @ _base_grid(size, grad), None


def coverage(alpha: torch.Tensor, track: torch.Tensor, size: int) -> torch.Tensor:
    """alpha (n, 1, h, w) in [0, 1] moved along track (n, T, 3) -> coverage (n, 1, T, size, size) in [0,
    1]."""
    b, t, s = track.shape[0], track.shape[1], size
    inv = 1.0 / (BASE_EXTENT * torch.exp(log_scale(track)))
    zero = torch.zeros_like(inv)
    theta = torch.stack(
        [
            torch.stack([inv, zero, -track[..., 0] * inv], -1),
            torch.stack([zero, inv, -track[..., 1] * inv], -1),
        ],
        dim=-2,
    )  # (B, T, 2, 3)
    grid = AxisAlignedGrid.apply(theta.view(b * t, 2, 3), s)
    masks = alpha.unsqueeze(1).expand(b, t, *alpha.shape[1:]).reshape(b * t, *alpha.shape[1:])
    cover = F.grid_sample(masks, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return cover.view(b, 1, t, s, s)
