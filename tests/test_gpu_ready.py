"""The training step is ready for a GPU, proved without one. Under PyTorch's FakeTensorMode the networks run
on a fake `cuda` device: a mixed-device op raises FakeTensorDeviceMismatchError, and an op whose output shape
depends on tensor values (nonzero, a boolean mask) raises DynamicOutputShapeException, the host sync it would
be on a GPU. bf16 autocast, which train.amp turns on under CUDA, is checked on the CPU."""

from __future__ import annotations

import pytest
import torch
from torch._subclasses.fake_tensor import (
    DynamicOutputShapeException,
    FakeTensor,
    FakeTensorDeviceMismatchError,
    FakeTensorMode,
)

from t2v.data.synthesize import generate_dataset
from t2v.data.vocab import build_vocab
from t2v.model import layers
from t2v.train.trainer import Trainer, _epoch_generator
from tests.conftest import tiny_config

CUDA = torch.device("cuda")


# Two CUDA kernels that PyTorch ships without a fake (shape-only) implementation: the fused GRU cell and
# cuDNN's grid sampler. Their output shapes, as the real kernels return them:
@torch.library.register_fake("aten::_thnn_fused_gru_cell")
def _fused_gru_cell(input_gates, hidden_gates, hx, input_bias=None, hidden_bias=None):
    return hx.new_empty(hx.shape), hx.new_empty(hx.shape[0], 5 * hx.shape[1])


@torch.library.register_fake("aten::cudnn_grid_sampler")
def _cudnn_grid_sampler(image, grid):
    return image.new_empty(image.shape[0], image.shape[1], grid.shape[1], grid.shape[2])


def _trainer(arch: str) -> Trainer:
    cfg = tiny_config(model={"arch": arch}, data={"pair_share": 0.25 if arch == "layered" else 0.0})
    data = generate_dataset(cfg.data, cfg.seed)
    return Trainer(cfg, data, build_vocab(data.prompts), torch.device("cpu"))


def _host_inputs(trainer: Trainer):
    return trainer.inputs(trainer._epoch_batches()[0], _epoch_generator(0, 0, 0))


def _on_fake_cuda(trainer: Trainer) -> None:
    trainer.G.to(CUDA)
    trainer.D.to(CUDA)
    trainer.device = CUDA


@pytest.mark.parametrize("arch", ["layered", "seed"])
def test_the_training_step_runs_on_fake_cuda_with_no_sync_and_no_device_mismatch(arch):
    """G forward, D on real and fake, every loss term of both steps, then sampling, all on the fake device.
    Backward cannot run here: the autograd engine asks the CUDA driver for a context ("hasPrimaryContext"),
    so the optimizers' steps are left to a real GPU."""
    trainer = _trainer(arch)
    host = _host_inputs(trainer)  # gathered on the host, where the batch's shapes are set
    if arch == "layered":
        assert len(host.second) and len(host.paired), "the batch holds two-object prompts"
    with FakeTensorMode(allow_non_fake_inputs=True):
        _on_fake_cuda(trainer)
        inputs = host.to(trainer.device)
        batch, loss_d, s_real, s_fake = trainer.discriminator_loss(inputs)
        loss_g, path_fit = trainer.generator_loss(batch, inputs)
        for value in (loss_d, s_real, s_fake, loss_g, path_fit, batch.fake):
            assert isinstance(value, FakeTensor) and value.device.type == "cuda"
        with torch.no_grad():  # sampling, as Generator.from_host does once the host has found second rows
            clips = trainer.G.eval()(inputs.prompt, inputs.noise, second=inputs.second)
        assert clips.device.type == "cuda" and clips.shape == batch.fake.shape


def test_the_fake_device_catches_a_sync_and_a_cpu_tensor_in_the_generator(monkeypatch):
    """The mode is a real check: the generator left to find its two-object prompts on the device (nonzero),
    and a CPU tensor slipped into its forward, each stop it."""
    trainer = _trainer("layered")
    host = _host_inputs(trainer)
    with FakeTensorMode(allow_non_fake_inputs=True):
        _on_fake_cuda(trainer)
        inputs = host.to(trainer.device)
        with pytest.raises(DynamicOutputShapeException):
            trainer.G(inputs.prompt, inputs.noise, inputs.slots)  # second not given: nonzero on the device
        over_white = layers.over_white
        monkeypatch.setattr(
            layers, "over_white", lambda rgb, cover: over_white(rgb, cover) + torch.zeros(3, 1, 1, 1)
        )
        with pytest.raises(FakeTensorDeviceMismatchError):
            trainer.G(inputs.prompt, inputs.noise, inputs.slots, second=inputs.second)


def test_a_bf16_autocast_step_gives_finite_losses_close_to_full_precision():
    """train.amp's bf16 autocast, here on the CPU: from the same weights and batch, the losses and D's scores
    match full precision within bf16's rounding, and the generator's gradient points the same way. (Trained
    for the left/right check's 24 epochs, bf16 followed left and right as fp32 did, 1.0 and 1.0; at 193 s
    against 53 s, as the CPU has no fast bf16 kernels, it is not rerun here.)"""
    results = []
    for autocast in (torch.autocast("cpu", enabled=False), torch.autocast("cpu", dtype=torch.bfloat16)):
        torch.manual_seed(0)
        trainer = _trainer("layered")
        trainer.autocast = autocast
        inputs = _host_inputs(trainer)
        batch, loss_d, s_real, s_fake = trainer.discriminator_loss(inputs)
        loss_g, _ = trainer.generator_loss(batch, inputs)
        (grad,) = torch.autograd.grad(loss_g, [trainer.G.text.embed.weight])
        values = torch.stack([loss_d, loss_g, s_real.float().mean(), s_fake.float().mean()]).detach()
        assert torch.isfinite(values).all() and torch.isfinite(grad).all()
        results.append((values, grad.flatten()))
    (full, full_grad), (half, half_grad) = results
    assert torch.allclose(half, full, rtol=0.05, atol=0.05), (full, half)
    assert torch.cosine_similarity(full_grad, half_grad, dim=0) > 0.9
