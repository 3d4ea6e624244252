"""The training loop: text-conditioned video GAN with matching-aware negatives and attribute heads,
resumable per epoch, with a per-step log for `dvc plots` and a one-line summary."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from dvclive import Live
from tqdm import tqdm

from t2v import checkpoint, heap, losses, models, objects, prompts
from t2v import vocab as vocabulary
from t2v.config import Config
from t2v.dataset import Dataset
from t2v.errors import T2VError
from t2v.models import build_discriminator, build_generator
from t2v.monitor import STEP_METRICS, Monitor, log_epoch, open_live
from t2v.scenes import heldout_pairs

# The code a training state depends on beyond params and data: a changed model or loop starts afresh
# rather than resuming (or, at its last epoch, re-saving) what the old code trained.
TRAINING_CODE = (losses, models, objects, prompts, vocabulary)


def to_clips(frames: np.ndarray, device: torch.device) -> torch.Tensor:
    """uint8 (B, T, H, W, 3) -> float (B, 3, T, H, W) in [-1, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).to(device)
    return x.permute(0, 4, 1, 2, 3).float().div_(127.5).sub_(1.0)


def fingerprint(cfg: Config, data: Dataset) -> str:
    """Identifies what a training state was trained on and by: a changed param, dataset or training code starts
    training afresh. The clips themselves are hashed: a data param such as a speed range changes them, not the
    prompts."""
    content = hashlib.blake2b(digest_size=16)
    for chunk in np.array_split(np.arange(len(data.prompts)), max(1, len(data.prompts) // 1024)):
        content.update(np.ascontiguousarray(data.clips[chunk]).data)
    content.update("\n".join(data.prompts).encode())
    code = hashlib.blake2b(Path(__file__).read_bytes(), digest_size=16)
    for module in TRAINING_CODE:
        code.update(Path(module.__file__).read_bytes())
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


def _epoch_generator(seed: int, epoch: int, rank: int) -> torch.Generator:
    # All randomness of an epoch derives from (seed, epoch, rank): resuming at an epoch boundary needs no RNG state.
    return torch.Generator().manual_seed(seed * 1_000_003 + epoch * 7919 + rank)


def grouped_batches(
    pairs: torch.Tensor, group: int, groups_per_batch: int, rng: torch.Generator
) -> list[torch.Tensor]:
    """One epoch's batches: indices into the dataset, each batch `groups_per_batch` groups of `group` clips that
    share a (shape, motion) pair, so the discriminator can compare a prompt's clips with each other. pairs: (N,)
    pair index per clip. A pair with fewer clips than a group (tiny datasets only) repeats some of them."""
    groups = []
    for key in torch.unique(pairs).tolist():
        members = torch.nonzero(pairs == key).squeeze(1)
        members = members[torch.randperm(len(members), generator=rng)]
        if len(members) < group:
            members = members[torch.randint(len(members), (group,), generator=rng)]
        groups.append(members[: len(members) // group * group].view(-1, group))
    stacked = torch.cat(groups)[torch.randperm(sum(len(g) for g in groups), generator=rng)]
    count = max(1, len(stacked) // groups_per_batch)
    return [stacked[i * groups_per_batch : (i + 1) * groups_per_batch].flatten() for i in range(count)]


def _update_ema(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    with torch.no_grad():
        ema_params, params = list(ema.parameters()), list(model.parameters())
        torch._foreach_lerp_(ema_params, params, 1.0 - decay)


# The layered generator's fill and mask are linear read-outs of the words fitted to the colour and shape of real
# clips (losses.colour_loss, shape_loss), not adversarially. At the GAN's rate Adam would take thousands of steps
# to carry a fill across the colour cube. They are smooth fits: at this many times the rate, with Adam's usual
# momentum (the GAN's beta1 of 0.5 leaves a fill oscillating by a few levels), a fill settles within a level in
# ~300 steps.
FIT_LR_SCALE = 25.0
FIT_BETAS = (0.9, 0.999)


def _generator_groups(G: torch.nn.Module) -> list[dict]:
    """The generator's parameters as optimizer groups, each with its lr_scale: the fitted read-outs and the tempo's
    width on their own."""
    fitted = (
        [*G.paint.parameters(), *G.mask.parameters(), *G.symmetry.parameters(), *G.spread_parameters()]
        if isinstance(G, models.LayeredGenerator)
        else []
    )
    fast = {id(p) for p in fitted}
    groups = [{"params": [p for p in G.parameters() if id(p) not in fast], "lr_scale": 1.0}]
    if fitted:
        groups.append({"params": fitted, "lr_scale": FIT_LR_SCALE, "betas": FIT_BETAS})
    return groups


def _optimise(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


@contextmanager
def frozen(module: torch.nn.Module) -> Iterator[None]:
    """No weight gradients for module inside the block."""
    module.requires_grad_(False)
    try:
        yield
    finally:
        module.requires_grad_(True)


class Trainer:
    def __init__(self, cfg: Config, data: Dataset, vocab: list[str], device: torch.device):
        self.cfg, self.data, self.vocab, self.device = cfg, data, vocab, device
        heap.keep_freed_memory()
        self.rank = dist.get_rank() if dist.is_initialized() else 0
        self.is_main = self.rank == 0  # the process that logs and writes outputs
        self.world = dist.get_world_size() if dist.is_initialized() else 1
        frames, size = data.clips.shape[1], data.clips.shape[2]
        torch.manual_seed(cfg.seed)
        self.G = build_generator(cfg.model, vocab, frames, size).to(device)
        self.D = build_discriminator(cfg.model, vocab, frames, size).to(device)
        # An EMA is kept only when sampled from: train.ema 0 (the default) samples G as trained.
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False) if cfg.train.ema > 0 else None
        betas = tuple(cfg.train.betas)
        self.opt_g = torch.optim.Adam(_generator_groups(self.G), lr=cfg.train.lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg.train.lr, betas=betas)
        self.items = objects.object_items(data, vocab)  # what a batch is made of: objects, not clips
        labels = self.items.labels
        self.pairs = labels[:, 0] * len(prompts.MOTIONS) + labels[:, 2]  # (shape, motion) per object
        self.epoch, self.step, self.clips, self.seconds = 0, 0, 0, 0.0  # clips: real clips seen
        self.live: Live | None = None  # the dvclive run the main process logs steps to
        self.fingerprint = fingerprint(cfg, data)
        self.frames, self.size = frames, size
        self.autocast = torch.autocast(
            "cuda", dtype=torch.bfloat16, enabled=device.type == "cuda" and cfg.train.amp == "bf16"
        )
        self._tick, self._clips_since = time.perf_counter(), 0  # for clips/s in the log
        if self.world > 1:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [device.index] if device.type == "cuda" else None
            self.G_train, self.D_train = DDP(self.G, device_ids=ids), DDP(self.D, device_ids=ids)
        else:
            self.G_train, self.D_train = self.G, self.D

    # ---- state -------------------------------------------------------------------------------------
    def state(self) -> dict:
        return {
            "fingerprint": self.fingerprint,
            "epoch": self.epoch,
            "step": self.step,
            "clips": self.clips,
            "seconds": self.seconds,
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            **({"G_ema": self.G_ema.state_dict()} if self.G_ema is not None else {}),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
        }

    def try_resume(self, path: Path) -> bool:
        if not path.exists():
            return False
        state = checkpoint.load(path, "training state", "delete it to start training afresh")
        if state.get("fingerprint") != self.fingerprint:
            return False
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        if self.G_ema is not None:
            self.G_ema.load_state_dict(state["G_ema"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.epoch, self.step, self.seconds = state["epoch"], state["step"], state["seconds"]
        self.clips = state["clips"]
        return True

    def _optimise_generator(self, loss: torch.Tensor, path_fit: torch.Tensor) -> None:
        """One generator step in which the tempo's width (spread_parameters) takes only the gradient of the path
        terms (path_fit, part of loss), the rest of the generator that of the whole loss. The discriminator's
        gradient on the width, an order of magnitude above the path terms' and of either sign from batch to
        batch, held every prompt's speeds near one (README)."""
        spread = self.G.spread_parameters() if isinstance(self.G, models.LayeredGenerator) else []
        if not spread:
            _optimise(self.opt_g, loss)
            return
        fitted = (
            torch.autograd.grad(path_fit, spread, retain_graph=True, allow_unused=True)
            if path_fit.requires_grad  # not when every path term's weight is 0
            else [None] * len(spread)
        )
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        for param, grad in zip(spread, fitted):
            grad = torch.zeros_like(param) if grad is None else grad
            if self.world > 1:  # DistributedDataParallel averaged the gradients it overwrites
                dist.all_reduce(grad)
                grad /= self.world
            param.grad = grad
        self.opt_g.step()

    # ---- one epoch ---------------------------------------------------------------------------------
    def run_epoch(self) -> dict:
        hyper = self.cfg.train  # this run's training hyperparameters
        rng = _epoch_generator(self.cfg.seed, self.epoch, self.rank)
        self._set_lr()
        batches = self._epoch_batches()
        sums = np.zeros(4)
        bar = tqdm(
            batches, desc=f"epoch {self.epoch + 1}/{hyper.epochs}", leave=False, disable=not self.is_main
        )
        for idx in bar:
            real, prompt, ids, labels = self._batch(idx)
            wrong, noise = self._draw(idx, rng)

            # (1) Update D: real objects with their words read real; fakes and real objects with other words
            # (another object's, or their own with the other object's motion), fake. The generator draws each
            # item's whole prompt; the fake is the item's object as it shows, judged by its own words. The ink
            # paths are computed once per batch: both steps and every path term read them (the fakes' keeps its
            # graph for the generator's step).
            with self.autocast:
                if isinstance(self.G, models.LayeredGenerator):
                    fake = self.G_train(prompt, noise, self.items.slot[idx].to(self.device))
                else:
                    fake = self.G_train(prompt, noise)
                fake_path = models.clip_paths(fake)
                with torch.no_grad():
                    real_path = models.clip_paths(real)
                loss_d, s_real, s_fake = losses.discriminator_loss(
                    self.D_train, real, fake, ids, wrong, labels, hyper, real_path, fake_path
                )
            _optimise(self.opt_d, loss_d)

            # (2) Update G: fakes should read real for their text, show what it names and vary as the data.
            # D is used unwrapped and frozen: this step neither updates it nor syncs its weight gradients.
            with frozen(self.D), self.autocast:
                layered = isinstance(self.G, models.LayeredGenerator)
                paint, mask = (self.G.colours(ids), self.G.masks(ids)) if layered else (None, None)
                symmetry = self.G.symmetries(ids) if layered else None
                loss_g, path_fit = losses.generator_loss(
                    self.D,
                    fake,
                    real,
                    ids,
                    labels,
                    hyper,
                    self.cfg.model.group,
                    real_path,
                    fake_path,
                    paint,
                    mask,
                    symmetry,
                )
            self._optimise_generator(loss_g, path_fit)

            # (3) EMA of G, only when sampled from.
            if self.G_ema is not None:
                _update_ema(self.G_ema, self.G, min(hyper.ema, (1 + self.step) / (10 + self.step)))

            # (4) Log.
            values = self._record(loss_d, loss_g, s_real, s_fake, clips=len(idx) * self.world)
            sums += values
            bar.set_postfix(loss_d=f"{values[0]:.3f}", loss_g=f"{values[1]:.3f}")
        self.epoch += 1
        return dict(zip(("loss_d", "loss_g", "d_real", "d_fake"), (sums / len(batches)).round(5).tolist()))

    def _set_lr(self) -> None:
        """The epoch's learning rate: constant, or with lr_decay linear from lr down to lr / epochs in the last
        epoch. Set from the epoch alone, so a resumed run follows the same schedule."""
        hyper = self.cfg.train
        lr = hyper.lr * (1.0 - self.epoch / hyper.epochs if hyper.lr_decay else 1.0)
        for optimizer in (self.opt_d, self.opt_g):
            for group in optimizer.param_groups:
                group["lr"] = lr * group.get("lr_scale", 1.0)

    def _epoch_batches(self) -> list[torch.Tensor]:
        """This rank's batches: every rank draws the same epoch plan and takes its own share of each step's
        groups, kept in order (group_spread relies on it)."""
        group = self.cfg.model.group
        groups_per_batch = max(1, self.cfg.train.batch_size // group // self.world)
        plan = grouped_batches(
            self.pairs, group, groups_per_batch * self.world, _epoch_generator(self.cfg.seed, self.epoch, 0)
        )
        return [b.view(-1, group)[self.rank :: self.world].flatten() for b in plan]

    def _batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Items idx on the device: the real objects as they show (B, 3, T, H, W), the prompts their clips were
        drawn from (what the generator reads), the objects' own words and their labels (shape, colour, motion)."""
        items = self.items
        real = to_clips(self.data.clips[items.clip[idx].numpy()], self.device)
        paired = torch.nonzero(items.paired[idx]).squeeze(1)
        if len(paired):
            real[paired] = models.separate(real[paired], items.fills[idx[paired]].to(self.device))
        to = self.device
        return real, items.ids[idx].to(to), items.own[idx].to(to), items.labels[idx].to(to)

    def _draw(self, idx: torch.Tensor, rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Wrong words for each item (its own with the other object's motion where that differs, else the
        batch's words rolled by a random shift) and the generator's noise."""
        own, swapped = self.items.own[idx], self.items.swapped[idx]
        wrong = own.roll(int(torch.randint(1, max(2, len(own)), (1,), generator=rng)), dims=0)
        swap = (swapped != own).any(dim=1, keepdim=True)
        wrong = torch.where(swap, swapped, wrong)
        return wrong.to(self.device), torch.randn(len(own), self.G.noise_size, generator=rng).to(self.device)

    def _record(
        self,
        loss_d: torch.Tensor,
        loss_g: torch.Tensor,
        s_real: torch.Tensor,
        s_fake: torch.Tensor,
        clips: int,
    ) -> list[float]:
        """Count the step, stop on a non-finite loss, and log the step's values; returns them."""
        self.step += 1
        self.clips += clips
        values = [loss_d.item(), loss_g.item(), s_real.float().mean().item(), s_fake.float().mean().item()]
        if not all(np.isfinite(values)):
            raise T2VError(
                f"non-finite loss at epoch {self.epoch + 1} step {self.step} (loss_d={values[0]}, "
                f"loss_g={values[1]}): stopped; the last good checkpoint is kept. Try a lower train.lr"
            )
        self._clips_since += clips
        if self.live is not None and self.step % self.cfg.train.log_every == 0:
            now = time.perf_counter()
            speed = self._clips_since / max(now - self._tick, 1e-9)
            self.live.step = self.step
            for name, value in zip(STEP_METRICS, [*values, speed]):
                self.live.log_metric(f"train/{name}", round(value, 5))
            self.live.make_summary()  # `dvc exp show` reads it live
            self._tick, self._clips_since = now, 0
        return values

    def n_params(self) -> dict:
        return {
            "generator": sum(p.numel() for p in self.G.parameters()),
            "discriminator": sum(p.numel() for p in self.D.parameters()),
        }


def train(
    cfg: Config,
    data: Dataset,
    vocab: list[str],
    device: torch.device,
    *,
    model_path: Path,
    state_path: Path,
    live_dir: Path,
) -> dict:
    """Train (resuming from state_path when it matches these params), logging to a dvclive run in live_dir,
    and write the generator; returns the run's summary: dvclive's metrics.json (the metrics DVC tracks) and the
    run's facts (steps, device, parameter counts: dvclive's params.yaml, not metrics)."""
    trainer = Trainer(cfg, data, vocab, device)
    resumed = trainer.try_resume(state_path)
    main = trainer.is_main  # the other ranks train in step and write nothing
    if main:
        if resumed:
            print(f"resuming from {state_path} at epoch {trainer.epoch}/{cfg.train.epochs}")
        trainer.live = open_live(live_dir, (trainer.step, trainer.epoch) if resumed else None)
        monitor = Monitor(data, heldout_pairs(cfg.data), vocab, trainer.G.noise_size, cfg.seed)
    while trainer.epoch < cfg.train.epochs:
        start = time.perf_counter()
        means = trainer.run_epoch()
        trainer.seconds += time.perf_counter() - start
        if main:
            checkpoint.save(trainer.state(), state_path)
            scores = log_epoch(trainer.live, monitor, trainer.G, device, trainer.epoch)
            print(
                f"epoch {trainer.epoch}/{cfg.train.epochs}: "
                + " ".join(f"{k}={v:.3f}" for k, v in {**means, **scores}.items()),
                flush=True,
            )
    if not main:
        return {}
    sampler = trainer.G_ema if trainer.G_ema is not None else trainer.G
    checkpoint.save(
        checkpoint.generator_payload(sampler, cfg.model, vocab, trainer.frames, trainer.size), model_path
    )
    timing = {
        "wall_time_s": round(trainer.seconds, 2),
        "clips_per_s": round(trainer.clips / max(trainer.seconds, 1e-9), 2),
    }
    facts = {
        "steps": trainer.step,
        "clips": trainer.clips,
        "epochs": trainer.epoch,
        "device": str(device),
        "world_size": trainer.world,
        "arch": cfg.model.arch,
        "n_params": trainer.n_params(),
    }
    trainer.live.summary.update(timing)
    trainer.live.log_params(facts)  # dvclive's params.yaml beside its metrics: facts of the run, not metrics
    trainer.live.end()
    print(
        f"trained {cfg.model.arch} for {trainer.epoch} epochs ({trainer.step} steps) on {device} in "
        f"{trainer.seconds:.0f}s at {timing['clips_per_s']:.0f} clips/s -> {model_path}"
    )
    return {**trainer.live.summary, **facts}


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
    ("terminate called without an active exception", SIGABRT), seen once in CI at the end of a two-process run."""
    if dist.is_initialized():
        dist.destroy_process_group()
