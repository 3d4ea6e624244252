"""Watching a run train: after each epoch, the generator's clips for a fixed set of prompts and fixed noise,
as one image (a row per prompt, frames as columns) and as quick scores (motion and diversity), logged with
dvclive beside the per-step losses."""

from __future__ import annotations

import shutil
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from dvclive import Live
from PIL import Image, ImageDraw
from torchvision.utils import make_grid

from t2v.config import DataConfig
from t2v.data.dataset import Dataset
from t2v.data.vocab import encode
from t2v.judge.metrics import REAL_DRAWS, diversity, judge_motion
from t2v.judge.tracks import measure
from t2v.model.base import Generator
from t2v.prompts import COLOURS, CONJUNCTION, MOTIONS, SHAPES, Scene, scenes_prompt
from t2v.video_io import to_uint8

CLIPS_PER_PROMPT = 4
FRAME_BORDER = 160  # grey: tells a white frame's edge from its neighbour's
SAMPLE_WIDTH = 600  # pixels of the per-epoch sample image, labels included
LABEL_WIDTH = 250
LINE_HEIGHT = 12  # pixels of a line of PIL's default font
SAMPLE_PAIRS = 4  # two-object prompts in it: held-out pairings first


def monitor_scenes(held: set[tuple[str, str]]) -> list[Scene]:
    """One prompt per motion, shapes in turn, a held-out pair wherever its motion has one: rows that show
    every motion, every shape and what the model never saw."""
    scenes = []
    for i, motion in enumerate(MOTIONS):
        unseen = [shape for shape in SHAPES if (shape, motion) in held]
        scenes.append(Scene(unseen[0] if unseen else SHAPES[i % len(SHAPES)], motion))
    return scenes


def sample_pairs(cfg: DataConfig, prompts: list[str]) -> list[str]:
    """SAMPLE_PAIRS two-object prompts: the held-out pairings of two motions (red and blue objects), then
    the first distinct two-object prompts of the training set."""
    shapes = list(SHAPES)
    held = [
        scenes_prompt(
            (Scene(shapes[i % len(shapes)], a, "red"), Scene(shapes[(i + 1) % len(shapes)], b, "blue"))
        )
        for i, (a, b) in enumerate(p for p in cfg.heldout_pairings if p[0] in MOTIONS and p[1] in MOTIONS)
    ]
    seen = list(dict.fromkeys(p for p in prompts if f" {CONJUNCTION} " in p))
    return (held + seen)[:SAMPLE_PAIRS]


def sample_prompts(scenes: list[Scene], pairs: list[str]) -> list[str]:
    """The per-epoch sample image's prompts: every motion once in the four colours in turn, then the
    two-object prompts."""
    colours = list(COLOURS)
    return [
        replace(scene, colour=colours[i % len(colours)]).prompt() for i, scene in enumerate(scenes)
    ] + pairs


def labelled_grid(clips: np.ndarray, labels: list[str]) -> np.ndarray:
    """uint8 clips (N, T, H, W, 3) -> one image at most SAMPLE_WIDTH wide: a row per clip, its prompt on the
    left, then evenly spaced frames, each in a grey border."""
    n, t, h, w, _ = clips.shape
    count = max(2, min(t, (SAMPLE_WIDTH - LABEL_WIDTH - 1) // (w + 1)))
    keep = np.linspace(0, t - 1, count).round().astype(int)
    frames = torch.from_numpy(clips[:, keep]).flatten(0, 1).permute(0, 3, 1, 2)
    grid = make_grid(frames, nrow=count, padding=1, pad_value=FRAME_BORDER).permute(1, 2, 0).numpy()
    canvas = Image.new("RGB", (LABEL_WIDTH + grid.shape[1], grid.shape[0]), "white")
    canvas.paste(Image.fromarray(grid), (LABEL_WIDTH, 0))
    draw = ImageDraw.Draw(canvas)
    for row, label in enumerate(labels):
        text = label.replace(" and ", " and\n") if h >= 2 * LINE_HEIGHT else label  # two objects, two lines
        draw.multiline_text((4, 3 + row * (h + 1)), text, fill=(0, 0, 0))
    return np.asarray(canvas)


class Monitor:
    """Fixed prompts and noise for a run: the quick scores' prompts (one per motion) with real paths of each
    motion from the training set for diversity, and the sample image's prompts (sample_prompts)."""

    def __init__(
        self,
        data: Dataset,
        held: set[tuple[str, str]],
        vocab: list[str],
        noise_size: int,
        seed: int,
        pairs: list[str] = (),
    ):
        self.scenes = monitor_scenes(held)
        prompts = [s.prompt() for s in self.scenes for _ in range(CLIPS_PER_PROMPT)]
        self.ids = encode(prompts, vocab)
        self.noise = torch.randn(len(prompts), noise_size, generator=torch.Generator().manual_seed(seed))
        self.labels = sample_prompts(self.scenes, list(pairs) if CONJUNCTION in vocab else [])
        self.sample_ids = encode(self.labels, vocab)
        self.sample_noise = torch.randn(
            len(self.labels), noise_size, generator=torch.Generator().manual_seed(seed + 1)
        )
        rng = np.random.default_rng(seed)
        # per scene: REAL_DRAWS lists of real tracks of its motion (any shape: the paths are alike)
        self.real = []
        for scene in self.scenes:
            rows = np.flatnonzero((data.motion == MOTIONS.index(scene.motion)) & (data.objects == 1))
            picks = rng.choice(
                rows, (REAL_DRAWS, CLIPS_PER_PROMPT), replace=len(rows) < REAL_DRAWS * CLIPS_PER_PROMPT
            )
            self.real.append([[measure(data.clips[i]) for i in draw] for draw in picks])

    @torch.no_grad()
    def observe(self, generator: Generator) -> tuple[np.ndarray, dict[str, float]]:
        """-> (the labelled sample image (labelled_grid), the quick scores)."""
        was_training = generator.training
        clips = to_uint8(generator.eval().from_host(self.ids, self.noise))
        samples = to_uint8(generator.from_host(self.sample_ids, self.sample_noise))
        generator.train(was_training)
        k = CLIPS_PER_PROMPT
        moved, varied = [], []
        for row, scene in enumerate(self.scenes):
            tracks = [measure(clip) for clip in clips[row * k : (row + 1) * k]]
            ok = [judge_motion(track, scene) for track in tracks]
            moved += ok
            varied.append(diversity(tracks, ok, self.real[row]))
        scores = {"motion": float(np.mean(moved)), "diversity": float(np.mean(varied))}
        return labelled_grid(samples, self.labels), scores


STEP_VALUES = ("loss_d", "loss_g", "d_real", "d_fake")  # what a training step returns
STEP_METRICS = (*STEP_VALUES, "clips_per_s")


class StepLog:
    """The per-step curves: a step's values and the clips/s since the last point, to dvclive's plots and its
    live summary (`dvc exp show` reads it during a run). The trainer adds a point every train.log_every
    steps."""

    def __init__(self, live: Live, clips: int):
        self.live = live
        self._tick, self._clips = time.perf_counter(), clips

    def record(self, step: int, values: list[float], clips: int) -> None:
        """values: the step's STEP_VALUES; clips: the real clips seen so far."""
        now = time.perf_counter()
        speed = (clips - self._clips) / max(now - self._tick, 1e-9)
        self.live.step = step
        for name, value in zip(STEP_METRICS, [*values, speed]):
            self.live.log_metric(f"train/{name}", round(value, 5))
        self.live.make_summary()
        self._tick, self._clips = now, clips


SAMPLES = "samples"  # per-epoch images: {plots}/images/samples/{epoch}.png, a step slider in DVC's views


def partial_history(live_dir: Path, resumed: bool) -> Path:
    """Where a run builds its dvclive history: a hidden folder beside live_dir that replaces it when the run
    ends well, so the history of the model in place survives a failed run. A fresh run starts it empty; a
    resumed one continues it, or, where the run it resumes had ended, a copy of live_dir."""
    history = live_dir.with_name(f".{live_dir.name}.partial")
    if not resumed:
        shutil.rmtree(history, ignore_errors=True)
    elif not history.exists() and live_dir.is_dir():
        shutil.copytree(live_dir, history)
    return history


def open_live(directory: Path, resume: tuple[int, int] | None) -> Live:
    """A dvclive run in directory. resume, (step, epoch) of the training state resumed, continues its history
    from there, dropping whatever an interrupted run logged after it, so the curves join without a fold.
    dvc.yaml, not dvclive, declares the metrics and plots."""
    live = Live(str(directory), resume=resume is not None, dvcyaml=False, save_dvc_exp=False)
    if resume is not None:
        step, epoch = resume
        for table in Path(live.plots_dir, "metrics").rglob("*.tsv"):
            lines = table.read_text().splitlines(keepends=True)
            kept = [lines[0]] + [line for line in lines[1:] if int(line.split("\t")[0]) <= step]
            table.write_text("".join(kept))
        for image in Path(live.plots_dir, "images", SAMPLES).glob("*.png"):
            if int(image.stem) > epoch:
                image.unlink()
        live.step = step
    return live


def log_epoch(
    live: Live,
    monitor: Monitor,
    generator: Generator,
    epoch: int,
) -> dict[str, float]:
    """Log an epoch's sample image and quick scores; returns the quick scores. The epoch's mean losses are
    not logged: the per-step curves hold them, and each metric logged is a column of `dvc exp show`."""
    image, scores = monitor.observe(generator)
    live.log_image(f"{SAMPLES}/{epoch}.png", image)
    for name, value in scores.items():
        live.log_metric(f"epoch/{name}", value)
    live.log_metric("epoch/epoch", epoch)
    live.make_summary()
    return scores
