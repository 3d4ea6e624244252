"""Stage render-report: reports/index.html, one self-contained page, and the README's preview GIF."""

import json
import shutil
import tempfile
from pathlib import Path

from t2v.atomic import write_text
from t2v.dataset import load_heldout
from t2v.report import render_report
from t2v.stage import run_stage


def main(cfg, args) -> str:
    videos = json.loads(Path(args.index).read_text())
    with tempfile.TemporaryDirectory() as tmp:
        page = render_report(cfg, json.loads(Path(args.metrics).read_text()),
                             json.loads(Path(args.train_metrics).read_text()), Path(args.log), Path(args.videos),
                             videos, load_heldout(args.heldout), Path(tmp), args.metrics)
    write_text(args.out, page)
    preview = Path(args.videos) / videos[0]["gif"]
    tmp_preview = Path(args.preview).with_suffix(".tmp.gif")
    shutil.copyfile(preview, tmp_preview)
    tmp_preview.replace(args.preview)
    return f"{len(videos)} prompts -> {args.out}"


if __name__ == "__main__":
    run_stage("render-report", main, metrics="reports/metrics.json", train_metrics="reports/train_metrics.json",
              log="reports/train/steps.csv", videos="reports/videos", index="reports/videos.json",
              heldout="data/heldout.json", out="reports/index.html", preview="reports/preview.gif")
