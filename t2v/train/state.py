"""A training run's resumable state: what it was trained on and by (its fingerprint), and the weights,
optimizers and counters saved after every epoch. A state whose fingerprint differs is not resumed."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from t2v import torch_io
from t2v.config import Config
from t2v.data.dataset import Dataset
from t2v.errors import T2VError

# The code a training state depends on beyond params and data: a changed model or loop starts afresh rather
# than resuming (or, at its last epoch, re-saving) what the old code trained.
PACKAGE = Path(__file__).resolve().parents[1]
TRAINING_CODE = (PACKAGE / "model", PACKAGE / "train", PACKAGE / "prompts.py", PACKAGE / "data" / "vocab.py")
COUNTERS = ("epoch", "steps", "clips", "seconds")  # clips: real clips seen


@contextmanager
def locked(state_path: Path) -> Iterator[None]:
    """Hold the state's lock (an OS file lock beside it, `.<name>.lock`) for the block: a second trainer on
    the same state is refused in one line naming the process that holds it. The OS releases the lock when
    its process ends, however it ends, so a killed trainer never blocks the next."""
    state_path.parent.mkdir(parents=True, exist_ok=True)
    with open(state_path.with_name(f".{state_path.name}.lock"), "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            raise T2VError(
                f"{str(state_path)!r} is in use: process {holder} is training on it; "
                "wait for it to end or stop it, then run again"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        yield


def fingerprint(cfg: Config, data: Dataset) -> str:
    """Identifies what a training state was trained on and by: a changed param, dataset or training code
    starts training afresh. The clips themselves are hashed: a data param such as a speed range changes them,
    not the prompts."""
    content = hashlib.blake2b(digest_size=16)
    for chunk in np.array_split(np.arange(len(data.prompts)), max(1, len(data.prompts) // 1024)):
        content.update(np.ascontiguousarray(data.clips[chunk]).data)
    content.update("\n".join(data.prompts).encode())
    code = hashlib.blake2b(digest_size=16)
    for path in TRAINING_CODE:
        for source in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            code.update(source.read_bytes())
    blob = json.dumps(
        {
            "seed": cfg.seed,
            "model": asdict(cfg.model),
            "train": asdict(cfg.train),
            "data": list(data.clips.shape),
            "content": content.hexdigest(),
            "code": code.hexdigest(),
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class Resumable(Protocol):
    """What a training state holds of a trainer (t2v.train.trainer.Trainer)."""

    fingerprint: str
    G: torch.nn.Module
    D: torch.nn.Module
    G_ema: torch.nn.Module | None
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    epoch: int
    steps: int
    clips: int
    seconds: float


def save(trainer: Resumable, path: Path) -> None:
    """Write the trainer's state: weights, optimizers, counters and fingerprint."""
    torch_io.save(
        {
            "fingerprint": trainer.fingerprint,
            **{name: getattr(trainer, name) for name in COUNTERS},
            "G": trainer.G.state_dict(),
            "D": trainer.D.state_dict(),
            **({"G_ema": trainer.G_ema.state_dict()} if trainer.G_ema is not None else {}),
            "opt_g": trainer.opt_g.state_dict(),
            "opt_d": trainer.opt_d.state_dict(),
        },
        path,
    )


def resume(trainer: Resumable, path: Path) -> bool:
    """Load the state at path into the trainer where it was trained on and by the same (its fingerprint);
    whether it did."""
    if not path.exists():
        return False
    state = torch_io.load(path, "training state", "delete it to start training afresh")
    if state.get("fingerprint") != trainer.fingerprint:
        return False
    trainer.G.load_state_dict(state["G"])
    trainer.D.load_state_dict(state["D"])
    if trainer.G_ema is not None:
        trainer.G_ema.load_state_dict(state["G_ema"])
    trainer.opt_g.load_state_dict(state["opt_g"])
    trainer.opt_d.load_state_dict(state["opt_d"])
    for name in COUNTERS:
        setattr(trainer, name, state[name])
    return True
