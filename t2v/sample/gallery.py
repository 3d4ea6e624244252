"""The failure gallery: for the prompts that score worst on motion, shape and diversity, a clip as the metrics
saw it, frames left to right with the tracked path drawn over them."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

from t2v.judge.metrics import judge
from t2v.judge.tracks import Track, measure
from t2v.prompts import parse_prompt
from t2v.sample.generate import generate, slug

WORST = 3  # prompts shown per criterion
SCALE = 3  # pixels per clip pixel: the path is drawn at this resolution
CRITERIA = {"motion": "motion_acc", "shape": "shape_acc", "diversity": None}


def worst_prompts(scores: dict) -> list[tuple[str, str, float]]:
    """(criterion, prompt, score): the WORST lowest-scoring prompts for each criterion."""
    picked = []
    for criterion, key in CRITERIA.items():
        values = (
            scores["diversity"]["per_prompt"]
            if key is None
            else {p: v[key] for p, v in scores["per_prompt"].items()}
        )
        picked += [
            (criterion, p, v) for p, v in sorted(values.items(), key=lambda kv: (kv[1], kv[0]))[:WORST]
        ]
    return picked


def traced(clip: np.ndarray, track: Track) -> np.ndarray:
    """uint8 (T, H, W, 3) -> (H * SCALE, T * W * SCALE, 3): frames side by side, each with the whole tracked
    path (grey) and the frame's own centre (red ring)."""
    t, h, w, _ = clip.shape
    big = np.repeat(np.repeat(clip, SCALE, axis=1), SCALE, axis=2).copy()
    seen = np.flatnonzero(track.visible)
    points = ((track.centre[seen] + 0.5) * SCALE).round().astype(np.int32)
    for i in range(t):
        frame = np.ascontiguousarray(big[i])
        if len(points) > 1:
            cv2.polylines(frame, [points.reshape(-1, 1, 2)], False, (90, 90, 90), 1, cv2.LINE_AA)
        if track.visible[i]:
            centre = tuple(int(v) for v in ((track.centre[i] + 0.5) * SCALE).round())
            cv2.circle(frame, centre, 3, (230, 0, 0), 1, cv2.LINE_AA)
        big[i] = frame
    return big.transpose(1, 0, 2, 3).reshape(h * SCALE, t * w * SCALE, 3)


def write_gallery(
    generator: torch.nn.Module,
    vocab: list[str],
    scores: dict,
    n: int,
    seed: int,
    device: torch.device,
    out_dir: Path,
) -> list[dict]:
    """A PNG per worst prompt (a clip that fails its criterion when one does, else the first) and its rows."""
    rows = []
    for criterion, prompt, value in worst_prompts(scores):
        scene = parse_prompt(prompt)
        clips = generate(generator, vocab, prompt, n, seed, device)
        tracks = [measure(c) for c in clips]
        verdicts = [judge(c, scene, t) for c, t in zip(clips, tracks)]
        failing = [
            i for i, v in enumerate(verdicts) if not (v.motion if criterion != "shape" else v.shape_ok)
        ]
        pick = failing[0] if failing else 0
        name = f"failure-{criterion}-{slug(prompt)}.png"
        Image.fromarray(traced(clips[pick], tracks[pick])).save(out_dir / name)
        verdict = verdicts[pick]
        rows.append(
            {
                "prompt": prompt,
                "png": name,
                "failure": criterion,
                "score": value,
                "saw": f"motion {'ok' if verdict.motion else 'wrong'}, judged shape {verdict.shape}, "
                f"colour {verdict.colour}",
            }
        )
    return rows
