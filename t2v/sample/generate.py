"""Generate clips from a trained generator and write a video per prompt."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from t2v.data.vocab import encode
from t2v.errors import T2VError
from t2v.prompts import CONJUNCTION, parse_scenes, show
from t2v.video_io import to_uint8, write_clips

VARIETY_CLIPS = 16  # clips per prompt in the report's variety strip


# Clips per forward pass: memory stays flat whatever n is (a 64 px batch is 31 MB of floats).
GENERATE_BATCH = 64


@torch.no_grad()
def generate_blocks(
    generator: torch.nn.Module,
    vocab: list[str],
    prompt: str,
    n: int,
    seed: int,
    device: torch.device | str = "cpu",
) -> Iterator[np.ndarray]:
    """n clips for one prompt, GENERATE_BATCH at a time, as uint8 blocks (b, T, H, W, 3); the same n and seed
    give the same clips."""
    if len(parse_scenes(prompt)) > 1 and CONJUNCTION not in vocab:
        raise T2VError(
            f"prompt {show(prompt)} names two objects, and this model was trained on one-object prompts only "
            "(data.pair_share 0)"
        )
    rng = torch.Generator().manual_seed(seed)
    generator = generator.to(device)
    for start in range(0, n, GENERATE_BATCH):
        b = min(GENERATE_BATCH, n - start)
        noise = torch.randn(b, generator.noise_size, generator=rng)
        yield to_uint8(generator.from_host(encode([prompt] * b, vocab), noise))


def generate(
    generator: torch.nn.Module,
    vocab: list[str],
    prompt: str,
    n: int,
    seed: int,
    device: torch.device | str = "cpu",
) -> np.ndarray:
    """n clips for one prompt as uint8 (n, T, H, W, 3); the same n and seed give the same clips."""
    return np.concatenate(list(generate_blocks(generator, vocab, prompt, n, seed, device)))


def slug(prompt: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", prompt.lower()).strip("-")


def write_videos(
    generator: torch.nn.Module,
    vocab: list[str],
    prompts: list[str],
    n: int,
    seed: int,
    fps: int,
    out_dir: Path,
    device: torch.device,
    variety: tuple[str, ...] = (),
) -> list[dict]:
    """An MP4 and a GIF of n clips per prompt (rows of two-object prompts with "pair": true), and a GIF of
    VARIETY_CLIPS clips per `variety` prompt (rows with "variety": true), for the report to show beside as
    many real clips."""
    rows = []
    for prompt in tqdm(prompts, desc="videos", unit="prompt", leave=False):
        clips = generate(generator, vocab, prompt, n, seed, device)
        write_clips(clips, out_dir / f"{slug(prompt)}.mp4", fps=fps)
        write_clips(clips, out_dir / f"{slug(prompt)}.gif", fps=fps, scale=1)  # the report scales it up
        row = {"prompt": prompt, "gif": f"{slug(prompt)}.gif", "mp4": f"{slug(prompt)}.mp4"}
        rows.append({**row, "pair": True} if len(parse_scenes(prompt)) > 1 else row)
    for prompt in variety:
        name = f"variety-{slug(prompt)}.gif"
        write_clips(
            generate(generator, vocab, prompt, VARIETY_CLIPS, seed, device), out_dir / name, fps=fps, scale=1
        )
        rows.append({"prompt": prompt, "gif": name, "variety": True, "clips": VARIETY_CLIPS})
    return rows
