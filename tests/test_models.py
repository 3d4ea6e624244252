import pytest
import torch

from t2v.config import ModelConfig
from t2v.models import N_ATTRIBUTES, build_discriminator, build_generator


@pytest.mark.parametrize("arch", ["layered", "seed"])
@pytest.mark.parametrize("size, frames", [(32, 12), (64, 10), (16, 8)])
def test_shapes_and_range(arch, size, frames):
    cfg = ModelConfig(arch=arch, g_channels=16, d_channels=8, text_dim=16, noise_dim=8)
    G, D = build_generator(cfg, 20, frames, size), build_discriminator(cfg, 20, frames, size)
    ids = torch.randint(1, 20, (3, 4))
    video = G(ids, torch.randn(3, G.noise_size))
    assert video.shape == (3, 3, frames, size, size)
    assert video.min() >= -1 and video.max() <= 1
    scores, logits = D(video, ids, ids.roll(1, 0))
    assert scores.shape == (2, 3) and [l.shape[1] for l in logits] == list(N_ATTRIBUTES)


def test_layered_frames_share_one_sprite_and_move_smoothly():
    cfg = ModelConfig(g_channels=16, text_dim=16, noise_dim=8)
    G = build_generator(cfg, 20, 12, 32)
    torch.manual_seed(0)
    with torch.no_grad():
        G.step.weight.normal_(0, 0.1)  # random velocities so frames differ
        G.step.weight[2:].zero_()  # no change of scale and no turn: every frame shows the same amount of sprite
        video = G(torch.randint(1, 20, (2, 3)), torch.randn(2, G.noise_size))
    ink = (1 - video.min(dim=1).values).clamp(min=0)  # (B, T, H, W)
    mass = ink.sum(dim=(2, 3))
    assert torch.allclose(mass[:, 1:], mass[:, :-1], rtol=0.35), "the same sprite in every frame"
    ys, xs = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    cx = (ink * xs).sum(dim=(2, 3)) / mass
    assert (cx.diff(dim=1).abs() < 6).all(), "consecutive frames are close: one integrated track"


@pytest.mark.parametrize("arch", ["layered", "seed"])
def test_text_embeddings_are_trained_and_change_the_output(arch):
    cfg = ModelConfig(arch=arch, g_channels=16, d_channels=8, text_dim=16, noise_dim=8)
    G = build_generator(cfg, 20, 8, 16)
    noise = torch.randn(1, G.noise_size)
    a, b = G(torch.tensor([[3, 4, 5]]), noise), G(torch.tensor([[3, 4, 6]]), noise)
    assert not torch.allclose(a, b), "the text changes the clip"
    embedding = next(m for m in G.modules() if isinstance(m, torch.nn.Embedding))
    before = embedding.weight.detach().clone()
    opt = torch.optim.Adam(G.parameters(), lr=0.01)
    a.mean().backward()
    opt.step()
    assert not torch.equal(before, embedding.weight), "the embedding is in the optimizer"
