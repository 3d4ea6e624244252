"""Training the learned judge on real clips of its own: every shape, motion and pairing (the GAN's held-out
ones included, as a judge must know them), fresh clips each epoch, then its accuracy per head on a test split
rendered from another random stream, which it never trained on."""

from __future__ import annotations

import dataclasses
import functools
import time

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from t2v.classifier.network import ABSENT, COLOUR_BITS, N_COLOURS, N_SHAPES, VideoJudge
from t2v.classifier.truth import Objects, objects_of_dataset
from t2v.config import DataConfig, JudgeConfig
from t2v.data.synthesize import BlockWriter, generate_dataset
from t2v.errors import T2VError
from t2v.forks import in_forks, shared_array

HEADS = ("objects", "shape", "colour", "motion")
TEST_STREAM = 10**6  # the test split's random stream, apart from every training epoch's
EVAL_BATCH = 250


def judge_data(data: DataConfig, judge: JudgeConfig, clips: int, wide: bool = False) -> DataConfig:
    """The data params of the judge's clips: the pipeline's rendering, with nothing held out; `wide`: sizes
    drawn from judge.shape_size instead of data.shape_size."""
    return dataclasses.replace(
        data,
        n_clips=clips,
        pair_share=judge.pair_share,
        heldout=[],
        heldout_pairings=[],
        shape_size=judge.shape_size if wide else data.shape_size,
    )


def render_split(
    data: DataConfig, judge: JudgeConfig, clips: int, stream: int, wide_share: float = 0.5
) -> tuple[np.ndarray, Objects]:
    """Real clips uint8 (N, T, H, W, 3) and their objects, from random stream `stream` of the judge's seed: a
    share `wide_share` in judge.shape_size's wider range of sizes, the rest in the data's. The two parts have
    random streams of their own, so each renders on a core of its own (in_forks), into one shared array: the
    same bytes as rendering them in turn, in about half the time."""
    wide = round(clips * wide_share)
    out = shared_array((clips, data.frames, data.size, data.size, 3))

    def render_part(part: tuple[bool, int, int]) -> Objects:
        is_wide, n, start = part
        seed = int(np.random.SeedSequence([judge.seed, stream, is_wide]).generate_state(1)[0])
        return objects_of_dataset(
            generate_dataset(
                judge_data(data, judge, n, is_wide),
                seed,
                sink=BlockWriter(out[start : start + n]),
                progress=False,  # under the judge's own bar; two halves' bars would share one line
            )
        )

    parts = [
        (is_wide, n, start)
        for is_wide, n, start in ((False, clips - wide, 0), (True, wide, clips - wide))
        if n
    ]
    return out, functools.reduce(Objects.concatenate, in_forks(render_part, parts))


def _queries(objects: Objects, rng: torch.Generator) -> tuple[torch.Tensor, ...]:
    """One named object per clip -> its shape (-1: named by colour alone, 30% of the time) and colour, and
    the answers: its motion and shape. It is one of the clip's objects or, a quarter of the time, a (shape,
    colour) the clip does not hold (motion ABSENT, shape -1: no answer)."""
    n = len(objects)
    shape, colour, motion = (torch.from_numpy(getattr(objects, k)) for k in ("shape", "colour", "motion"))
    second = torch.from_numpy(objects.two) & (torch.rand(n, generator=rng) < 0.5)
    pick = second.long()[:, None]
    q_shape, q_colour, answer = (x.gather(1, pick)[:, 0] for x in (shape, colour, motion))
    other_shape = torch.randint(0, N_SHAPES, (n,), generator=rng)
    other_colour = torch.randint(0, N_COLOURS, (n,), generator=rng)
    held = ((other_shape[:, None] == shape) & (other_colour[:, None] == colour)).any(1)
    absent = (torch.rand(n, generator=rng) < 0.25) & ~held
    by_colour = ~absent & (torch.rand(n, generator=rng) < 0.3)
    return (
        torch.where(absent, other_shape, torch.where(by_colour, -1, q_shape)),
        torch.where(absent, other_colour, q_colour),
        torch.where(absent, ABSENT, answer),
        torch.where(absent, -1, q_shape),
    )


def loss_of(model: VideoJudge, clips: torch.Tensor, objects: Objects, rng: torch.Generator) -> torch.Tensor:
    shape, colour, motion, shape_answer = _queries(objects, rng)
    said = model(clips, shape, colour)
    bits = objects.bits()
    return (
        F.cross_entropy(said.clip[:, :2], torch.from_numpy(objects.two).long())
        + F.binary_cross_entropy_with_logits(said.clip[:, 2:], bits, reduction="sum") / len(bits)
        + F.cross_entropy(said.motion, motion)
        + F.cross_entropy(said.shape, shape_answer, ignore_index=-1)
    )


def train_judge(data: DataConfig, judge: JudgeConfig) -> tuple[VideoJudge, dict]:
    """Train the judge (judge.epochs of judge.clips fresh clips) and test it -> (the judge in eval mode, its
    accuracy per head on the test split, and the training time)."""
    torch.manual_seed(judge.seed)
    rng = torch.Generator().manual_seed(judge.seed)
    model = VideoJudge(data.size, data.frames, judge.width)
    optimiser = torch.optim.Adam(model.parameters(), judge.lr)
    steps = judge.epochs * (judge.clips // judge.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, judge.lr, total_steps=steps)
    start = time.perf_counter()
    with tqdm(total=steps, desc="train judge", unit="step", leave=False) as bar:
        for epoch in range(judge.epochs):
            clips, objects = render_split(data, judge, judge.clips, epoch)
            order = torch.randperm(len(clips), generator=rng).numpy()
            for lo in range(0, len(order) - judge.batch_size + 1, judge.batch_size):
                rows = np.sort(order[lo : lo + judge.batch_size])
                loss = loss_of(model, torch.from_numpy(clips[rows]), objects[rows], rng)
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                schedule.step()
                bar.update()
                bar.set_postfix(epoch=epoch + 1, loss=f"{loss.item():.3f}", refresh=False)
    train_time = time.perf_counter() - start
    model.eval()
    # Trained on half its clips in a wider range of sizes, so that it reads the words of a shape drawn smaller
    # or larger than the data's (fvd, not judge_acc, counts the size); tested on the data's sizes alone.
    clips, objects = render_split(data, judge, judge.test_clips, TEST_STREAM, wide_share=0.0)
    got = answers(model, clips, objects)
    report = {
        "accuracy": {head: round(float(got[head].mean()), 4) for head in HEADS},
        "ground_truth": ground_truth_controls(model, clips, objects, got),
        "test_clips": len(clips),
        "train_time_s": round(train_time, 1),
    }
    return model, report


@torch.no_grad()
def answers(model: VideoJudge, clips: np.ndarray, objects: Objects) -> dict[str, np.ndarray]:
    """Per clip, whether each head agrees with `objects` (bool (N,) each): the number of objects; the set of
    colours; for every named object, its shape (named by its colour alone) and its motion (named by colour
    and shape). Also the clip features (N, FEATURES) and the motion head's probabilities for the first named
    object (N, motions + 1)."""
    out: dict[str, list] = {k: [] for k in (*HEADS, "features", "motion_probs")}
    for lo in range(0, len(clips), EVAL_BATCH):
        part, batch = objects[lo : lo + EVAL_BATCH], torch.from_numpy(clips[lo : lo + EVAL_BATCH])
        encoded = model.encode(batch)
        said = model.answer(encoded)
        colours = part.bits()[:, COLOUR_BITS.start - 2 : COLOUR_BITS.stop - 2] > 0.5
        out["objects"].append(said.clip[:, :2].argmax(1).numpy() == part.two)
        out["colour"].append((said.clip[:, COLOUR_BITS] > 0).eq(colours).all(1).numpy())
        out["features"].append(said.features.numpy())
        shape_right, motion_right = (np.ones(len(part), dtype=bool) for _ in range(2))
        for k in (0, 1):
            named = part.shape[:, k] >= 0
            if not named.any():
                continue
            shape, colour, motion = (
                torch.from_numpy(getattr(part, a)[:, k]) for a in ("shape", "colour", "motion")
            )
            colour = colour.clamp(min=0)
            by_colour = model.follow(encoded, torch.full_like(shape, -1), colour)[1].argmax(1)
            shape_right &= ~named | (by_colour == shape).numpy()
            followed = model.follow(encoded, shape.clamp(min=0), colour)[0]
            motion_right &= ~named | (followed.argmax(1) == motion).numpy()
            if k == 0:
                out["motion_probs"].append(followed.softmax(1).numpy())
        out["shape"].append(shape_right)
        out["motion"].append(motion_right)
    return {k: np.concatenate(v) for k, v in out.items()}


def check_fit(accuracy: dict[str, float], bar: float) -> None:
    """Fail where any head's test accuracy is below the bar (judge.min_accuracy): such a judge would blame
    the generator for its own mistakes."""
    weak = {h: a for h, a in accuracy.items() if a < bar}
    if weak:
        raise T2VError(
            "the learned judge is not fit to judge: test accuracy "
            + ", ".join(f"{h} {a:.4f}" for h, a in weak.items())
            + f" < judge.min_accuracy {bar} (raise judge.epochs or judge.clips)"
        )


def ground_truth_controls(
    model: VideoJudge, clips: np.ndarray, objects: Objects, got: dict[str, np.ndarray]
) -> dict[str, float]:
    """judge_acc on real clips (every head right: the ceiling a generator can reach), given their answers
    `got`, and on the same two-object clips with their motions swapped in the prompt (should be near 0: the
    judge reads which object does what)."""
    swap = objects.two & (objects.motion[:, 0] != objects.motion[:, 1])
    swapped = answers(model, clips[swap], objects[swap].swapped())
    return {
        "judge_acc": round(float(all_right(got).mean()), 4),
        "swapped": round(float(all_right(swapped).mean()), 4),
    }


def all_right(got: dict[str, np.ndarray]) -> np.ndarray:
    """(N,) bool: every head agrees with the prompt (judge_acc per clip)."""
    return np.logical_and.reduce([got[head] for head in HEADS])
