"""Stage render-report: reports/index.html, one self-contained page, and the README's preview GIF."""

import json
import tempfile
from pathlib import Path

from t2v.atomic import output_set
from t2v.config import read_params
from t2v.data.dataset import load_heldout
from t2v.report.compare import moves, run_context
from t2v.report.page import render_report, target_checks, training_summary
from t2v.report.summary import summary_markdown
from t2v.stage import run_stage


def main(cfg, args) -> str:
    videos = json.loads(Path(args.index).read_text())
    live = Path(args.live)
    metrics, scores, train = (
        json.loads(Path(args.metrics).read_text()),
        json.loads(Path(args.scores).read_text()),
        training_summary(live),
    )
    run = run_context(cfg.report.baseline, args.model)
    found = moves(scores, run.baseline.scores) if run.baseline else []
    checks = target_checks(metrics, scores, train, run.baseline)
    with tempfile.TemporaryDirectory() as tmp:
        page = render_report(
            cfg=cfg,
            params=read_params(Path(args.params)),
            metrics=metrics,
            scores=scores,
            train=train,
            live_dir=live,
            confusion=json.loads(Path(args.confusion).read_text()),
            videos_dir=Path(args.videos),
            videos=videos,
            heldout_pairs=load_heldout(args.heldout),
            tmp_dir=Path(tmp),
            run=run,
            checks=checks,
            found=found,
        )
    summary = summary_markdown(run, checks, found, [row for row in videos if row.get("failure")])
    preview = (Path(args.videos) / videos[0]["gif"]).read_bytes()
    with output_set() as out:
        out.text(args.page, page)
        out.text(args.summary, summary)
        out.file(args.preview).write_bytes(preview)
    return f"{len(videos)} videos -> {args.page} ({len(page) / 1e6:.2f} MB)"


if __name__ == "__main__":
    run_stage(
        "render-report",
        main,
        metrics="reports/metrics.json",
        scores="reports/scores.json",
        confusion="reports/confusion.json",
        live="reports/train",
        videos="reports/videos",
        index="reports/videos.json",
        heldout="data/heldout.json",
        model="models/generator.pt",
        page="reports/index.html",
        preview="reports/preview.gif",
        summary="reports/summary.md",
    )
