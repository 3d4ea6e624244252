"""The learned judge's file: its weights, shape and test accuracy, plain tensors and containers that load
with torch.load(weights_only=True)."""

from __future__ import annotations

from pathlib import Path

from t2v.atomic import OutputSet
from t2v.classifier.network import VideoJudge
from t2v.errors import T2VError
from t2v.torch_io import load, save

FORMAT = "t2v-judge-1"
REBUILD = "run `dvc repro train-judge` (or `dvc pull`) first"


def save_judge(model: VideoJudge, report: dict, path: str | Path, into: OutputSet | None = None) -> None:
    payload = {
        "format": FORMAT,
        "config": model.config(),
        "report": report,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
    }
    save(payload, path, into)


def load_judge(path: str | Path, frames: int, size: int) -> VideoJudge:
    """The judge in eval mode; it must read clips of the given frames and size."""
    payload = load(path, "judge checkpoint", REBUILD)
    if payload.get("format") != FORMAT:
        raise T2VError(f"{str(path)!r} is not a t2v judge (format {payload.get('format')!r}): {REBUILD}")
    config = payload["config"]
    if (config.get("frames"), config.get("size")) != (frames, size):
        raise T2VError(
            f"judge {str(path)!r} reads {config.get('frames')} frames of {config.get('size')} px, these "
            f"clips have {frames} of {size}: {REBUILD}"
        )
    try:
        model = VideoJudge(**config)
        model.load_state_dict(payload["state_dict"])
    except (TypeError, RuntimeError) as err:
        raise T2VError(
            f"judge {str(path)!r} does not fit this version of t2v ({str(err)[:120]}): {REBUILD}"
        ) from None
    return model.eval()
