"""Write clips as GIF, MP4 (H.264 where OpenCV has it, else mp4v) or .npy, atomically; tile clips in a
grid."""

from __future__ import annotations

import contextlib
import io
import math
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

# FFmpeg's own probing chatter (e.g. v4l2 encoders) is noise
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from t2v.atomic import atomic_path  # noqa: E402
from t2v.errors import T2VError  # noqa: E402

FORMATS = (".gif", ".mp4", ".npy")


def to_uint8(video: torch.Tensor) -> np.ndarray:
    """(B, 3, T, H, W) in [-1, 1] -> uint8 (B, T, H, W, 3) RGB."""
    return (
        ((video.detach().float().clamp(-1, 1) + 1) * 127.5)
        .round()
        .to(torch.uint8)
        .permute(0, 2, 3, 4, 1)
        .cpu()
        .numpy()
    )


MAX_GRID_WIDTH = 2048  # pixels: a wider grid is shown at a smaller scale (and would not fit in memory)


def grid(clips: np.ndarray, scale: int = 4, pad: int = 2) -> np.ndarray:
    """uint8 (N, T, H, W, 3) -> (T, H', W', 3): clips tiled near-square, upscaled (less where the grid would
    pass MAX_GRID_WIDTH), on a grey frame. Each clip is upscaled into its cell, so memory stays the grid's."""
    n, t, h, w, _ = clips.shape
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    scale = max(1, min(scale, MAX_GRID_WIDTH // (cols * w)))
    hh, ww = h * scale, w * scale
    out = np.full((t, rows * (hh + pad) + pad, cols * (ww + pad) + pad, 3), 160, dtype=np.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        top, left = pad + r * (hh + pad), pad + c * (ww + pad)
        out[:, top : top + hh, left : left + ww] = clips[i].repeat(scale, axis=1).repeat(scale, axis=2)
    return out


GIF_COLOURS = 32  # flat sprites on white need few; a shared, undithered palette halves a 64 px GIF's bytes
PALETTE_ROWS = 4096


def _write_gif(frames: np.ndarray, path: Path | io.BytesIO, fps: int) -> None:
    """One palette for every frame (a colour cannot flicker between frames) and no dithering (a flat fill
    stays flat). Clips with at most GIF_COLOURS colours keep them exactly where the palette sees every row
    (up to PALETTE_ROWS rows of frames: a grid of 4 clips at the default size has 5,220)."""
    # The palette is fitted to at most PALETTE_ROWS rows of the frames, evenly spread: a large grid's colours
    # are its clips' few flat fills, and fitting every pixel would copy the whole video once more.
    rows = frames.reshape(-1, *frames.shape[2:])
    rows = rows[:: max(1, len(rows) // PALETTE_ROWS)]
    palette = Image.fromarray(np.ascontiguousarray(rows)).quantize(
        GIF_COLOURS, method=Image.Quantize.MEDIANCUT
    )
    images = [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    images[0].save(
        path, format="GIF", save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0
    )


def gif_bytes(clip: np.ndarray, fps: int = 8, scale: int = 3) -> bytes:
    """One uint8 clip (T, H, W, 3) as an animated GIF, upscaled, in memory (t2v serve)."""
    buffer = io.BytesIO()
    _write_gif(clip.repeat(scale, axis=1).repeat(scale, axis=2), buffer, fps)
    return buffer.getvalue()


@contextlib.contextmanager
def _quiet_opencv() -> Iterator[None]:
    """OpenCV's own log lines off: a missing H.264 encoder is expected, and a failed write is reported by t2v
    in one line."""
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(level)


def _open_writer(path: Path, fps: int, width: int, height: int) -> cv2.VideoWriter:
    path.touch()  # a place that cannot be written fails here, with the OS's reason, not OpenCV's silence
    for codec in ("avc1", "mp4v"):  # H.264 when this OpenCV build has an encoder for it
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), float(fps), (width, height))
        if writer.isOpened():
            return writer
    raise T2VError("OpenCV can write neither H.264 nor mp4v here")


def _write_mp4(frames: np.ndarray, path: Path, fps: int) -> None:
    with _quiet_opencv():
        writer = _open_writer(path, fps, frames.shape[2], frames.shape[1])
        for frame in frames:
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))  # OpenCV expects BGR
        writer.release()
        # VideoWriter never reports a failed write (a full disk, say): read the file back before it replaces
        # anything.
        reader = cv2.VideoCapture(str(path))
        count, ok = 0, reader.isOpened()
        while ok:
            ok, frame = reader.read()
            if ok:
                count += 1
                ok = frame.shape[:2] == frames.shape[1:3]
        reader.release()
    if count != len(frames):
        raise T2VError(f"{count} of {len(frames)} frames read back (is the disk full?)")


def check_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise T2VError(
            f"output {str(path)!r} has an unsupported format {suffix or '(none)'!r}: use {', '.join(FORMATS)}"
        )
    return suffix


MAX_GRID_CLIPS = 256  # a GIF or MP4 grid of more clips is too large to watch (and to hold in memory)


def check_output(path: str | Path, n: int) -> str:
    """The output's format, refusing before any work what cannot be written: a directory, too many clips for a
    grid. Returns the lower-case suffix."""
    suffix = check_format(path)
    if Path(path).is_dir():
        raise T2VError(
            f"output {str(path)!r} is a directory: name a file such as {Path(path) / ('clips' + suffix)}"
        )
    if suffix != ".npy" and n > MAX_GRID_CLIPS:
        raise T2VError(
            f"{n} clips are too many for one {suffix} grid (at most {MAX_GRID_CLIPS}): "
            f"use --n {MAX_GRID_CLIPS} or less, or write .npy"
        )
    return suffix


def write_npy_stream(path: str | Path, shape: tuple[int, ...], blocks: Iterable[np.ndarray]) -> None:
    """Write uint8 blocks (n_i, T, H, W, 3) as one .npy of `shape`, a block at a time: memory stays one
    block."""
    with atomic_path(path) as tmp, open(tmp, "wb") as file:
        np.lib.format.write_array_header_1_0(file, {"descr": "|u1", "fortran_order": False, "shape": shape})
        for block in blocks:
            file.write(np.ascontiguousarray(block, dtype=np.uint8).data)


def write_clips(clips: np.ndarray, path: str | Path, fps: int = 8, scale: int = 4) -> None:
    """uint8 clips (N, T, H, W, 3): .npy keeps them as they are; .gif and .mp4 show them as a grid."""
    suffix = check_output(path, len(clips))
    with atomic_path(path) as tmp:
        if suffix == ".npy":
            with open(tmp, "wb") as file:  # given a name, np.save would add ".npy" to one that ends ".NPY"
                np.save(file, clips)
        elif suffix == ".gif":
            _write_gif(grid(clips, scale), tmp, fps)
        else:
            try:
                _write_mp4(grid(clips, scale), tmp, fps)
            except T2VError as err:
                raise T2VError(
                    f"writing {str(path)!r} failed: {err}; any earlier file there is untouched"
                ) from None
