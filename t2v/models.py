"""The networks: a text encoder, the layered video generator, the video discriminator, and the tutorial's
per-frame DCGAN (`seed`) kept as a baseline. Clips are (B, 3, T, H, W) in [-1, 1] on a white (+1) background."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from t2v.bounds import LAYERED_MAX_SWEEP_DEG, LAYERED_MAX_TEMPO_SPREAD
from t2v.config import ModelConfig
from t2v.prompts import COLOURS, CONJUNCTION, MAX_OBJECTS, MOTIONS, ROLES, SHAPES, word_role

N_ATTRIBUTES = (len(SHAPES), len(COLOURS), len(MOTIONS))
POSE = 3  # the generator's sprite pose: x, y, log-scale
# The sprite's box reaches this many equal-area radii of its shape each way from the shape's centroid: room
# for a triangle's apex (1.67 radii above its centroid) and a square's corners (1.25).
SHAPE_REACH = 2.0
# Two-object layout (LayeredGenerator._layout_moves): candidates tried, the noise that sets them (a shift and a
# turn per object) and the irrational steps of its low-discrepancy sequence.
LAYOUT_CANDIDATES = 256
LAYOUT_NOISE = 4
LAYOUT_STEPS = (0.6180339887, 0.4142135624, 0.7320508076, 0.2360679775)
SWITCHES = 2  # binary choices the motion noise makes (see LayeredGenerator.forward)
WAVE = 3  # its oscillation: amplitude, half-period, phase
# Per clip, path statistics that the data's symmetries average to zero (symmetry_statistics): mean position,
# mean velocity, mean spin, and the velocity's orientation (vx^2 - vy^2, 2 vx vy). Each symmetry a path may be
# drawn under, with the statistics it changes: a mirror negates those odd in its axis; a turn about the frame
# centre by a uniform angle averages all but the spin to zero.
SYMMETRY_STATISTICS = ("x", "y", "vx", "vy", "spin", "vx2-vy2", "2vxvy")
SYMMETRIES = {"mirror x": (0, 2, 4, 6), "mirror y": (1, 3, 4, 6), "turn": (0, 1, 2, 3, 5, 6)}


class TextEncoder(nn.Module):
    """Word embeddings pooled per object and grammatical role: ids (B, L) -> (B, MAX_OBJECTS, 3, dim), for each
    object (the words before `and`, then after it) one vector each for its colour, shape and motion words (a
    learned query attends over that object's words of that role; a learned vector stands in for a role the
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
        # A finite fill: a role with no words would otherwise softmax to NaN, and NaN leaks through torch.where
        # into the gradients even where the absent vector is chosen.
        pooled = torch.einsum("brl,bld->brd", scores.masked_fill(~member, -1e4).softmax(dim=-1), words)
        absent = self.absent.repeat(MAX_OBJECTS, 1).to(pooled.dtype)
        return torch.where(member.any(dim=-1, keepdim=True), pooled, absent).view(b, MAX_OBJECTS, r, -1)


class LayeredGenerator(nn.Module):
    """A sprite drawn once per clip, moved and scaled per frame by a recurrent motion network (a MoCoGAN-style
    motion code) and composited on white with a spatial transformer. Frames share one sprite and one track, so
    clips are coherent by construction.

    The sprite is one flat colour, from the colour words, over an alpha mask, from the shape words: a fill cannot
    be mottled or rimmed, and the mask alone carries the outline. Both are linear read-outs fitted to the real
    clips with the same words, not learned adversarially (see forward). Alpha saturates to exactly 0 and 1, so
    the background stays white and the fill solid.

    Each frame the recurrent network, which sees the current pose and a clock, sets four motion primitives:
    a velocity, a turn about the frame centre, a change of scale, and (once per clip) an oscillation with its
    amplitude, period and phase. Which primitives a prompt needs is learned from the words, adversarially; the
    motion noise sets everything the words leave open (start, phase, speed, size). What no network has to learn
    from the noise: the frame's edges reflect the sprite as walls do a ball; a tempo, log-normal with a spread
    fitted to the real paths (not adversarially), scales each clip's speed; and the whole path is mirrored (coins)
    and turned (a uniform angle) where the prompt's symmetries, fitted to the real clips, allow: a bounce at either
    wall, a zigzag either way, an orbit from any phase."""

    # The sprite's half-width at scale 1, in normalised frame units ([-1, 1] across): SHAPE_REACH equal-area
    # radii of a shape the middle of the data's sizes.
    base_extent = 0.6
    # The sprite spans 0.22x to 1.5x its base size: it cannot grow to paint a path.
    log_scale_range = (-1.5, 0.4)
    # Bounds on motion: a larger step reads as a teleport. A step is at most about twice the data's fastest;
    # a turn about the centre at most LAYERED_MAX_SWEEP_DEG over the clip, 10% past the data's widest orbit: at
    # 0.6 radians a frame, the bound before, the fastest generated orbits jumped past the temporal check's limit.
    max_sweep = math.radians(LAYERED_MAX_SWEEP_DEG)
    max_step = 0.25  # normalised frame units per frame
    # How far the layout may shift an object of a two-object prompt: normalised frame units, the data's layout's
    # bound (t2v.layout.PAIR_SHIFT, a quarter of the frame).
    max_shift = 0.5
    apart_reach = 1.25  # equal-area radii within which an outline lies: a square's corner
    still_spread = 0.1  # normalised frame units: a path spread less than this about its mean stays in place
    clock_periods = (2.0, 2.83, 4.0, 5.66, 8.0, 11.3)  # frames; a geometric ladder like a positional encoding
    max_tempo_spread = LAYERED_MAX_TEMPO_SPREAD  # log-sd of the tempo
    still_travel = 0.05  # normalised frame units: a tenth of the data's least zigzag advance
    alpha_margin = 0.05  # alpha = sigmoid stretched by this much each side, then clipped to [0, 1]
    # The mask is fitted to the real shapes' anti-aliased coverage, and the compositor's bilinear resampling
    # softens it again. Sampling (eval mode) draws it this many times sharper: the same outline, a pixel-wide edge.
    sample_sharpening = 4.0

    def __init__(self, cfg: ModelConfig, vocab: list[str], frames: int, size: int):
        super().__init__()
        self.frames, self.size, self.noise_dim = frames, size, cfg.noise_dim
        self.max_turn = self.max_sweep / max(frames - 1, 1)  # radians per frame
        self.frame_noise = max(4, cfg.noise_dim // 4)  # the first frame's is the symmetries' (_symmetrise)
        e, z = cfg.text_dim, cfg.noise_dim
        self.text = TextEncoder(vocab, e)
        self.paint = nn.Linear(e, 3)
        n = size  # a grid as fine as the frame's: at half that, a 32 px circle's outline came out an octagon
        self.mask = nn.Linear(e, n * n)  # alpha logits on an n x n grid across the sprite's box
        nn.init.zeros_(self.mask.weight)
        radius = frame_coords(n).norm(dim=0).flatten()
        # It starts as a disc the size the fitted shapes will be, so early clips show a blob.
        with torch.no_grad():
            self.mask.bias.copy_(8.0 * (1.0 / SHAPE_REACH - radius))
        hidden = 2 * e
        # initial hidden state, initial pose (x, y, log-scale), oscillation (amplitude x, y, period, phase)
        self.motion_init = nn.Sequential(
            nn.Linear(e + z + SWITCHES, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden + POSE + WAVE),
        )
        t = torch.arange(frames, dtype=torch.float32)[:, None] * (
            2 * math.pi / torch.tensor(self.clock_periods)
        )
        self.register_buffer("clock", torch.cat([t.sin(), t.cos()], dim=1), persistent=False)  # (T, 2P)
        self.rnn = nn.GRUCell(e + self.frame_noise + POSE + self.clock.shape[1], hidden)
        self.step = nn.Linear(hidden, 4)  # velocity x, y; log-scale rate; turn about the centre
        self.tempo = nn.Linear(e, 1)
        nn.init.zeros_(self.tempo.weight)
        nn.init.constant_(self.tempo.bias, -2.0)  # a narrow spread at first
        # A prompt's symmetries: the expected sign of each path statistic (SYMMETRY_STATISTICS) its real clips
        # show, read from the motion words and fitted to the real clips (t2v.losses.symmetry_loss). Near 0 for
        # every statistic a symmetry changes, the path drawn under it is as likely as the path. Not linear: the
        # orientation's sign is an exclusive or of the words (a bounce is vertical and a zigzag horizontal when
        # their paths run the same way), which no linear read-out of pooled words can fit.
        self.symmetry = nn.Sequential(
            nn.Linear(e, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, len(SYMMETRY_STATISTICS))
        )
        nn.init.normal_(self.step.weight, std=0.01)
        nn.init.zeros_(self.step.bias)

    def spread_parameters(self) -> list[nn.Parameter]:
        """The parameters of the tempo's width, which t2v.train fits to the real paths alone."""
        return list(self.tempo.parameters())

    @property
    def object_noise_size(self) -> int:
        return self.noise_dim + self.frames * self.frame_noise

    @property
    def noise_size(self) -> int:
        """Noise per prompt: one object's for each object a prompt may name (a one-object prompt uses the first),
        then the layout's (LAYOUT_NOISE), read only for two-object prompts."""
        return MAX_OBJECTS * self.object_noise_size + LAYOUT_NOISE

    def forward(
        self, ids: torch.Tensor, noise: torch.Tensor, slots: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Clips (B, 3, T, H, W) of the prompts ids (B, L). With slots (B,) (0: the first object, 1: the second),
        instead each clip's one object as seen (the second with what the first hides taken out), for training."""
        layers = self.draw(ids, noise)
        return layers.composite() if slots is None else layers.visible(slots)

    def draw(self, ids: torch.Tensor, noise: torch.Tensor) -> Layers:
        """One layer per object: the prompts' first objects, then the second objects of those that name two."""
        b = ids.shape[0]
        words = self.text(ids)  # (B, objects, roles, D)
        rows = torch.nonzero(self.text.has_second(ids)).squeeze(1)
        objects, layout = noise.split([noise.shape[1] - LAYOUT_NOISE, LAYOUT_NOISE], dim=1)
        first, second = objects.reshape(b, MAX_OBJECTS, -1).unbind(dim=1)
        words = torch.cat([words[:, 0], words[rows, 1]])
        colour, shape, motion = words.unbind(dim=1)

        # Fill and mask are fitted to the real clips with the same words (t2v.losses.colour_loss, shape_loss),
        # not learned adversarially: the discriminator's gradient pushes a fill past its real colour, and bent
        # a triangle's apex into a soft chimney that sampling drew as a tower.
        alpha = self.sprite(shape).detach()
        rgb = self.paint_colour(colour).detach()  # (n, 3)
        # Which symmetries each object's words leave free: read once, for its drawing and for its layout.
        free = self.freedom(self.symmetry(motion.detach()))  # (n, 3)
        track = self._track(motion, torch.cat([first, second[rows]]), free)
        if len(rows):
            track = self._lay_out(track, free[:, 2], rows, layout[rows])
        return Layers(self.coverage(alpha, track), rgb, rows)

    @torch.no_grad()
    def _layout_moves(
        self, paths: tuple[torch.Tensor, torch.Tensor], turnable: torch.Tensor, noise: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The move of each object of P two-object prompts that keeps the pair apart, found as the data's layout
        finds it (t2v.layout.place_apart): LAYOUT_CANDIDATES moves of both objects are tried, the first the paths
        as drawn, and the first leaving the outlines apart in every frame, both inside the frame, wins, else the
        one with the fewest frames that meet. A move is one the object's motion allows: a shift across the main
        axis of its path (a translation, a bounce, a zigzag) up to max_shift, then, where its words leave it free
        to turn, a turn about the frame centre; an orbit (free to turn, and travelling) is only turned, a change
        of size (free to turn, and still) is shifted any way. An outline may not leave the frame further than the
        path as drawn takes it (a bounce reaches the wall). paths: each object's (P, T, 3); turnable (2, P) bool;
        noise (P, LAYOUT_NOISE) sets the candidates (a low-discrepancy sequence from Gaussian starts). -> (shifts
        (2, P, 2), angles (2, P)): each path is turned, then shifted. Not learned: the layout is the data's
        procedure, so the generator's pairs are as far apart as the real ones, each motion untouched."""
        k = torch.arange(LAYOUT_CANDIDATES, device=noise.device, dtype=noise.dtype)
        start = torch.special.ndtr(noise)[:, :, None]  # (P, 4, 1) uniform
        steps = torch.tensor(LAYOUT_STEPS, device=noise.device, dtype=noise.dtype)[None, :, None]
        u = torch.remainder(start + k * steps, 1.0)  # (P, 4, K)
        u[..., 0] = 0.5  # the first candidate: the paths as drawn (no shift, no turn)
        placed, shifts, angles, allowed, radii = [], [], [], [], []
        for j, path in enumerate(paths):
            xy = path[..., :2]
            rel = xy - xy.mean(dim=1, keepdim=True)
            still = rel.square().sum(dim=-1).mean(dim=1).sqrt() < self.still_spread
            amount = self.max_shift * (2 * u[:, 2 * j] - 1) * (~turnable[j] | still)[:, None]  # (P, K)
            angle = 2 * math.pi * (u[:, 2 * j + 1] - 0.5) * turnable[j, :, None]
            offset = amount[..., None] * _across_main_axis(xy)[:, None, :]  # (P, K, 2)
            # Shifted, then turned: the same as turned, then shifted by the turned offset.
            moved = turn_about_centre((xy[:, None] + offset[:, :, None]).flatten(0, 1), angle.flatten())
            placed.append(moved.view(*angle.shape, *xy.shape[1:]))  # (P, K, T, 2)
            shifts.append(
                turn_about_centre(offset.flatten(0, 1)[:, None], angle.flatten()).view(offset.shape)
            )
            angles.append(angle)
            radius = self._radius(path)  # (P, T)
            radii.append(radius[:, None])
            wall = 1.0 - self.apart_reach * radius  # where the outline meets the edge
            allowed.append(torch.maximum(wall, xy.abs().amax(dim=-1))[:, None, :, None] + 1e-5)
        outside = sum((c.abs() > a).any(dim=-1).any(dim=-1) for c, a in zip(placed, allowed))
        meets = ((placed[0] - placed[1]).norm(dim=-1) < self.apart_reach * (radii[0] + radii[1])).sum(dim=-1)
        frames = paths[0].shape[1]
        best = torch.argmin(outside * (frames + 1) + meets, dim=1)  # the first of the cheapest
        rows = torch.arange(len(best), device=best.device)
        return torch.stack([s[rows, best] for s in shifts]), torch.stack([a[rows, best] for a in angles])

    def _lay_out(
        self, track: torch.Tensor, turnable: torch.Tensor, rows: torch.Tensor, noise: torch.Tensor
    ) -> torch.Tensor:
        """Place the two objects of each two-object prompt apart (_layout_moves): track (B + P, T, 3), the B first
        objects then the P second ones; turnable (B + P,): whose words leave it free to turn; rows (P,): their
        prompts; noise (P, LAYOUT_NOISE). Each path keeps its gradient: a move is a fixed turn and shift of it."""
        b = len(track) - len(rows)
        paths = (track[rows], track[b:])
        shifts, angles = self._layout_moves(
            tuple(p.detach() for p in paths), torch.stack([turnable[rows], turnable[b:]]), noise
        )
        placed = [
            torch.cat([turn_about_centre(p[..., :2], a) + s[:, None], p[..., 2:]], dim=-1)
            for p, s, a in zip(paths, shifts, angles)
        ]
        return torch.cat([track[:b].index_copy(0, rows, placed[0]), placed[1]])

    def _track(self, motion: torch.Tensor, noise: torch.Tensor, free: torch.Tensor) -> torch.Tensor:
        """Each object's pose per frame (n, T, 3): x, y in [-1, 1] frame units, log-scale; free (n, 3): the
        symmetries its words leave free (freedom)."""
        n, t = motion.shape[0], self.frames
        z_motion, z_frames = noise.split([self.noise_dim, t * self.frame_noise], dim=1)

        # Binary switches, the signs of some of the noise: a choice between two modes (which way a zigzag
        # advances, which wall a bounce turns at) is then linear in the input, where Gaussian noise alone needs a
        # fold the network rarely learns (motion 0.85 -> 0.95 at 64 px, every bounce and zigzag above 0.5).
        switches = torch.sign(z_motion[:, :SWITCHES])
        init = self.motion_init(torch.cat([motion, z_motion, switches], dim=1))
        hidden, pose, wave = init.split([init.shape[1] - POSE - WAVE, POSE, WAVE], dim=1)
        # A clip's tempo, scaling its velocity and turn: log-normal, its width read from the words. How fast to go
        # is left to the noise as a plain spread, where through the recurrence every clip of a prompt took
        # nearly one speed (sd 0.1 px a frame against the data's 0.3). The width takes only the path terms'
        # gradient (spread_parameters): the discriminator's, ten times theirs, held it near its start (README).
        tempo = torch.exp(
            self.max_tempo_spread * torch.sigmoid(self.tempo(motion)).squeeze(1) * z_motion[:, SWITCHES]
        )
        # The start in polar form about the frame centre: a ring of starts (an orbit's phase) is then linear in
        # the noise, where in x, y it needs a fold the network rarely learns.
        reach, angle = pose[:, 0], math.pi * pose[:, 1]
        pose = torch.stack([reach * torch.cos(angle), reach * torch.sin(angle), pose[:, 2]], dim=1)
        poses = [pose]
        z_frames = z_frames.view(n, t, self.frame_noise)
        for step in range(1, t):
            # The network sees where the sprite is (a bounce depends on the distance to the edge) and a clock.
            clock = self.clock[step].expand(n, -1)
            hidden = self.rnn(torch.cat([motion, z_frames[:, step], pose, clock], dim=1), hidden)
            velocity_x, velocity_y, grow, turn = self.step(hidden).unbind(dim=1)
            angle = self.max_turn * torch.tanh(tempo * turn / (2 * self.max_turn))
            velocity = self.max_step * torch.tanh(
                tempo[:, None] * torch.stack([velocity_x, velocity_y], dim=1) / (10 * self.max_step)
            )
            # an exact turn about the frame centre, so an orbit keeps its radius
            xy = turn_about_centre(pose[:, None, :2], angle)[:, 0] + velocity
            pose = torch.cat([xy, (pose[:, 2] + 0.1 * grow)[:, None]], dim=1)
            poses.append(pose)
        track = torch.stack(poses, dim=1)
        track = track + self._oscillation(wave, track)
        track = self._symmetrise(track, free, z_frames[:, 0, :4])
        return self._reflect(track)

    def _symmetrise(self, track: torch.Tensor, free: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Draw each path under the symmetries its words allow, chosen by the noise (n, 4): mirrored through the
        frame centre per axis where a coin (the sign of an entry) says so, a bounce at either wall, a zigzag
        advancing either way; then turned about the centre by a uniform angle (of two Gaussian entries), an
        orbit from any phase. Which of two mirror images to draw is a fold of the noise, and a uniform angle a
        distribution, that gradient descent rarely learns (every bounce turned at one wall, orbits started on
        half the ring); as coins they are free, and what is free is decided by what the real clips show."""
        sign = torch.where(free[:, :2] & (noise[:, :2] < 0), -1.0, 1.0).to(track.dtype)
        angle = torch.atan2(noise[:, 2], noise[:, 3]) * free[:, 2].to(track.dtype)
        turned = turn_about_centre(track[..., :2] * sign[:, None], angle)
        return torch.cat([turned, track[..., 2:]], dim=-1)

    @staticmethod
    def freedom(symmetry: torch.Tensor) -> torch.Tensor:
        """Which symmetries (SYMMETRIES, in order) leave a path as likely as it was: read-outs (n, STATISTICS) ->
        (n, 3) bool, true where no statistic the symmetry changes has an expected sign of a half or more."""
        signed = symmetry.abs()
        return torch.stack([signed[:, list(c)].amax(dim=1) < 0.5 for c in SYMMETRIES.values()], dim=1)

    def _reflect(self, track: torch.Tensor) -> torch.Tensor:
        """Sprites bounce off the frame's edges: a centre past the wall (the frame edge less the sprite's
        radius) is reflected back, as a ball off a wall."""
        wall = (1.0 - self._radius(track))[..., None]
        xy = track[..., :2]
        xy = torch.where(xy > wall, 2 * wall - xy, xy)
        xy = torch.where(xy < -wall, -2 * wall - xy, xy)
        return torch.cat([xy, track[..., 2:]], dim=-1)

    def sprite(self, shape: torch.Tensor) -> torch.Tensor:
        """The sprite's alpha from the shape role's vector: (B, 1, n, n) in [0, 1]."""
        logits = self.mask(shape).view(-1, 1, self.size, self.size)
        if not self.training:
            logits = logits * self.sample_sharpening
        m = self.alpha_margin
        return (torch.sigmoid(logits) * (1 + 2 * m) - m).clamp(0.0, 1.0)

    def paint_colour(self, colour: torch.Tensor) -> torch.Tensor:
        """The sprite's fill (B, 3) in [-1, 1] from the colour role's vector."""
        return torch.tanh(self.paint(colour))

    def masks(self, ids: torch.Tensor) -> torch.Tensor:
        """The alpha each prompt draws its sprite with: ids (B, L) -> (B, 1, n, n)."""
        return self.sprite(self.text(ids)[:, 0, 1])  # the first object's

    def symmetries(self, ids: torch.Tensor) -> torch.Tensor:
        """The expected sign of each path statistic for each prompt's motion: ids (B, L) -> (B, STATISTICS)."""
        return self.symmetry(self.text(ids)[:, 0, 2])

    def colours(self, ids: torch.Tensor) -> torch.Tensor:
        """The fill each prompt paints its sprite with: ids (B, L) -> (B, 3) in [-1, 1]."""
        return self.paint_colour(self.text(ids)[:, 0, 0])

    def _oscillation(self, wave: torch.Tensor, path: torch.Tensor) -> torch.Tensor:
        """A triangle wave per clip across the way its path (B, T, 3) travels: amplitude, half-period of 1.5 to
        4 frames and a phase (B, WAVE) -> offsets (B, T, 3). The data's zigzag is t2v.motions._triangle_wave;
        this twin is torch with learned, differentiable parameters (and a period range wider than the data's),
        which the numpy renderer has no use for. Across the travel, as a zigzag swings: free to swing along
        it too, the wave bent zigzags back on themselves and put extra turns into bounces."""
        amplitude = 0.3 * torch.tanh(wave[:, :1])
        half_period = 1.5 + 2.5 * torch.sigmoid(wave[:, 1:2])
        # Unbounded: the wave wraps, so its phase is linear in the noise, as the start angle.
        phase = wave[:, 2:3]
        travel = (path[:, -1, :2] - path[:, 0, :2]).detach()  # the wave follows the path, never steers it
        # a path that barely travels has no direction, and swings little
        travel = travel / (travel.square().sum(dim=1, keepdim=True) + self.still_travel**2).sqrt()
        across = torch.stack([-travel[:, 1], travel[:, 0]], dim=1)
        u = torch.remainder(
            torch.arange(self.frames, device=wave.device) / half_period + phase, 2.0
        )  # (B, T)
        triangle = 1.0 - 2.0 * torch.abs(u - 1.0)
        offset = (amplitude * across)[:, None, :] * triangle[..., None]
        return F.pad(offset, (0, 1))

    def _log_scale(self, track: torch.Tensor) -> torch.Tensor:
        lo, hi = self.log_scale_range
        mid, half = (lo + hi) / 2, (hi - lo) / 2
        return mid + half * torch.tanh((track[..., 2] - mid) / half)  # soft bounds keep gradients alive

    def _radius(self, track: torch.Tensor) -> torch.Tensor:
        """The sprite's equal-area radius per frame (n, T), frame units: its box reaches SHAPE_REACH of them."""
        return self.base_extent * torch.exp(self._log_scale(track)) / SHAPE_REACH

    def coverage(self, alpha: torch.Tensor, track: torch.Tensor) -> torch.Tensor:
        """alpha (n, 1, h, w) in [0, 1] moved along track (n, T, 3) -> coverage (n, 1, T, H, W) in [0, 1]."""
        b, t, s = track.shape[0], track.shape[1], self.size
        inv = 1.0 / (self.base_extent * torch.exp(self._log_scale(track)))
        zero = torch.zeros_like(inv)
        theta = torch.stack(
            [
                torch.stack([inv, zero, -track[..., 0] * inv], -1),
                torch.stack([zero, inv, -track[..., 1] * inv], -1),
            ],
            dim=-2,
        )  # (B, T, 2, 3)
        grid = F.affine_grid(theta.view(b * t, 2, 3), [b * t, 1, s, s], align_corners=False)
        masks = alpha.unsqueeze(1).expand(b, t, *alpha.shape[1:]).reshape(b * t, *alpha.shape[1:])
        cover = F.grid_sample(masks, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        return cover.view(b, 1, t, s, s)


def over_white(rgb: torch.Tensor, cover: torch.Tensor) -> torch.Tensor:
    """A flat colour (n, 3) in [-1, 1] at coverage (n, 1, T, H, W) over white -> clips (n, 3, T, H, W)."""
    return rgb[:, :, None, None, None] * cover + (1.0 - cover)


def separate(clips: torch.Tensor, fills: torch.Tensor) -> torch.Tensor:
    """The object of fill fills[:, 0] alone on white, as much of it as shows, from clips (B, 3, T, H, W) of it
    beside an object of fill fills[:, 1] (B, 2, 3) in [-1, 1]: each pixel read as white less non-negative
    coverages of the two fills, by least squares (t2v.binding.unmix's reading, here in torch on a batch)."""
    inks = 1.0 - fills  # (B, 2, 3)
    gram = inks @ inks.transpose(1, 2)  # (B, 2, 2)
    projected = torch.einsum("bkc,bcthw->bkthw", inks, 1.0 - clips)
    cover = torch.einsum("bjk,bkthw->bjthw", torch.linalg.inv(gram), projected)
    alone = (projected[:, 0] / gram[:, 0, 0, None, None, None]).clamp(min=0.0)  # where the other is absent
    own = torch.where(cover[:, 1] < 0, alone, cover[:, 0].clamp(min=0.0)).clamp(max=1.0)
    return over_white(fills[:, 0], own[:, None])


@dataclass
class Layers:
    """What LayeredGenerator draws for B prompts, P of which name two objects: per object (the B first objects,
    then the P second ones) its coverage (B + P, 1, T, H, W) and fill (B + P, 3); rows (P,): the prompts with a
    second object."""

    cover: torch.Tensor
    rgb: torch.Tensor
    rows: torch.Tensor

    @property
    def prompts(self) -> int:
        return len(self.cover) - len(self.rows)

    def composite(self) -> torch.Tensor:
        """The clips, each second object behind its first: (B, 3, T, H, W)."""
        b = self.prompts
        behind = torch.ones(b, 3, *self.cover.shape[2:], device=self.cover.device, dtype=self.cover.dtype)
        behind = behind.index_copy(0, self.rows, over_white(self.rgb[b:], self.cover[b:]))
        front = self.cover[:b]
        return self.rgb[:b, :, None, None, None] * front + (1.0 - front) * behind

    def visible(self, slots: torch.Tensor) -> torch.Tensor:
        """Each prompt's object `slots` (B,) alone on white, as much of it as shows: (B, 3, T, H, W)."""
        b = self.prompts
        clips = over_white(self.rgb[:b], self.cover[:b])
        back = slots[self.rows] == 1
        if back.any():
            rows = self.rows[back]
            shown = self.cover[b:][back] * (1.0 - self.cover[rows])
            clips = clips.index_copy(0, rows, over_white(self.rgb[b:][back], shown))
        return clips


class ClipJudge(nn.Module):
    """One forward over the clips scores them against several texts and predicts their attributes; a single
    forward per backward keeps DistributedDataParallel's gradient sync exact. Subclasses define embed,
    judge and classify."""

    def forward(
        self, clips: torch.Tensor, *texts: torch.Tensor, path: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """path: the clips' ink_track when the caller has it already (the training step shares one per batch)."""
        features = self.embed(clips, path)
        return torch.stack([self.judge(features, ids) for ids in texts]), self.classify(features)


class DarkestChannel(torch.autograd.Function):
    """clips (B, C, ...) -> (B, ...): the least channel, as amin(dim=1), with amin's gradient (shared evenly by
    tied channels) to the bit. Autograd's amin backward broadcasts, counts and converts in separate passes over
    the clip; this one makes fewer, and the generator's step runs it twice (test_models checks both agree)."""

    @staticmethod
    def forward(ctx, clips: torch.Tensor) -> torch.Tensor:
        darkest = clips.amin(dim=1)
        ctx.save_for_backward(clips, darkest)
        return darkest

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        clips, darkest = ctx.saved_tensors
        tied = (clips == darkest.unsqueeze(1)).to(grad.dtype)
        return tied * (grad / tied.sum(dim=1)).unsqueeze(1)


def soft_ink(clips: torch.Tensor) -> torch.Tensor:
    """Each pixel's ink, differentiable: clips (B, 3, ...) in [-1, 1] -> (B, ...), white 0."""
    return ((1.0 - DarkestChannel.apply(clips)) / 2).clamp(min=0)


def frame_coords(size: int) -> torch.Tensor:
    axis = torch.linspace(-1.0, 1.0, size)
    return torch.stack(torch.meshgrid(axis, axis, indexing="xy"))  # (2, H, W): x then y


PATH_FEATURES = 8  # per frame, from ink_track


def ink_track(clips: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
    """The path of the ink in each frame, differentiable: clips (B, 3, T, H, W) -> (B, T, 8) features: centre
    (x, y), spread (x, y), log ink mass, velocity (x, y) and the angular velocity about the frame centre.
    A motion is defined by this path, so a discriminator reading it gives the generator's track a direct signal.
    "Ink" is t2v.tracks.ink's (distance from white by the darkest channel); that one thresholds uint8 frames
    into blobs for the metrics, this one stays soft and differentiable on [-1, 1] tensors for the losses."""
    ink = soft_ink(clips)  # (B, T, H, W)
    mass = ink.sum(dim=(2, 3)) + 1e-3
    xs, ys = coords[0], coords[1]
    cx, cy = (ink * xs).sum(dim=(2, 3)) / mass, (ink * ys).sum(dim=(2, 3)) / mass
    sx = ((ink * xs * xs).sum(dim=(2, 3)) / mass - cx * cx).clamp(min=1e-4).sqrt()
    sy = ((ink * ys * ys).sum(dim=(2, 3)) / mass - cy * cy).clamp(min=1e-4).sqrt()
    vx, vy = F.pad(cx.diff(dim=1), (1, 0)), F.pad(cy.diff(dim=1), (1, 0))
    spin = (cx * vy - cy * vx) / (cx * cx + cy * cy + 0.05)
    return torch.stack(
        [cx, cy, sx, sy, mass.log() - math.log(ink[0, 0].numel()), 5 * vx, 5 * vy, 5 * spin], dim=-1
    )


def clip_paths(clips: torch.Tensor) -> torch.Tensor:
    """ink_track of clips (B, 3, T, H, W) on their own frame's grid -> (B, T, 8)."""
    return ink_track(clips, frame_coords(clips.shape[-1]).to(clips.device, clips.dtype))


def solid_colour(clips: torch.Tensor) -> torch.Tensor:
    """The mean colour of each clip's solid pixels, those with nearly the most ink of the clip: (B, 3, T, H, W)
    -> (B, 3). The antialiased edge, part white, is left out."""
    ink = 1.0 - clips.amin(dim=1, keepdim=True)
    solid = (ink >= 0.97 * ink.amax(dim=(2, 3, 4), keepdim=True)).to(clips.dtype)
    return (clips * solid).sum(dim=(2, 3, 4)) / solid.sum(dim=(2, 3, 4)).clamp(min=1)


def _across_main_axis(xy: torch.Tensor) -> torch.Tensor:
    """The unit vector (n, 2) across the main axis (of greatest spread) of paths xy (n, T, 2): across a
    translation's direction, a bounce's or a zigzag's axis."""
    rel = xy - xy.mean(dim=1, keepdim=True)
    xx, yy, xy_ = (rel[..., 0] ** 2).mean(1), (rel[..., 1] ** 2).mean(1), (rel[..., 0] * rel[..., 1]).mean(1)
    axis = 0.5 * torch.atan2(2 * xy_, xx - yy)
    return torch.stack([-torch.sin(axis), torch.cos(axis)], dim=1)


def turn_about_centre(xy: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """Paths (n, T, 2) in frame units, each turned about the frame centre by its angle (n,), radians."""
    cos, sin = torch.cos(angle)[:, None], torch.sin(angle)[:, None]
    x, y = xy[..., 0], xy[..., 1]
    return torch.stack([cos * x - sin * y, sin * x + cos * y], dim=-1)


def symmetry_statistics(path: torch.Tensor) -> torch.Tensor:
    """SYMMETRY_STATISTICS of ink_track paths (B, T, 8), averaged over frames -> (B, 7)."""
    x, y, vx, vy, spin = path[..., 0], path[..., 1], path[..., 5], path[..., 6], path[..., 7]
    return torch.stack([x, y, vx, vy, spin, vx * vx - vy * vy, 2 * vx * vy], dim=-1).mean(dim=1)


def group_spread(path: torch.Tensor, group: int) -> torch.Tensor:
    """Per-frame standard deviation of each path feature over consecutive groups of clips: (B, T, F) -> (B, T, F),
    every clip of a group given its group's spread (minibatch standard deviation, grouped by prompt). Batches
    are laid out in groups of one (shape, motion), so a generator that draws one path per prompt shows zero
    spread where real clips show their natural variety."""
    b = path.shape[0]
    g = math.gcd(b, group)
    spread = path.view(b // g, g, *path.shape[1:]).var(dim=1, unbiased=False).add(1e-6).sqrt()
    return spread.repeat_interleave(g, dim=0)


def ink_crops(clips: torch.Tensor, centre: torch.Tensor, frames: torch.Tensor, side: int) -> torch.Tensor:
    """Exact pixel windows around the ink: clips (B, 3, T, H, W), centre (B, T, 2) in [-1, 1] (ink_track's x, y),
    frames (K,) indices -> (B * K, 3, side, side), the window's centre rounded to a pixel so nothing is blurred.
    Outside the frame reads as white."""
    b, _, _, size, _ = clips.shape
    picked = clips[:, :, frames].transpose(1, 2).reshape(-1, 3, size, size)  # (B*K, 3, H, W)
    unit = 2.0 / (size - 1)  # one pixel in align_corners=True units
    middle = torch.round((centre[:, frames].reshape(-1, 2).detach() + 1.0) / unit) * unit - 1.0
    offsets = (torch.arange(side, device=clips.device, dtype=clips.dtype) - side // 2) * unit
    grid = torch.stack(torch.meshgrid(offsets, offsets, indexing="xy"), dim=-1)  # (side, side, 2): x, y
    grid = (middle[:, None, None, :] + grid[None]).to(clips.dtype)
    return F.grid_sample(picked - 1.0, grid, mode="nearest", padding_mode="zeros", align_corners=True) + 1.0


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
    convolutions over full-resolution windows around the ink in a few frames (the shape's outline and fill), and
    1D convolutions over the ink's path (ink_track) beside its group's spread (group_spread). The score is a
    projection onto the text, and heads predict the shape, colour and motion the clip shows."""

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
        small = F.avg_pool3d(clips, (1, self.pool, self.pool)) if self.pool > 1 else clips
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


def mean_embedding(embed: nn.Embedding, ids: torch.Tensor) -> torch.Tensor:
    """The tutorial's text encoding: the mean of the prompt's word embeddings, (B, L) -> (B, D)."""
    mask = (ids != 0).unsqueeze(-1).float()
    return (embed(ids) * mask).sum(1) / mask.sum(1).clamp(min=1)


class SeedGenerator(nn.Module):
    """The tutorial's per-frame DCGAN: each frame from its own noise and the mean word embedding (now trained).
    Frames are independent, so its clips do not move coherently: it is the baseline."""

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

    def forward(self, ids: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
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


GENERATORS = {"layered": LayeredGenerator, "seed": SeedGenerator}
DISCRIMINATORS = {"layered": VideoDiscriminator, "seed": SeedDiscriminator}


def build_generator(cfg: ModelConfig, vocab: list[str], frames: int, size: int) -> nn.Module:
    return GENERATORS[cfg.arch](cfg, vocab, frames, size)


def build_discriminator(cfg: ModelConfig, vocab: list[str], frames: int, size: int) -> nn.Module:
    return DISCRIMINATORS[cfg.arch](cfg, vocab, frames, size)
