import math
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from t2v.config import DataConfig, ModelConfig
from t2v.data.vocab import build_vocab, encode
from t2v.model import generator as generator_module
from t2v.model import sprite as sprite_module
from t2v.model.build import build_discriminator, build_generator
from t2v.model.discriminator import N_ATTRIBUTES
from t2v.model.layout import APART_REACH, layout_moves
from t2v.model.motion import freedom, oscillation, reflect
from t2v.model.paths import turn_about_centre
from t2v.model.sprite import radius
from t2v.model.text import TextEncoder
from t2v.prompts import COLOURS, MOTIONS, TUTORIAL_PROMPTS, Scene

VOCAB = build_vocab([*TUTORIAL_PROMPTS, *(f"{c} square moving up" for c in COLOURS), "triangle moving up"])


@pytest.mark.parametrize("arch", ["layered", "seed"])
@pytest.mark.parametrize("size, frames", [(32, 12), (64, 10), (16, 8)])
def test_shapes_and_range(arch, size, frames):
    cfg = ModelConfig(arch=arch, g_channels=16, d_channels=8, text_dim=16, noise_dim=8)
    G, D = build_generator(cfg, VOCAB, frames, size), build_discriminator(cfg, VOCAB, frames, size)
    ids = torch.randint(1, len(VOCAB), (3, 4))
    video = G(ids, torch.randn(3, G.noise_size))
    assert video.shape == (3, 3, frames, size, size)
    assert video.min() >= -1 and video.max() <= 1
    scores, logits = D(video, ids, ids.roll(1, 0))
    assert scores.shape == (2, 3) and [l.shape[1] for l in logits] == list(N_ATTRIBUTES)


def test_layered_frames_share_one_sprite_and_move_smoothly():
    cfg = ModelConfig(g_channels=16, text_dim=16, noise_dim=8)
    G = build_generator(cfg, VOCAB, 12, 32)
    torch.manual_seed(0)
    with torch.no_grad():
        G.step.weight.normal_(0, 0.1)  # random velocities so frames differ
        G.step.weight[
            2:
        ].zero_()  # no change of scale and no turn: every frame shows the same amount of sprite
        video = G(torch.randint(1, len(VOCAB), (2, 3)), torch.randn(2, G.noise_size))
    ink = (1 - video.min(dim=1).values).clamp(min=0)  # (B, T, H, W)
    mass = ink.sum(dim=(2, 3))
    assert torch.allclose(mass[:, 1:], mass[:, :-1], rtol=0.35), "the same sprite in every frame"
    ys, xs = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    cx = (ink * xs).sum(dim=(2, 3)) / mass
    assert (cx.diff(dim=1).abs() < 6).all(), "consecutive frames are close: one integrated track"


@pytest.mark.parametrize("arch", ["layered", "seed"])
def test_text_embeddings_are_trained_and_change_the_output(arch):
    cfg = ModelConfig(arch=arch, g_channels=16, d_channels=8, text_dim=16, noise_dim=8)
    G = build_generator(cfg, VOCAB, 8, 16)
    noise = torch.randn(1, G.noise_size)
    left, right = encode(["red circle moving left", "red circle moving right"], VOCAB)
    a, b = G(left[None], noise), G(right[None], noise)
    assert not torch.allclose(a, b), "the text changes the clip"
    embedding = next(m for m in G.modules() if isinstance(m, torch.nn.Embedding))
    before = embedding.weight.detach().clone()
    opt = torch.optim.Adam(G.parameters(), lr=0.01)
    a.mean().backward()
    opt.step()
    assert not torch.equal(before, embedding.weight), "the embedding is in the optimizer"


def test_text_encoder_reads_each_role_from_its_own_words():
    torch.manual_seed(0)
    encoder = TextEncoder(VOCAB, 16)
    ids = encode(
        [
            "red square moving up",
            "green square moving up",
            "red triangle moving up",
            "red square moving left",
            "square moving up",
        ],
        VOCAB,
    )
    colour, shape, motion = encoder(ids)[:, 0].unbind(dim=1)
    assert (
        not torch.allclose(colour[0], colour[1])
        and torch.equal(shape[0], shape[1])
        and torch.equal(motion[0], motion[1])
    )
    assert (
        torch.equal(colour[0], colour[2])
        and not torch.allclose(shape[0], shape[2])
        and torch.equal(motion[0], motion[2])
    )
    assert torch.equal(shape[0], shape[3]) and not torch.allclose(motion[0], motion[3])
    assert torch.equal(colour[4], encoder.absent[0].detach()), (
        "a prompt without a colour reads the learned default"
    )
    assert torch.isfinite(encoder(ids).sum()), "an absent role leaves no NaN behind"


def test_ink_crops_hold_the_whole_shape_centred_and_unblurred():
    from t2v.config import DataConfig
    from t2v.data.synthesize import render_scenes
    from t2v.model.paths import frame_coords, ink_crops, ink_track
    from t2v.prompts import Scene
    from t2v.train.inputs import to_clips

    cfg = DataConfig(size=64, frames=10)
    data = render_scenes(
        [Scene("triangle", "shrinking", "red"), Scene("square", "rotating clockwise")],
        cfg,
        np.random.default_rng(0),
    )
    clips = to_clips(data.clips, torch.device("cpu"))
    frames = torch.tensor([0, 9])
    crops = ink_crops(clips, ink_track(clips, frame_coords(64))[..., :2], frames, 32)
    assert crops.shape == (4, 3, 32, 32)
    whole = clips[:, :, frames].transpose(1, 2).reshape(-1, 3, 64, 64)
    ink = lambda x: (1 - x.min(dim=1).values).sum(dim=(1, 2))  # noqa: E731
    assert torch.allclose(ink(crops), ink(whole), rtol=1e-5), "the window holds all the ink"
    pixels = set(np.unique(crops.numpy().round(5))) - {1.0}
    assert pixels <= set(np.unique(whole.numpy().round(5))), "window pixels are frame pixels, not blends"


def test_the_start_pose_is_polar_so_one_reach_and_many_angles_make_a_ring(monkeypatch):
    """The motion network's first two pose outputs are a reach and an angle about the frame centre: clips that
    differ only in the angle start on one circle, all around it (an orbit's phase is linear in the noise)."""
    from torch import nn

    from t2v.model.motion import POSE, WAVE
    from t2v.model.paths import frame_coords, ink_track

    G = build_generator(ModelConfig(g_channels=16, text_dim=16, noise_dim=8), VOCAB, 4, 64)
    n = 8
    angles = torch.linspace(-1.0, 1.0, n + 1)[:-1]  # x pi: a full turn in eighths

    class Start(nn.Module):  # stands in for the motion network's first output
        def forward(self, features: torch.Tensor) -> torch.Tensor:
            out = torch.zeros(len(features), G.rnn.hidden_size + POSE + WAVE)
            out[:, G.rnn.hidden_size] = 0.5  # reach
            out[:, G.rnn.hidden_size + 1] = angles
            return out

    G.motion_init = Start()
    # an untrained read-out may turn the starts
    monkeypatch.setattr(generator_module, "symmetrise", lambda track, free, coins: track)
    with torch.no_grad():
        clips = G.eval()(encode(["circle moving up"] * n, VOCAB), torch.randn(n, G.noise_size))
    centre = ink_track(clips, frame_coords(64))[:, 0, :2]  # (n, 2): x, y of the first frame
    assert torch.allclose(centre.norm(dim=1), torch.full((n,), 0.5), atol=0.03), centre
    turn = torch.atan2(centre[:, 1], centre[:, 0]) / torch.pi
    assert torch.allclose(torch.remainder(turn - angles + 1, 2) - 1, torch.zeros(n), atol=0.02), turn


def test_the_motion_network_reads_binary_switches_from_the_noise():
    """A two-way choice (which wall a bounce turns at) needs a fold of Gaussian noise; the signs of the first
    motion-noise dimensions hand the network that choice as an input of exactly -1 or +1."""
    from torch import nn

    from t2v.model.motion import SWITCHES

    G = build_generator(ModelConfig(g_channels=16, text_dim=16, noise_dim=8), VOCAB, 4, 32)
    seen = {}

    class Spy(nn.Module):
        def __init__(self, inner: nn.Module):
            super().__init__()
            self.inner = inner

        def forward(self, features: torch.Tensor) -> torch.Tensor:
            seen["features"] = features
            return self.inner(features)

    G.motion_init = Spy(G.motion_init)
    noise = torch.randn(6, G.noise_size)
    with torch.no_grad():
        G(encode(["circle bouncing vertically"] * 6, VOCAB), noise)
    assert torch.equal(seen["features"][:, -SWITCHES:], torch.sign(noise[:, :SWITCHES]))


def _captured_track(G: torch.nn.Module, prompt: str, noise: torch.Tensor, monkeypatch) -> torch.Tensor:
    """The track G.draw lays its sprites along, for prompt and noise."""
    captured = {}
    monkeypatch.setattr(
        sprite_module, "coverage", lambda alpha, track, size: captured.setdefault("track", track)
    )
    with torch.no_grad():
        ids = encode([prompt] * len(noise), VOCAB)
        G.draw(ids, noise, G.second_rows(ids))
    return captured["track"]


def test_an_orbit_turns_at_most_the_layered_limit_however_hard_it_is_pushed(monkeypatch):
    """The turn per frame is bounded so that a whole clip sweeps at most LAYERED_MAX_SWEEP_DEG: a faster orbit
    jumps further between frames than any real clip and fails the temporal check."""
    from t2v.model.bounds import LAYERED_MAX_SWEEP_DEG

    G = build_generator(ModelConfig(text_dim=16, noise_dim=8), VOCAB, 10, 32)
    with torch.no_grad():
        G.step.weight.zero_()
        G.step.bias.copy_(torch.tensor([0.0, 0.0, 0.0, 1e3]))  # no velocity, no growth, the hardest turn
    monkeypatch.setattr(generator_module, "oscillation", lambda wave, path, frames: torch.zeros_like(path))
    # an untrained read-out may mirror the orbit, turning it back
    monkeypatch.setattr(generator_module, "symmetrise", lambda track, free, coins: track)
    monkeypatch.setattr(generator_module, "reflect", lambda track: track)
    track = _captured_track(G, "circle rotating clockwise", torch.randn(5, G.noise_size), monkeypatch)
    angle = torch.atan2(track[..., 1], track[..., 0]).numpy()
    sweep = np.degrees(np.diff(np.unwrap(angle, axis=1), axis=1).sum(axis=1))
    assert np.all(sweep <= LAYERED_MAX_SWEEP_DEG + 0.01), sweep
    assert np.all(sweep >= LAYERED_MAX_SWEEP_DEG - 0.5), sweep  # and the bound is reached


def test_the_oscillation_phase_wraps_so_it_is_linear_in_the_noise():
    path = torch.zeros(1, 10, 3)
    path[0, :, 0] = torch.linspace(-0.5, 0.5, 10)
    wave = torch.tensor([[1.0, 0.0, 0.3]])
    turned = wave + torch.tensor([[0.0, 0.0, 2.0]])  # one whole period later: the same wave
    half = wave + torch.tensor([[0.0, 0.0, 1.0]])  # half a period: the mirror image
    assert torch.allclose(oscillation(wave, path, 10), oscillation(turned, path, 10), atol=1e-5)
    assert torch.allclose(oscillation(wave, path, 10), -oscillation(half, path, 10), atol=1e-5)


def test_the_oscillation_swings_across_the_way_the_path_travels():
    """A zigzag swings across its advance; along it, a wave would turn the path back on itself."""
    wave = torch.tensor([[2.0, 0.0, 0.3]] * 3)
    path = torch.zeros(3, 10, 3)
    path[0, :, 0] = torch.linspace(-0.5, 0.5, 10)  # travelling right
    path[1, :, 1] = torch.linspace(0.5, -0.5, 10)  # travelling up
    path[2, :, :2] = torch.linspace(-0.5, 0.5, 10)[:, None]  # down-right
    offset = oscillation(wave, path, 10)
    assert offset[0, :, 0].abs().max() < 1e-6 and offset[0, :, 1].abs().max() > 0.2
    assert offset[1, :, 1].abs().max() < 1e-6 and offset[1, :, 0].abs().max() > 0.2
    assert torch.allclose(offset[2, :, 0], -offset[2, :, 1])  # at right angles to (1, 1)
    assert (offset[..., 2] == 0).all()  # and never changes the size


def _fitting_optimizer(G: torch.nn.Module) -> torch.optim.Optimizer:
    from t2v.train.trainer import FIT_LR_SCALE, _generator_groups

    opt = torch.optim.Adam(_generator_groups(G), lr=2e-4, betas=(0.5, 0.999))
    for group in opt.param_groups:
        group["lr"] *= group["lr_scale"]
    assert max(g["lr_scale"] for g in opt.param_groups) == FIT_LR_SCALE
    return opt


def test_fill_and_mask_get_no_adversarial_gradient():
    G = build_generator(ModelConfig(g_channels=16, noise_dim=8), VOCAB, 8, 16)
    ids = encode(["red square moving up", "triangle shrinking"], VOCAB)
    G(ids, torch.randn(len(ids), G.noise_size)).mean().backward()
    assert G.paint.weight.grad is None and G.mask.weight.grad is None, "the discriminator's gradient stops"


def test_the_fill_is_fitted_to_real_colours_and_reaches_them_within_a_level_or_two():
    from t2v.model.paths import solid_colour
    from t2v.train.losses import colour_loss

    G = build_generator(ModelConfig(g_channels=16, noise_dim=8), VOCAB, 8, 16)  # the default text width
    ids = encode([f"{c} square moving up" for c in COLOURS] + ["square moving up"], VOCAB)
    named = torch.tensor([*COLOURS.values(), COLOURS["blue"]], dtype=torch.float32) / 127.5 - 1
    real = torch.ones(len(ids), 3, 8, 16, 16)
    real[..., 4:12, 4:12] = named[:, :, None, None, None]
    opt = _fitting_optimizer(G)
    for _ in range(400):  # about four epochs of the default run
        opt.zero_grad()
        colour_loss(G.colours(ids), solid_colour(real)).backward()
        opt.step()
    levels = (G.colours(ids) - named).abs().max().item() * 127.5
    assert levels <= 2.0, f"fill off by {levels:.1f} levels"


def test_the_mask_is_fitted_to_real_shapes_and_draws_each_one():
    """Fitted for 300 steps to real clips of each shape (any size and place), the mask sampled for a shape's
    words covers that shape's canonical outline, and not the other shapes' outlines."""
    from t2v.data.synthesize import render_scenes
    from t2v.model.sprite import SHAPE_REACH
    from t2v.train.inputs import to_clips
    from t2v.train.losses import canonical_shape, shape_loss

    data = DataConfig(frames=8, size=32)
    G = build_generator(ModelConfig(g_channels=16, noise_dim=8), VOCAB, 8, 32)
    shapes = ["circle", "square", "triangle"]
    scenes = [Scene(s, m) for s in shapes for m in ("moving up", "shrinking", "bouncing vertically")]
    ids = encode([s.prompt() for s in scenes], VOCAB)
    opt = _fitting_optimizer(G)
    for step in range(300):
        real = to_clips(render_scenes(scenes, data, np.random.default_rng(step)).clips, torch.device("cpu"))
        opt.zero_grad()
        shape_loss(G.masks(ids), real).backward()
        opt.step()
    real = to_clips(render_scenes(scenes, data, np.random.default_rng(999)).clips, torch.device("cpu"))
    outline = canonical_shape(real, 32, SHAPE_REACH) >= 0.5  # the mask grid: the frame size
    with torch.no_grad():
        drawn = G.eval().masks(ids) >= 0.5
    iou = (drawn[:, None] & outline[None]).sum(dim=(2, 3, 4)) / (drawn[:, None] | outline[None]).sum(
        dim=(2, 3, 4)
    )
    same = torch.tensor([[a.shape == b.shape for b in scenes] for a in scenes])
    assert iou[same].min() >= 0.9 and iou[~same].max() <= 0.85, iou  # a same-area disc and square: 0.82


def test_sampling_draws_the_learned_mask_with_sharper_edges():
    cfg = ModelConfig(g_channels=16, text_dim=16, noise_dim=8)
    G = build_generator(cfg, VOCAB, 8, 32)
    code = torch.randn(1, 16)  # the shape role's vector
    with torch.no_grad():
        soft, sharp = G.train().sprite(code), G.eval().sprite(code)
    partial = [((alpha > 0.02) & (alpha < 0.98)).float().mean().item() for alpha in (soft, sharp)]
    assert partial[1] < 0.5 * partial[0], f"fewer part-covered sprite pixels when sampling: {partial}"
    covered = [(alpha >= 0.5).sum().item() for alpha in (soft, sharp)]
    assert covered[0] == covered[1], "the same outline, drawn sharper"


PAIR_VOCAB = build_vocab(
    ["red circle moving left and blue square moving up", "green triangle rotating clockwise"]
)


def test_each_objects_words_are_pooled_apart():
    """Per-object role pooling: a two-object prompt's first object reads exactly as that object alone, and its
    second as the second alone; a one-object prompt's second object is all stand-ins."""
    encoder = TextEncoder(PAIR_VOCAB, 16)
    both, first, second = encoder(
        encode(
            [
                "red circle moving left and blue square moving up",
                "red circle moving left",
                "blue square moving up",
            ],
            PAIR_VOCAB,
        )
    ).unbind(0)
    assert torch.allclose(both[0], first[0]) and torch.allclose(both[1], second[0])
    assert torch.allclose(first[1], encoder.absent)


def test_the_second_object_is_drawn_behind_the_first_and_keeps_its_own_look():
    G = build_generator(ModelConfig(text_dim=16, noise_dim=8), PAIR_VOCAB, 8, 32).eval()
    prompts = [
        "red circle moving left and blue square moving up",
        "red circle moving left and green triangle rotating clockwise",
    ]
    noise = torch.randn(1, G.noise_size).expand(2, -1)
    with torch.no_grad():
        ids = encode(prompts, PAIR_VOCAB)
        layers = G.draw(ids, noise, G.second_rows(ids))
        clips = layers.composite()
    # where both objects cover a pixel it shows the first's fill, where only the second does, the second's
    cover = torch.zeros(4, 1, 8, 32, 32)
    cover[:2, :, :, :16], cover[2:, :, :, 8:24] = 1.0, 1.0  # first objects: top half; second: a middle band
    drawn = replace(layers, cover=cover).composite().permute(0, 2, 3, 4, 1)  # (B, T, H, W, 3)
    assert torch.allclose(drawn[:, :, 12], layers.rgb[:2, None, None].expand(-1, 8, 32, -1))
    assert torch.allclose(drawn[:, :, 20], layers.rgb[2:, None, None].expand(-1, 8, 32, -1))
    assert (drawn[:, :, 28] == 1.0).all()
    # the first object's fill and outline come from its own words: the second's words change neither
    assert torch.equal(layers.rgb[0], layers.rgb[1])
    assert torch.equal(
        G.masks(encode(["red circle moving left"], PAIR_VOCAB))[0],
        G.sprite(G.text(encode(prompts, PAIR_VOCAB))[:, 0, 1])[1],
    )
    alone = G(encode(["red circle moving left"], PAIR_VOCAB), noise[:1])
    assert not torch.allclose(alone, clips[:1]), "the second object is drawn"


def test_the_layout_keeps_two_objects_apart_moving_each_only_as_its_motion_allows():
    """Four pairs of paths (P, T, 3) in frame units at scale 1 (radius 0.3): two translations along one line,
    two orbits in step, two still objects already apart, two still objects free to turn (changes of size) at
    the centre. The translations are shifted across their direction only, the orbits turned only, the pair
    already apart left as drawn, the changes of size shifted; every pair ends apart in every frame, outlines
    inside."""
    t = torch.linspace(0, 1, 8)
    line = torch.stack([t - 0.5, torch.zeros(8), torch.zeros(8)], dim=1)
    orbit = torch.stack([0.5 * torch.cos(t * 3), 0.5 * torch.sin(t * 3), torch.zeros(8)], dim=1)
    still = torch.tensor([-0.6, 0.0, 0.0]).expand(8, 3)
    centre = torch.zeros(8, 3)
    first = torch.stack([line, orbit, still, centre])
    second = torch.stack([line, orbit, still * torch.tensor([-1.0, 1.0, 1.0]), centre])
    turnable = torch.tensor([[False, True, False, True]] * 2)
    noise = torch.randn(4, 4, generator=torch.Generator().manual_seed(0))
    shifts, angles = layout_moves((first, second), turnable, noise)
    assert (shifts[:, 0, 0] == 0).all() and (angles[:, 0] == 0).all() and (shifts[:, 0, 1] != 0).any()
    assert (shifts[:, 1] == 0).all() and (angles[:, 1] != 0).any()
    assert (shifts[:, 2] == 0).all() and (angles[:, 2] == 0).all()
    assert (shifts[:, 3] != 0).any()
    placed = [
        turn_about_centre(p[..., :2], a) + s[:, None] for p, s, a in zip((first, second), shifts, angles)
    ]
    assert ((placed[0] - placed[1]).norm(dim=-1) >= APART_REACH * 0.6).all()
    assert all((p.abs() <= 1 - APART_REACH * 0.3 + 1e-5).all() for p in placed)


MOTION_VOCAB = build_vocab([f"circle {m}" for m in MOTIONS])


def test_the_symmetry_read_out_is_fitted_to_real_paths_and_frees_only_the_datas_mirror_images():
    """Fitted to real clips of every motion, the read-out frees a symmetry exactly where the data has it: an
    axis's mirror for a bounce, a zigzag, a change of size on both axes, a translation across its direction
    only, an orbit (a mirror turns it the other way) and a diagonal on neither; a turn about the centre for an
    orbit and a change of size alone."""
    from t2v.data.synthesize import render_scenes
    from t2v.model.paths import clip_paths
    from t2v.train.inputs import to_clips
    from t2v.train.losses import symmetry_loss

    data = DataConfig(frames=8, size=32)
    G = build_generator(ModelConfig(noise_dim=8), MOTION_VOCAB, 8, 32)
    scenes = [Scene("circle", m) for m in MOTIONS for _ in range(4)]
    ids = encode([s.prompt() for s in scenes], MOTION_VOCAB)
    opt = _fitting_optimizer(G)
    for step in range(300):
        real = to_clips(render_scenes(scenes, data, np.random.default_rng(step)).clips, torch.device("cpu"))
        opt.zero_grad()
        symmetry_loss(G.symmetries(ids), clip_paths(real)).backward()
        opt.step()
    with torch.no_grad():
        free = freedom(G.symmetries(encode([f"circle {m}" for m in MOTIONS], MOTION_VOCAB)))
    expected = {  # mirror x, mirror y, turn
        "moving up": (True, False, False),
        "moving left": (False, True, False),
        "moving up-right": (False, False, False),
        "rotating clockwise": (False, False, True),
        "rotating counter-clockwise": (False, False, True),
        "expanding": (True, True, True),
        "shrinking": (True, True, True),
        "bouncing horizontally": (True, True, False),
        "bouncing vertically": (True, True, False),
        "zigzagging horizontally": (True, True, False),
        "zigzagging vertically": (True, True, False),
    }
    got = {m: tuple(free[MOTIONS.index(m)].tolist()) for m in expected}
    assert got == expected


def test_the_noise_mirrors_and_turns_the_path_only_as_the_words_symmetries_allow(monkeypatch):
    G = build_generator(ModelConfig(text_dim=16, noise_dim=8), VOCAB, 8, 32)
    monkeypatch.setattr(generator_module, "reflect", lambda track: track)  # the walls are tested alone
    first = G.noise_dim  # the first frame's motion noise, which the recurrence never reads: coins x, y, angle
    base = torch.randn(1, G.noise_size)
    base[0, first : first + 4] = torch.tensor([1.0, 1.0, 0.0, 1.0])  # no mirror, a turn of atan2(0, 1) = 0
    mirrored, turned = base.clone(), base.clone()
    mirrored[0, first] = -1.0  # only the x coin flips
    turned[0, first + 2 : first + 4] = torch.tensor([1.0, 0.0])  # a quarter turn
    prompt = "circle moving up"

    def tracks(bias: list[float]) -> list[torch.Tensor]:
        with torch.no_grad():
            G.symmetry[-1].weight.zero_()
            G.symmetry[-1].bias.copy_(torch.tensor(bias))
        return [_captured_track(G, prompt, noise, monkeypatch)[0] for noise in (base, mirrored, turned)]

    a, m, t = tracks([0.0] * 7)  # every statistic unsigned: every symmetry free
    assert torch.allclose(m[:, 0], -a[:, 0]) and torch.allclose(m[:, 1:], a[:, 1:])
    assert torch.allclose(t[:, 0], -a[:, 1], atol=1e-6) and torch.allclose(t[:, 1], a[:, 0], atol=1e-6)
    a, m, t = tracks([0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0])  # a spin: an orbit's sense, which a mirror reverses
    assert torch.equal(m, a) and torch.allclose(t[:, 0], -a[:, 1], atol=1e-6)
    a, m, t = tracks([0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0])  # an orientation (a horizontal bounce): no turn
    assert torch.allclose(m[:, 0], -a[:, 0]) and torch.equal(t, a)


def test_the_frame_edges_reflect_the_sprite_as_walls_do_a_ball():
    x = torch.linspace(0.0, 1.4, 8)
    track = torch.stack([x, -x, torch.zeros(8)], dim=-1)[None]  # moving up-right, past both walls
    wall = 1.0 - radius(track)[0]
    out = reflect(track)[0]
    inside = x <= wall
    assert torch.equal(out[inside], track[0, inside])  # nothing changes inside the walls
    assert torch.allclose(out[~inside, 0], 2 * wall[~inside] - x[~inside])  # and beyond, it comes back
    assert torch.allclose(out[~inside, 1], -out[~inside, 0])
    assert (out[:, :2].abs() <= wall[:, None] + 1e-6).all()


def test_a_tempo_in_the_noise_scales_the_speed_as_widely_as_the_words_allow(monkeypatch):
    """One noise entry sets a clip's tempo, log-normal with a spread read from the words: the same steps taken
    at another tempo cover a path scaled by exp(spread * the difference)."""
    from torch import nn

    from t2v.model.motion import POSE, SWITCHES, WAVE

    G = build_generator(ModelConfig(text_dim=16, noise_dim=8), VOCAB, 6, 32)
    monkeypatch.setattr(generator_module, "symmetrise", lambda track, free, coins: track)
    monkeypatch.setattr(generator_module, "reflect", lambda track: track)

    class Still(nn.Module):  # starts at the centre, no wave, a fixed hidden state
        def forward(self, features: torch.Tensor) -> torch.Tensor:
            return torch.zeros(len(features), G.rnn.hidden_size + POSE + WAVE)

    G.motion_init = Still()
    with torch.no_grad():
        G.step.weight.zero_()
        G.step.bias.copy_(torch.tensor([0.02, -0.01, 0.0, 0.0]))  # a small constant step, no turn
        G.tempo.bias.fill_(20.0)  # the widest spread
    noise = torch.randn(1, G.noise_size).repeat(2, 1)
    noise[:, SWITCHES] = torch.tensor([0.0, 1.0])
    track = _captured_track(G, "circle moving up", noise, monkeypatch)
    travel = (track[:, -1, :2] - track[:, 0, :2]).norm(dim=1)
    assert travel[0] > 0
    assert torch.allclose(travel[1] / travel[0], torch.tensor(math.exp(G.max_tempo_spread)), rtol=0.01)


def test_the_darkest_channel_has_amins_value_and_gradient_to_the_bit():
    from t2v.model.paths import DarkestChannel

    torch.manual_seed(0)
    clips = torch.rand(2, 3, 2, 5, 5) * 2 - 1
    clips[:, :, :, :2] = 1.0  # white: three tied channels
    clips[:, 1, :, 2] = clips[:, 0, :, 2]  # two tied channels
    upstream = torch.randn(2, 2, 5, 5)
    grads = []
    for darkest in (lambda x: x.amin(dim=1), DarkestChannel.apply):
        x = clips.clone().requires_grad_()
        value = darkest(x)
        value.backward(upstream)
        grads.append((value.detach(), x.grad))
    assert torch.equal(grads[0][0], grads[1][0])
    assert torch.equal(grads[0][1], grads[1][1])
    assert grads[1][1][:, :, :, 0].abs().sum() > 0  # ties share the gradient, none is dropped


@pytest.mark.parametrize("size", [64, 17])
def test_the_axis_aligned_grid_is_affine_grids_to_the_bit(size):
    from t2v.model.sprite import AxisAlignedGrid

    torch.manual_seed(0)
    scale, shift = torch.rand(30) * 2 + 0.5, torch.randn(30, 2)
    zero = torch.zeros_like(scale)
    upstream = torch.randn(30, size, size, 2)
    results = []
    for grid in (
        lambda t: F.affine_grid(t, [30, 1, size, size], align_corners=False),
        lambda t: AxisAlignedGrid.apply(t, size),
    ):
        leaves = (scale.clone().requires_grad_(), shift.clone().requires_grad_())
        s, (x, y) = leaves[0], leaves[1].unbind(dim=1)
        theta = torch.stack([torch.stack([s, zero, x], -1), torch.stack([zero, s, y], -1)], dim=-2)
        out = grid(theta)
        out.backward(upstream)
        results.append((out.detach(), leaves[0].grad, leaves[1].grad))
    for reference, fast in zip(*results):
        assert torch.equal(reference, fast)


def test_halved_frames_are_the_average_pools_to_the_bit():
    from t2v.model.discriminator import HalveFrames

    torch.manual_seed(0)
    clips = torch.rand(3, 10, 4, 16, 16, 3).permute(0, 5, 1, 2, 3, 4)[:, :, 0] * 2 - 1  # (3, 3, 4, 16, 16)
    upstream = torch.randn(3, 3, 4, 8, 8)
    for layout in (clips, clips.contiguous()):  # a batch of real clips keeps the bytes' channel-last order
        results = []
        for pool in (lambda x: F.avg_pool3d(x, (1, 2, 2)), HalveFrames.apply):
            x = layout.clone().requires_grad_()
            out = pool(x)
            out.backward(upstream)
            results.append((out.detach(), x.grad))
        assert torch.equal(results[0][0], results[1][0]) and torch.equal(results[0][1], results[1][1])
