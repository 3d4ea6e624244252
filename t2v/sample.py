"""Generate clips from a trained generator, write a video per prompt, and score every seen and held-out prompt."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from tqdm import tqdm

from t2v.config import DataConfig
from t2v.dataset import render_scenes
from t2v.metrics import diversity, judge, score, score_diversity
from t2v.prompts import Scene, parse_prompt
from t2v.scenes import eval_scenes
from t2v.tracks import measure
from t2v.video_io import to_uint8, write_clips
from t2v.vocab import encode

TUTORIAL_HELDOUT_PROMPT = "circle moving up-right"
VARIETY_CLIPS = 16  # clips per prompt in the report's variety strip
REAL_DRAWS = 3  # draws of k real clips averaged for the diversity reference: one draw of 20 is too noisy


GENERATE_BATCH = 64  # clips per forward pass: memory stays flat whatever n is (a 64 px batch is 31 MB of floats)


@torch.no_grad()
def generate_blocks(generator: torch.nn.Module, vocab: list[str], prompt: str, n: int, seed: int,
                    device: torch.device | str = "cpu") -> Iterator[np.ndarray]:
    """n clips for one prompt, GENERATE_BATCH at a time, as uint8 blocks (b, T, H, W, 3); the same n and seed
    give the same clips."""
    parse_prompt(prompt)
    rng = torch.Generator().manual_seed(seed)
    generator = generator.to(device)
    for start in range(0, n, GENERATE_BATCH):
        b = min(GENERATE_BATCH, n - start)
        noise = torch.randn(b, generator.noise_size, generator=rng).to(device)
        yield to_uint8(generator(encode([prompt] * b, vocab).to(device), noise))


def generate(generator: torch.nn.Module, vocab: list[str], prompt: str, n: int, seed: int,
             device: torch.device | str = "cpu") -> np.ndarray:
    """n clips for one prompt as uint8 (n, T, H, W, 3); the same n and seed give the same clips."""
    return np.concatenate(list(generate_blocks(generator, vocab, prompt, n, seed, device)))


def slug(prompt: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", prompt.lower()).strip("-")


def write_videos(generator: torch.nn.Module, vocab: list[str], prompts: list[str], n: int, seed: int, fps: int,
                 out_dir: Path, device: torch.device, variety: tuple[str, ...] = ()) -> list[dict]:
    """An MP4 and a GIF of n clips per prompt, and a GIF of VARIETY_CLIPS clips per `variety` prompt (rows
    with "variety": true), for the report to show beside as many real clips."""
    rows = []
    for prompt in tqdm(prompts, desc="videos", unit="prompt", leave=False):
        clips = generate(generator, vocab, prompt, n, seed, device)
        for suffix in (".mp4", ".gif"):
            write_clips(clips, out_dir / f"{slug(prompt)}{suffix}", fps=fps)
        rows.append({"prompt": prompt, "gif": f"{slug(prompt)}.gif", "mp4": f"{slug(prompt)}.mp4"})
    for prompt in variety:
        name = f"variety-{slug(prompt)}.gif"
        write_clips(generate(generator, vocab, prompt, VARIETY_CLIPS, seed, device), out_dir / name, fps=fps)
        rows.append({"prompt": prompt, "gif": name, "variety": True, "clips": VARIETY_CLIPS})
    return rows


def evaluate(generator: torch.nn.Module, vocab: list[str], held: set[tuple[str, str]], k: int, seed: int,
             device: torch.device, data: DataConfig) -> dict:
    """Score k clips of every seen and held-out prompt; the report keeps overall, per split/motion/shape/prompt,
    and each prompt's diversity against k real clips of it (drawn from `data`, rendered, measured)."""
    results, spreads = [], []
    truth_rng = np.random.default_rng(seed)
    for i, (scene, split) in enumerate(tqdm(eval_scenes(held), desc="metrics", unit="prompt", leave=False)):
        clips = generate(generator, vocab, scene.prompt(), k, seed + 1 + i, device)
        tracks = [measure(clip) for clip in clips]
        verdicts = [judge(clip, scene, track) for clip, track in zip(clips, tracks)]
        results += [(scene, split, verdict) for verdict in verdicts]
        truth = [[measure(c) for c in render_scenes([scene] * k, data, truth_rng).clips] for _ in range(REAL_DRAWS)]
        spreads.append((scene, split, diversity(tracks, [v.motion and v.temporal for v in verdicts], truth)))
    report = score(results)
    report["diversity"] = score_diversity(spreads)
    report["tutorial_heldout"] = {"prompt": TUTORIAL_HELDOUT_PROMPT,
                                  **report["per_prompt"][Scene("circle", "moving up-right").prompt()]}
    return report
