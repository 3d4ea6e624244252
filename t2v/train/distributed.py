"""Several processes training one model under torchrun (DistributedDataParallel): joining and leaving the
process group, this process's place in it, wrapping the networks, and averaging gradients set by hand."""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch import nn


def init_distributed(device_name: str) -> None:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1)."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        backend = (
            "nccl"
            if device_name.startswith("cuda") or (device_name == "auto" and torch.cuda.is_available())
            else "gloo"
        )
        dist.init_process_group(backend)
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))


def finish_distributed() -> None:
    """Leave the process group, if one was joined: a rank that exits with gloo's threads still running aborts
    ("terminate called without an active exception", SIGABRT)."""
    if dist.is_initialized():
        dist.destroy_process_group()


def rank_and_world() -> tuple[int, int]:
    """This process's rank and the number of processes (0 and 1 when not distributed)."""
    return (dist.get_rank(), dist.get_world_size()) if dist.is_initialized() else (0, 1)


def wrapped(module: nn.Module, device: torch.device, world: int) -> nn.Module:
    """The module as trained: under DistributedDataParallel when there are several processes."""
    if world == 1:
        return module
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(module, device_ids=[device.index] if device.type == "cuda" else None)


def average(grad: torch.Tensor, world: int) -> torch.Tensor:
    """A gradient set by hand, averaged over the processes as DistributedDataParallel averages the others."""
    if world > 1:
        dist.all_reduce(grad)
        grad /= world
    return grad
