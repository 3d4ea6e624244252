import cv2
import numpy as np
import pytest
from PIL import Image

from t2v.errors import T2VError
from t2v.video_io import grid, write_clips


def _clips():
    clips = np.full((2, 5, 16, 16, 3), 255, np.uint8)
    for t in range(5):
        clips[:, t, 4:12, 2 + t : 10 + t] = (220, 40, 40)  # a red square moving right
    return clips


def test_npy_keeps_clips_exactly(tmp_path):
    write_clips(_clips(), tmp_path / "c.npy")
    assert (np.load(tmp_path / "c.npy") == _clips()).all()


def test_gif_and_mp4_hold_every_frame_in_rgb(tmp_path):
    write_clips(_clips(), tmp_path / "c.gif", fps=5)
    gif = Image.open(tmp_path / "c.gif")
    assert gif.n_frames == 5
    frame = np.array(gif.convert("RGB"))
    assert tuple(frame[frame.shape[0] // 2, 4 * 7]) == (220, 40, 40)
    write_clips(_clips(), tmp_path / "c.mp4", fps=5)
    cap = cv2.VideoCapture(str(tmp_path / "c.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 5
    ok, bgr = cap.read()
    b, g, r = bgr[bgr.shape[0] // 2, 4 * 7].astype(int)
    assert ok and r > 180 and b < 90, "red must come out red (no RGB/BGR swap)"


def test_grid_tiles_clips():
    tiled = grid(np.zeros((5, 3, 8, 8, 3), np.uint8), scale=2, pad=1)
    assert tiled.shape == (3, 2 * 17 + 1, 3 * 17 + 1, 3)


def test_unknown_format_is_refused_and_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    with pytest.raises(T2VError, match="unsupported format '.avi'"):
        write_clips(_clips(), tmp_path / "c.avi")
    target = tmp_path / "c.npy"
    target.write_bytes(b"previous good output")
    monkeypatch.setattr(np, "save", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        write_clips(_clips(), target)
    assert target.read_bytes() == b"previous good output"
    assert [p.name for p in tmp_path.iterdir()] == ["c.npy"], "no temporary file left behind"
