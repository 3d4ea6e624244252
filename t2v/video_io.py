"""Write clips as GIF, MP4 (H.264 where OpenCV has it, else mp4v) or .npy, atomically; tile clips in a grid."""

from __future__ import annotations

import math
import os
from pathlib import Path

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # FFmpeg's own probing chatter (e.g. v4l2 encoders) is noise
import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from t2v.atomic import atomic_path  # noqa: E402
from t2v.errors import T2VError  # noqa: E402

FORMATS = (".gif", ".mp4", ".npy")


def to_uint8(video: torch.Tensor) -> np.ndarray:
    """(B, 3, T, H, W) in [-1, 1] -> uint8 (B, T, H, W, 3) RGB."""
    return ((video.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 4, 1).cpu().numpy()


def grid(clips: np.ndarray, scale: int = 4, pad: int = 2) -> np.ndarray:
    """uint8 (N, T, H, W, 3) -> (T, H', W', 3): clips tiled near-square, upscaled, on a grey frame."""
    n, t, h, w, _ = clips.shape
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    big = clips.repeat(scale, axis=2).repeat(scale, axis=3)
    hh, ww = h * scale, w * scale
    out = np.full((t, rows * (hh + pad) + pad, cols * (ww + pad) + pad, 3), 160, dtype=np.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        out[:, pad + r * (hh + pad) : pad + r * (hh + pad) + hh, pad + c * (ww + pad) : pad + c * (ww + pad) + ww] = big[i]
    return out


def _write_gif(frames: np.ndarray, path: Path, fps: int) -> None:
    images = [Image.fromarray(f) for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0)


def _open_writer(path: Path, fps: int, width: int, height: int) -> cv2.VideoWriter:
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # a missing H.264 encoder is expected
    try:
        for codec in ("avc1", "mp4v"):  # H.264 when this OpenCV build has an encoder for it
            writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), float(fps), (width, height))
            if writer.isOpened():
                return writer
    finally:
        cv2.utils.logging.setLogLevel(level)
    raise T2VError(f"OpenCV can write neither H.264 nor mp4v here, so {path.name} cannot be written")


def _write_mp4(frames: np.ndarray, path: Path, fps: int) -> None:
    writer = _open_writer(path, fps, frames.shape[2], frames.shape[1])
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))  # OpenCV expects BGR
    writer.release()


def check_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise T2VError(f"output {str(path)!r} has an unsupported format {suffix or '(none)'!r}: use {', '.join(FORMATS)}")
    return suffix


def write_clips(clips: np.ndarray, path: str | Path, fps: int = 8, scale: int = 4) -> None:
    """uint8 clips (N, T, H, W, 3): .npy keeps them as they are; .gif and .mp4 show them as a grid."""
    suffix = check_format(path)
    with atomic_path(path) as tmp:
        if suffix == ".npy":
            np.save(tmp, clips)
        elif suffix == ".gif":
            _write_gif(grid(clips, scale), tmp, fps)
        else:
            _write_mp4(grid(clips, scale), tmp, fps)
