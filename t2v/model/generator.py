"""The layered video generator: per object, a sprite (t2v.model.sprite) moved along a track that a recurrent
network draws (t2v.model.motion), two objects laid out apart (t2v.model.layout), then composited on white
(t2v.model.layers). This module holds what is learned and the order of the jobs."""

from __future__ import annotations

import math

import torch
from torch import nn

from t2v.config import ModelConfig
from t2v.model import sprite
from t2v.model.base import Generator, Readouts
from t2v.model.bounds import LAYERED_MAX_SWEEP_DEG, LAYERED_MAX_TEMPO_SPREAD
from t2v.model.layers import Layers
from t2v.model.layout import LAYOUT_NOISE, lay_out
from t2v.model.motion import (
    MAX_STEP,
    POSE,
    SWITCHES,
    SYMMETRY_COINS,
    SYMMETRY_STATISTICS,
    WAVE,
    ObjectNoise,
    freedom,
    oscillation,
    reflect,
    symmetrise,
)
from t2v.model.paths import frame_coords, turn_about_centre
from t2v.model.text import TextEncoder
from t2v.prompts import MAX_OBJECTS

CLOCK_PERIODS = (2.0, 2.83, 4.0, 5.66, 8.0, 11.3)  # frames; a geometric ladder like a positional encoding


class LayeredGenerator(Generator):
    """A sprite drawn once per clip, moved and scaled per frame by a recurrent motion network (a MoCoGAN-style
    motion code) and composited on white with a spatial transformer. Frames share one sprite and one track, so
    clips are coherent by construction.

    The sprite is one flat colour, from the colour words, over an alpha mask, from the shape words: a fill
    cannot be mottled or rimmed, and the mask alone carries the outline. Both are read-outs fitted to the real
    clips with the same words (Readouts), not learned adversarially: the discriminator's gradient pushes a
    fill past its real colour and bends a triangle's apex.

    Each frame the recurrent network, which sees the current pose and a clock, sets four motion primitives: a
    velocity, a turn about the frame centre, a change of scale, and (once per clip) an oscillation. Which a
    prompt needs is learned from the words, adversarially; the noise sets what the words leave open (start,
    phase, speed, size). A tempo, log-normal with a spread fitted to the real paths, scales each clip's speed;
    the path is then drawn under the symmetries the words leave free, and bounces off the frame's edges."""

    max_sweep = math.radians(LAYERED_MAX_SWEEP_DEG)  # the widest turn about the centre over a clip
    max_tempo_spread = LAYERED_MAX_TEMPO_SPREAD  # log-sd of the tempo
    max_objects = MAX_OBJECTS

    def __init__(self, cfg: ModelConfig, vocab: list[str], frames: int, size: int):
        super().__init__()
        self.frames, self.size, self.noise_dim = frames, size, cfg.noise_dim
        self.max_turn = self.max_sweep / max(frames - 1, 1)  # radians per frame
        # per frame; at least the symmetry coins, which the first frame's noise holds
        self.frame_noise = max(SYMMETRY_COINS, cfg.noise_dim // 4)
        e, z = cfg.text_dim, cfg.noise_dim
        self.text = TextEncoder(vocab, e)
        self.paint = nn.Linear(e, 3)
        n = size  # a grid as fine as the frame's: at half that, a 32 px circle's outline is an octagon
        self.mask = nn.Linear(e, n * n)  # alpha logits on an n x n grid across the sprite's box
        nn.init.zeros_(self.mask.weight)
        radius = frame_coords(n).norm(dim=0).flatten()
        # It starts as a disc the size the fitted shapes will be, so early clips show a blob.
        with torch.no_grad():
            self.mask.bias.copy_(8.0 * (1.0 / sprite.SHAPE_REACH - radius))
        hidden = 2 * e
        # initial hidden state, initial pose (x, y, log-scale), oscillation (amplitude x, y, period, phase)
        self.motion_init = nn.Sequential(
            nn.Linear(e + z + SWITCHES, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden + POSE + WAVE),
        )
        t = torch.arange(frames, dtype=torch.float32)[:, None] * (2 * math.pi / torch.tensor(CLOCK_PERIODS))
        self.register_buffer("clock", torch.cat([t.sin(), t.cos()], dim=1), persistent=False)  # (T, 2P)
        self.rnn = nn.GRUCell(e + self.frame_noise + POSE + self.clock.shape[1], hidden)
        self.step = nn.Linear(hidden, 4)  # velocity x, y; log-scale rate; turn about the centre
        self.tempo = nn.Linear(e, 1)
        nn.init.zeros_(self.tempo.weight)
        nn.init.constant_(self.tempo.bias, -2.0)  # a narrow spread at first
        # A prompt's symmetries: the expected sign of each path statistic (SYMMETRY_STATISTICS) its real clips
        # show, read from the motion words. Near 0 for every statistic a symmetry changes, the path drawn
        # under it is as likely as the path. Not linear: the orientation's sign is an exclusive or of the
        # words (a bounce is vertical and a zigzag horizontal when their paths run the same way).
        self.symmetry = nn.Sequential(
            nn.Linear(e, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, len(SYMMETRY_STATISTICS))
        )
        nn.init.normal_(self.step.weight, std=0.01)
        nn.init.zeros_(self.step.bias)

    def compile_for_training(self, mode: str | None) -> None:
        """Only the motion loop, the many small operations per frame, and for any number of objects: a batch
        draws its own number of second objects, and the sprite's affine grid (sprite.coverage) has no backward
        for a size that is not a number."""
        self._track = torch.compile(self._track, mode=mode, dynamic=True)

    def fitted_parameters(self) -> list[nn.Parameter]:
        readouts = (self.paint, self.mask, self.symmetry)
        return [p for layer in readouts for p in layer.parameters()] + self.spread_parameters()

    def spread_parameters(self) -> list[nn.Parameter]:
        """The tempo's width: the discriminator's gradient on it, ten times the path terms' and of either sign
        from batch to batch, would hold every prompt's speeds near one."""
        return list(self.tempo.parameters())

    @property
    def object_noise_size(self) -> int:
        return self.noise_dim + self.frames * self.frame_noise

    @property
    def noise_size(self) -> int:
        """Noise per prompt: one object's for each object a prompt may name (a one-object prompt uses the
        first), then the layout's (LAYOUT_NOISE), read only for two-object prompts."""
        return MAX_OBJECTS * self.object_noise_size + LAYOUT_NOISE

    def forward(
        self,
        ids: torch.Tensor,
        noise: torch.Tensor,
        slots: torch.Tensor | None = None,
        second: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Clips (B, 3, T, H, W) of the prompts ids (B, L). With slots (B,) (0: the first object, 1: the
        second), instead each clip's one object as seen (the second with what the first hides taken out), for
        training. second: second_rows(ids) (Generator.forward)."""
        layers = self.draw(ids, noise, self.second_rows(ids) if second is None else second)
        return layers.composite() if slots is None else layers.visible(slots)

    def second_rows(self, ids: torch.Tensor) -> torch.Tensor:
        return torch.nonzero(self.text.has_second(ids)).squeeze(1)

    def draw(self, ids: torch.Tensor, noise: torch.Tensor, rows: torch.Tensor) -> Layers:
        """One layer per object: the prompts' first objects, then the second objects of those that name
        two (rows)."""
        b = ids.shape[0]
        words = self.text(ids)  # (B, objects, roles, D)
        objects, layout = noise.split([noise.shape[1] - LAYOUT_NOISE, LAYOUT_NOISE], dim=1)
        first, second = objects.reshape(b, MAX_OBJECTS, -1).unbind(dim=1)
        words = torch.cat([words[:, 0], words[rows, 1]])
        colour, shape, motion = words.unbind(dim=1)

        # The fitted read-outs take no gradient from the discriminator (Readouts).
        alpha = self.sprite(shape).detach()
        rgb = self.paint_colour(colour).detach()  # (n, 3)
        # Which symmetries each object's words leave free: read once, for its drawing and for its layout.
        free = freedom(self.symmetry(motion.detach()))  # (n, 3)
        object_noise = ObjectNoise.split(
            torch.cat([first, second[rows]]), self.noise_dim, self.frames, self.frame_noise
        )
        track = self._track(motion, object_noise, free)
        if len(rows):
            track = lay_out(track, free[:, 2], rows, layout[rows])
        return Layers(sprite.coverage(alpha, track, self.size), rgb, rows)

    def _track(self, motion: torch.Tensor, noise: ObjectNoise, free: torch.Tensor) -> torch.Tensor:
        """Each object's pose per frame (n, T, 3): x, y in [-1, 1] frame units, log-scale; motion (n, D): its
        motion words; free (n, 3): the symmetries they leave free (t2v.model.motion.freedom)."""
        n = motion.shape[0]
        init = self.motion_init(torch.cat([motion, noise.motion, noise.switches], dim=1))
        hidden, pose, wave = init.split([init.shape[1] - POSE - WAVE, POSE, WAVE], dim=1)
        # The clip's tempo scales its velocity and turn. Left to the recurrence, every clip of a prompt took
        # nearly one speed; as a plain log-normal spread of the noise, clips vary as the data's do.
        tempo = torch.exp(self.max_tempo_spread * torch.sigmoid(self.tempo(motion)).squeeze(1) * noise.tempo)
        # The start in polar form about the frame centre: a ring of starts (an orbit's phase) is then linear
        # in the noise, where in x, y it needs a fold the network rarely learns.
        reach, angle = pose[:, 0], math.pi * pose[:, 1]
        pose = torch.stack([reach * torch.cos(angle), reach * torch.sin(angle), pose[:, 2]], dim=1)
        poses = [pose]
        for step in range(1, self.frames):
            # The network sees where the sprite is (a bounce depends on the distance to the edge) and a clock.
            clock = self.clock[step].expand(n, -1)
            hidden = self.rnn(torch.cat([motion, noise.frames[:, step], pose, clock], dim=1), hidden)
            velocity_x, velocity_y, grow, turn = self.step(hidden).unbind(dim=1)
            angle = self.max_turn * torch.tanh(tempo * turn / (2 * self.max_turn))
            velocity = MAX_STEP * torch.tanh(
                tempo[:, None] * torch.stack([velocity_x, velocity_y], dim=1) / (10 * MAX_STEP)
            )
            # an exact turn about the frame centre, so an orbit keeps its radius
            xy = turn_about_centre(pose[:, None, :2], angle)[:, 0] + velocity
            pose = torch.cat([xy, (pose[:, 2] + 0.1 * grow)[:, None]], dim=1)
            poses.append(pose)
        track = torch.stack(poses, dim=1)
        track = track + oscillation(wave, track, self.frames)
        track = symmetrise(track, free, noise.symmetry_coins)
        return reflect(track)

    def sprite(self, shape: torch.Tensor) -> torch.Tensor:
        """The sprite's alpha from the shape role's vector: (B, 1, n, n) in [0, 1], sharper when sampling."""
        return sprite.alpha(self.mask(shape).view(-1, 1, self.size, self.size), sharpen=not self.training)

    def paint_colour(self, colour: torch.Tensor) -> torch.Tensor:
        """The sprite's fill (B, 3) in [-1, 1] from the colour role's vector."""
        return torch.tanh(self.paint(colour))

    def readouts(self, ids: torch.Tensor) -> Readouts:
        return Readouts(paint=self.colours(ids), mask=self.masks(ids), symmetry=self.symmetries(ids))

    def masks(self, ids: torch.Tensor) -> torch.Tensor:
        """The alpha each prompt draws its sprite with: ids (B, L) -> (B, 1, n, n)."""
        return self.sprite(self.text(ids)[:, 0, 1])  # the first object's

    def symmetries(self, ids: torch.Tensor) -> torch.Tensor:
        """The expected sign of each path statistic for each prompt's motion: ids (B, L) -> (B,
        STATISTICS)."""
        return self.symmetry(self.text(ids)[:, 0, 2])

    def colours(self, ids: torch.Tensor) -> torch.Tensor:
        """The fill each prompt paints its sprite with: ids (B, L) -> (B, 3) in [-1, 1]."""
        return self.paint_colour(self.text(ids)[:, 0, 0])
