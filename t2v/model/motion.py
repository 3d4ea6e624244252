"""What moves a sprite, beyond the learned recurrence: the noise an object's motion reads, named by use; the
oscillation a zigzag swings with; the symmetries a path is drawn under; and the walls it bounces off.

What no network has to learn from the noise is here: a network rarely learns a fold of its input (which of two
mirror images, which wall) or a uniform angle, so these are drawn as coins and angles from the noise directly,
where the prompt's symmetries, fitted to the real clips, allow."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from t2v.model.paths import turn_about_centre
from t2v.model.sprite import radius

POSE = 3  # the sprite's pose per frame: x, y, log-scale
SWITCHES = 2  # binary choices the motion noise makes: the signs of its first entries
WAVE = 3  # the oscillation's parameters: amplitude, half-period, phase
SYMMETRY_COINS = (
    4  # first-frame noise entries the symmetries read: a coin per mirror axis, then an angle's two
)
# Per clip, path statistics that the data's symmetries average to zero (t2v.model.paths.symmetry_statistics):
# mean position, mean velocity, mean spin, and the velocity's orientation (vx^2 - vy^2, 2 vx vy). Each
# symmetry a path may be drawn under, with the statistics it changes: a mirror negates those odd in its axis;
# a turn about the frame centre by a uniform angle averages all but the spin to zero.
SYMMETRY_STATISTICS = ("x", "y", "vx", "vy", "spin", "vx2-vy2", "2vxvy")
SYMMETRIES = {"mirror x": (0, 2, 4, 6), "mirror y": (1, 3, 4, 6), "turn": (0, 1, 2, 3, 5, 6)}
MAX_STEP = (
    0.25  # normalised frame units per frame: about twice the data's fastest; a larger step reads as a jump
)
STILL_TRAVEL = 0.05  # normalised frame units: a tenth of the data's least zigzag advance


@dataclass
class ObjectNoise:
    """One object's noise, (n, noise_dim + T * frame_noise) split by what reads it."""

    motion: torch.Tensor  # (n, noise_dim): the motion network's start; see switches and tempo
    frames: torch.Tensor  # (n, T, frame_noise): the recurrence's input from frame 1; see symmetry_coins

    @classmethod
    def split(cls, noise: torch.Tensor, noise_dim: int, frames: int, frame_noise: int) -> ObjectNoise:
        motion, per_frame = noise.split([noise_dim, frames * frame_noise], dim=1)
        return cls(motion, per_frame.view(len(noise), frames, frame_noise))

    @property
    def switches(self) -> torch.Tensor:
        """(n, SWITCHES) signs of the motion noise's first entries: a choice between two modes (which way a
        zigzag advances, which wall a bounce turns at) is then linear in the network's input."""
        return torch.sign(self.motion[:, :SWITCHES])

    @property
    def tempo(self) -> torch.Tensor:
        """(n,) the entry after the switches: a standard normal that scales the clip's speed (its log)."""
        return self.motion[:, SWITCHES]

    @property
    def symmetry_coins(self) -> torch.Tensor:
        """(n, SYMMETRY_COINS) the first frame's entries, which the recurrence never reads (it starts at frame
        1)."""
        return self.frames[:, 0, :SYMMETRY_COINS]


def oscillation(wave: torch.Tensor, path: torch.Tensor, frames: int) -> torch.Tensor:
    """A triangle wave per clip across the way its path (B, T, 3) travels: amplitude, half-period of 1.5 to 4
    frames and a phase (B, WAVE) -> offsets (B, T, 3). The data's zigzag (t2v.data.motions) is its numpy twin,
    with fixed parameters. Across the travel only, as a zigzag swings: along it, the wave would bend a zigzag
    back on itself and put extra turns into a bounce."""
    amplitude = 0.3 * torch.tanh(wave[:, :1])
    half_period = 1.5 + 2.5 * torch.sigmoid(wave[:, 1:2])
    phase = wave[:, 2:3]  # unbounded: the wave wraps, so its phase is linear in the noise
    travel = (path[:, -1, :2] - path[:, 0, :2]).detach()  # the wave follows the path, never steers it
    # a path that barely travels has no direction, and swings little
    travel = travel / (travel.square().sum(dim=1, keepdim=True) + STILL_TRAVEL**2).sqrt()
    across = torch.stack([-travel[:, 1], travel[:, 0]], dim=1)
    u = torch.remainder(torch.arange(frames, device=wave.device) / half_period + phase, 2.0)  # (B, T)
    triangle = 1.0 - 2.0 * torch.abs(u - 1.0)
    offset = (amplitude * across)[:, None, :] * triangle[..., None]
    return F.pad(offset, (0, 1))


def freedom(symmetry: torch.Tensor) -> torch.Tensor:
    """Which symmetries (SYMMETRIES, in order) leave a path as likely as it was: read-outs (n, STATISTICS) ->
    (n, 3) bool, true where no statistic the symmetry changes has an expected sign of a half or more."""
    signed = symmetry.abs()
    return torch.stack([signed[:, list(c)].amax(dim=1) < 0.5 for c in SYMMETRIES.values()], dim=1)


def symmetrise(track: torch.Tensor, free: torch.Tensor, coins: torch.Tensor) -> torch.Tensor:
    """Draw each path (n, T, 3) under the symmetries its words leave free (n, 3), chosen by coins (n, 4):
    mirrored through the frame centre per axis where a coin's sign says so (a bounce at either wall, a zigzag
    advancing either way), then turned about the centre by a uniform angle (an orbit from any phase)."""
    sign = torch.where(free[:, :2] & (coins[:, :2] < 0), -1.0, 1.0).to(track.dtype)
    angle = torch.atan2(coins[:, 2], coins[:, 3]) * free[:, 2].to(track.dtype)
    turned = turn_about_centre(track[..., :2] * sign[:, None], angle)
    return torch.cat([turned, track[..., 2:]], dim=-1)


def reflect(track: torch.Tensor) -> torch.Tensor:
    """Sprites bounce off the frame's edges: a centre past the wall (the frame edge less the sprite's radius)
    is reflected back, as a ball off a wall."""
    wall = (1.0 - radius(track))[..., None]
    xy = track[..., :2]
    xy = torch.where(xy > wall, 2 * wall - xy, xy)
    xy = torch.where(xy < -wall, -2 * wall - xy, xy)
    return torch.cat([xy, track[..., 2:]], dim=-1)
