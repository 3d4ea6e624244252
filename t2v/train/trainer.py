"""The training loop: a text-conditioned video GAN with matching-aware negatives and attribute heads, trained
object by object. One step reads a batch, updates D, then G, then the EMA, then logs; a run resumes per epoch
(t2v.train.state) and ends with a one-line summary."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from t2v import torch_io
from t2v.atomic import output_set
from t2v.config import Config
from t2v.data.dataset import Dataset
from t2v.data.scenes import heldout_pairs
from t2v.errors import T2VError
from t2v.model import checkpoint
from t2v.model.base import Generator
from t2v.model.build import build_discriminator, build_generator
from t2v.model.paths import clip_paths
from t2v.prompts import MOTIONS
from t2v.train import heap, losses, objects, state
from t2v.train.distributed import average, rank_and_world, wrapped
from t2v.train.inputs import StepInputs, gather, real_targets
from t2v.train.monitor import (
    STEP_VALUES,
    Monitor,
    StepLog,
    log_epoch,
    open_live,
    partial_history,
    sample_pairs,
)

# The generator's fitted read-outs (fill, mask, symmetries, tempo width) are smooth fits to the real clips,
# not adversarial: at the GAN's rate Adam would take thousands of steps to carry a fill across the colour
# cube. At this many times the rate, with Adam's usual momentum (the GAN's beta1 of 0.5 leaves a fill
# oscillating by a few levels), a fill settles within a level in about 300 steps.
FIT_LR_SCALE = 25.0
FIT_BETAS = (0.9, 0.999)


def _epoch_generator(seed: int, epoch: int, rank: int) -> torch.Generator:
    # All randomness of an epoch derives from (seed, epoch, rank): resuming at an epoch boundary needs no RNG
    # state.
    return torch.Generator().manual_seed(seed * 1_000_003 + epoch * 7919 + rank)


def grouped_batches(
    pairs: torch.Tensor, group: int, groups_per_batch: int, rng: torch.Generator
) -> list[torch.Tensor]:
    """One epoch's batches: indices into the dataset, each batch `groups_per_batch` groups of `group` clips
    that share a (shape, motion) pair, so the discriminator can compare a prompt's clips with each other.
    pairs: (N,) pair index per clip. A pair with fewer clips than a group (tiny datasets only) repeats some of
    them."""
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


def _generator_groups(G: Generator) -> list[dict]:
    """The generator's parameters as optimizer groups, each with its lr_scale: the fitted ones on their
    own."""
    fitted = G.fitted_parameters()
    fast = {id(p) for p in fitted}
    groups = [{"params": [p for p in G.parameters() if id(p) not in fast], "lr_scale": 1.0}]
    if fitted:
        groups.append({"params": fitted, "lr_scale": FIT_LR_SCALE, "betas": FIT_BETAS})
    return groups


def _optimise(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def _update_ema(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    with torch.no_grad():
        torch._foreach_lerp_(list(ema.parameters()), list(model.parameters()), 1.0 - decay)


@contextmanager
def frozen(module: torch.nn.Module) -> Iterator[None]:
    """No weight gradients for module inside the block."""
    module.requires_grad_(False)
    try:
        yield
    finally:
        module.requires_grad_(True)


class Trainer:
    """The networks, their optimizers and the run's counters; `step` trains on one batch, `run_epoch` on one
    epoch of this process's batches."""

    def __init__(self, cfg: Config, data: Dataset, vocab: list[str], device: torch.device):
        self.cfg, self.data, self.vocab, self.device = cfg, data, vocab, device
        heap.keep_freed_memory()
        self.rank, self.world = rank_and_world()
        self.is_main = self.rank == 0  # the process that logs and writes outputs
        self.frames, self.size = data.clips.shape[1], data.clips.shape[2]
        torch.manual_seed(cfg.seed)
        self.G: Generator = build_generator(cfg.model, vocab, self.frames, self.size).to(device)
        self.D = build_discriminator(cfg.model, vocab, self.frames, self.size).to(device)
        # An EMA is kept only when sampled from: train.ema 0 (the default) samples G as trained.
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False) if cfg.train.ema > 0 else None
        betas = tuple(cfg.train.betas)
        self.opt_g = torch.optim.Adam(_generator_groups(self.G), lr=cfg.train.lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg.train.lr, betas=betas)
        self.G_train, self.D_train = wrapped(self.G, device, self.world), wrapped(self.D, device, self.world)
        self.items = objects.object_items(data, vocab)  # what a batch is made of: objects, not clips
        self.targets = real_targets(self.items, data.clips)
        labels = self.items.labels
        self.pairs = labels[:, 0] * len(MOTIONS) + labels[:, 2]  # (shape, motion) per object
        self.epoch, self.steps, self.clips, self.seconds = 0, 0, 0, 0.0  # clips: real clips seen
        self.log: StepLog | None = None  # the main process's per-step curves
        self.fingerprint = state.fingerprint(cfg, data)
        self.autocast = torch.autocast(
            "cuda", dtype=torch.bfloat16, enabled=device.type == "cuda" and cfg.train.amp == "bf16"
        )
        self.cuda_graphs = cfg.train.compile and device.type == "cuda"
        if cfg.train.compile:
            self._compile()

    def _compile(self) -> None:
        """train.compile: D's forward and the generator's hot part (Generator.compile_for_training) under
        torch.compile, replayed as CUDA graphs on CUDA. The EMA copy, sampled from, stays eager."""
        # G's step takes the path terms' gradient with retain_graph, which a compiled backward's donated
        # buffers forbid.
        torch._functorch.config.donated_buffer = False
        mode = "reduce-overhead" if self.cuda_graphs else None
        self.D.compile(mode=mode, dynamic=False)
        self.G.compile_for_training(mode)

    def run_epoch(self) -> dict:
        """Train one epoch; returns its mean losses and D scores."""
        hyper = self.cfg.train
        rng = _epoch_generator(self.cfg.seed, self.epoch, self.rank)
        self._set_lr()
        batches = self._epoch_batches()
        sums = torch.zeros(len(STEP_VALUES), device=self.device)
        bar = tqdm(
            batches, desc=f"epoch {self.epoch + 1}/{hyper.epochs}", leave=False, disable=not self.is_main
        )
        for idx in bar:
            values = self.step(self.inputs(idx, rng))
            sums += values
            # The step's values stay on the device; they are read back once every log_every steps.
            if self.steps % hyper.log_every == 0:
                read = self._read(values, "at")
                bar.set_postfix(loss_d=f"{read[0]:.3f}", loss_g=f"{read[1]:.3f}")
                if self.log is not None:
                    self.log.record(self.steps, read, self.clips)
        means = self._read(sums / len(batches), "in the epoch by")
        self.epoch += 1
        return dict(zip(STEP_VALUES, np.round(means, 5).tolist()))

    def inputs(self, idx: torch.Tensor, rng: torch.Generator) -> StepInputs:
        """Items idx's step inputs, gathered on the host (t2v.train.inputs)."""
        return gather(
            self.items, self.targets, self.data.clips, idx, rng, self.G.noise_size, self.G.second_rows
        )

    def step(self, host: StepInputs) -> torch.Tensor:
        """One training step on inputs gathered on the host: D, G, EMA. Returns loss_d, loss_g, D(real),
        D(fake) as one tensor on the device: nothing here waits for the device."""
        hyper = self.cfg.train
        if self.cuda_graphs:
            torch.compiler.cudagraph_mark_step_begin()  # the last step's graph outputs may be overwritten
        inputs = host.to(self.device)
        batch, loss_d, s_real, s_fake = self.discriminator_loss(inputs)
        _optimise(self.opt_d, loss_d)
        loss_g, path_fit = self.generator_loss(batch, inputs)
        self._optimise_generator(loss_g, path_fit)

        # The EMA of G, only when sampled from.
        if self.G_ema is not None:
            _update_ema(self.G_ema, self.G, min(hyper.ema, (1 + self.steps) / (10 + self.steps)))

        self.steps += 1
        self.clips += len(inputs.own) * self.world
        return torch.stack([loss_d, loss_g, s_real.float().mean(), s_fake.float().mean()]).detach()

    def discriminator_loss(self, inputs: StepInputs) -> tuple[losses.Batch, torch.Tensor, ...]:
        """D's loss on inputs on the device: real objects with their words read real; fakes and real objects
        with other words (another object's, or their own with the other object's motion), fake. The generator
        draws each item's whole prompt; the fake is the item's object as it shows, judged by its own words.
        The ink paths are computed once per batch: both steps and every path term read them (the fakes' keeps
        its graph for G). Returns the batch, the loss, and D's scores on real and fake."""
        real = inputs.real()  # in full precision: separating two objects solves a 2x2 system per pixel
        with self.autocast:
            fake = self.G_train(inputs.prompt, inputs.noise, inputs.slots, second=inputs.second)
            batch = losses.Batch(
                real, fake, inputs.own, inputs.labels, inputs.path, clip_paths(fake), inputs.colour
            )
            return batch, *losses.discriminator_loss(
                self.D_train, batch, wrong=inputs.wrong, cfg=self.cfg.train
            )

    def generator_loss(self, batch: losses.Batch, inputs: StepInputs) -> tuple[torch.Tensor, torch.Tensor]:
        """G's loss: fakes should read real for their text, show what it names and vary as the data. D is
        used unwrapped and frozen: this step neither updates it nor syncs its weight gradients. Returns the
        loss and its path terms (_optimise_generator)."""
        with frozen(self.D), self.autocast:
            return losses.generator_loss(
                self.D,
                batch,
                readouts=self.G.readouts(inputs.own),
                cfg=self.cfg.train,
                group=self.cfg.model.group,
            )

    def _optimise_generator(self, loss: torch.Tensor, path_fit: torch.Tensor) -> None:
        """One generator step in which the spread parameters take only the gradient of the path terms
        (path_fit, part of loss), the rest of the generator that of the whole loss."""
        spread = self.G.spread_parameters()
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
            param.grad = average(torch.zeros_like(param) if grad is None else grad, self.world)
        self.opt_g.step()

    def _set_lr(self) -> None:
        """The epoch's learning rate: constant, or with lr_decay linear from lr down to lr / epochs in the
        last epoch. Set from the epoch alone, so a resumed run follows the same schedule."""
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

    def _read(self, values: torch.Tensor, when: str) -> list[float]:
        """values read back to the host; a non-finite one stops the run (the last epoch's state is kept)."""
        read = values.tolist()
        if not all(np.isfinite(read)):
            found = ", ".join(f"{k}={v}" for k, v in zip(STEP_VALUES, read))
            raise T2VError(
                f"non-finite loss {when} epoch {self.epoch + 1} step {self.steps} ({found}): stopped; the "
                "last good checkpoint is kept. Try a lower train.lr"
            )
        return read

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
    and write the generator. The run's history is built beside live_dir (see partial_history) and replaces it
    together with the generator when the run ends well, so a failed run leaves both as they were. Returns
    the run's summary: dvclive's metrics.json (its last step and epoch values) and the run's facts (steps,
    clips/s, device, parameter counts: dvclive's params.yaml, which dvc.yaml declares as params)."""
    # One trainer at a time on a state: a second would interleave its history with this one's.
    with state.locked(state_path) if rank_and_world()[0] == 0 else nullcontext():
        trainer = Trainer(cfg, data, vocab, device)
        resumed = state.resume(trainer, state_path)
        main = trainer.is_main  # the other ranks train in step and write nothing
        if main:
            if resumed:
                print(f"resuming from {state_path} at epoch {trainer.epoch}/{cfg.train.epochs}")
            history = partial_history(live_dir, resumed)
            live = open_live(history, (trainer.steps, trainer.epoch) if resumed else None)
            trainer.log = StepLog(live, trainer.clips)
            pairs = sample_pairs(cfg.data, data.prompts)
            monitor = Monitor(data, heldout_pairs(cfg.data), vocab, trainer.G.noise_size, cfg.seed, pairs)
        while trainer.epoch < cfg.train.epochs:
            start = time.perf_counter()
            means = trainer.run_epoch()
            trainer.seconds += time.perf_counter() - start
            if main:
                # The epoch's history first, then the state that claims it: a run stopped while dvclive
                # writes the epoch's image resumes before that epoch and writes the image again whole.
                scores = log_epoch(live, monitor, trainer.G, trainer.epoch)
                state.save(trainer, state_path)
                print(
                    f"epoch {trainer.epoch}/{cfg.train.epochs}: "
                    + " ".join(f"{k}={v:.3f}" for k, v in {**means, **scores}.items()),
                    flush=True,
                )
        if not main:
            return {}
        sampler = trainer.G_ema if trainer.G_ema is not None else trainer.G
        timing = {
            "wall_time_s": round(trainer.seconds, 2),
            "clips_per_s": round(trainer.clips / max(trainer.seconds, 1e-9), 2),
        }
        facts = {
            **timing,
            "steps": trainer.steps,
            "clips": trainer.clips,
            "epochs": trainer.epoch,
            "device": str(device),
            "world_size": trainer.world,
            "arch": cfg.model.arch,
            "n_params": trainer.n_params(),
        }
        live.log_params(facts)  # dvclive's params.yaml beside its metrics: facts of the run, not metrics
        live.end()
        with output_set() as out:
            torch_io.save(
                checkpoint.generator_payload(sampler, cfg.model, vocab, trainer.frames, trainer.size),
                model_path,
                into=out,
            )
            out.adopt(live_dir, history)
        print(
            f"trained {cfg.model.arch} for {trainer.epoch} epochs ({trainer.steps} steps) on {device} in "
            f"{trainer.seconds:.0f}s at {timing['clips_per_s']:.0f} clips/s -> {model_path}"
        )
        return {**live.summary, **facts}
