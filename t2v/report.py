"""The HTML report: one self-contained page (images embedded) with the run's params, metrics against the
previous committed run, training curves, and a generated clip beside a ground-truth clip for every prompt."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from t2v.config import Config  # noqa: E402
from t2v.dataset import render_scenes  # noqa: E402
from t2v.prompts import parse_prompt  # noqa: E402
from t2v.video_io import write_clips  # noqa: E402

METRIC_KEYS = ("motion_acc", "shape_acc", "colour_acc", "clean_shape_rate", "temporal_consistency")
PASS_BAR = 0.97  # a prompt passes when its clips reach the targets: motion and clean shape each at least this


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _gif_bytes(clips: np.ndarray, fps: int, tmp_dir: Path) -> bytes:
    path = tmp_dir / "clip.gif"
    write_clips(clips, path, fps=fps)
    return path.read_bytes()


def curves_png(log_csv: Path) -> bytes:
    with log_csv.open() as f:
        rows = list(csv.DictReader(f))
    step = [int(r["step"]) for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.2))
    for key in ("loss_d", "loss_g"):
        ax1.plot(step, [float(r[key]) for r in rows], label=key)
    for key in ("d_real", "d_fake"):
        ax2.plot(step, [float(r[key]) for r in rows], label=key)
    for ax, title in ((ax1, "losses"), (ax2, "discriminator scores")):
        ax.set_xlabel("step")
        ax.set_title(title)
        ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def git(*args: str) -> str | None:
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def previous_metrics(path: str, current: dict) -> tuple[str, dict] | None:
    """The newest committed version of the metrics file that differs from the current one."""
    for commit in (git("log", "--format=%h", "-n", "30", "--", path) or "").split():
        text = git("show", f"{commit}:{path}")
        if text:
            try:
                old = json.loads(text)
            except json.JSONDecodeError:
                continue
            if old != current:
                return commit, old
    return None


def _metric_rows(metrics: dict, previous: dict | None) -> list[tuple[str, list[str]]]:
    rows = []
    groups = [(f"split: {k}", v) for k, v in metrics["per_split"].items()]
    groups += [("overall", metrics["overall"])] + [(f"motion: {k}", v) for k, v in metrics["per_motion"].items()]
    for name, values in groups:
        kind, _, key = name.partition(": ")
        old = None
        if previous:
            old = previous.get("overall") if name == "overall" else previous.get(f"per_{kind}", {}).get(key)
        cells = []
        for metric in METRIC_KEYS:
            cell = f"{values[metric]:.3f}"
            if old and metric in old:
                cell += f" <small>({old[metric]:.3f}, {values[metric] - old[metric]:+.3f})</small>"
            cells.append(cell)
        spread = metrics.get("diversity", {})
        spread = spread.get("overall") if name == "overall" else spread.get(f"per_{kind}", {}).get(key)
        cells.append("n/a" if spread is None else f"{spread:.3f}")
        rows.append((name, cells))
    return rows


def render_report(cfg: Config, metrics: dict, train_metrics: dict, log_csv: Path, videos_dir: Path,
                  videos: list[dict], heldout_pairs: set[tuple[str, str]], tmp_dir: Path, metrics_path: str) -> str:
    commit = (git("rev-parse", "--short", "HEAD") or "unknown").strip()
    prev = previous_metrics(metrics_path, metrics)
    rng = np.random.default_rng(cfg.seed)
    per_prompt = metrics.get("per_prompt", {})
    rows_html, variety_html = [], []
    for row in videos:
        scene = parse_prompt(row["prompt"])
        if row.get("variety"):
            truth = render_scenes([scene] * row["clips"], cfg.data, rng).clips
            truth_uri = _data_uri(_gif_bytes(truth, cfg.sample.fps, tmp_dir), "image/gif")
            gen_uri = _data_uri((videos_dir / row["gif"]).read_bytes(), "image/gif")
            score = metrics.get("diversity", {}).get("per_prompt", {}).get(scene.prompt())
            variety_html.append(
                f"<tr><td>{html.escape(row['prompt'])}<br><small>diversity "
                f"{'n/a' if score is None else f'{score:.2f}'}</small></td><td><img alt='generated' src='{gen_uri}'></td>"
                f"<td><img alt='real' src='{truth_uri}'></td></tr>")
            continue
        truth = render_scenes([scene] * cfg.sample.grid, cfg.data, rng).clips
        truth_uri = _data_uri(_gif_bytes(truth, cfg.sample.fps, tmp_dir), "image/gif")
        gen_uri = _data_uri((videos_dir / row["gif"]).read_bytes(), "image/gif")
        judged = per_prompt.get(scene.prompt())
        verdict = (f"motion {judged['motion_acc']:.2f} · shape {judged['shape_acc']:.2f} · colour {judged['colour_acc']:.2f}"
                   if judged else "not scored")
        passed = judged and judged["motion_acc"] >= PASS_BAR and judged["clean_shape_rate"] >= PASS_BAR
        held = (scene.shape, scene.motion) in heldout_pairs
        rows_html.append(
            f"<tr class='{'pass' if passed else 'fail'}'><td>{html.escape(row['prompt'])}"
            f"{' <b class=held>held-out</b>' if held else ''}<br><small>{verdict}</small></td>"
            f"<td><img alt='generated' src='{gen_uri}'></td><td><img alt='ground truth' src='{truth_uri}'></td>"
            f"<td>{'pass' if passed else 'fail'}</td></tr>")
    metric_rows = "".join(
        f"<tr class='metric' data-group='{html.escape(name)}'><td>{html.escape(name)}</td>"
        + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
        for name, cells in _metric_rows(metrics, prev[1] if prev else None))
    curves = _data_uri(curves_png(log_csv), "image/png")
    key_params = {"model.arch": cfg.model.arch, "train.epochs": cfg.train.epochs, "train.batch_size": cfg.train.batch_size,
                  "train.lr": cfg.train.lr, "train.loss": cfg.train.loss, "data.n_clips": cfg.data.n_clips,
                  "data.size": cfg.data.size, "data.frames": cfg.data.frames, "seed": cfg.seed}
    params_html = " · ".join(f"{k}={html.escape(str(v))}" for k, v in key_params.items())
    compare = f"previous run: commit {prev[0]} (value, delta) in brackets" if prev else "no earlier committed run to compare"
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>t2v report {commit}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px}}
tr.fail td:last-child{{color:#b00}}tr.pass td:last-child{{color:#070}}.held{{color:#a60}}img{{image-rendering:pixelated}}</style>
</head><body><h1>t2v report</h1>
<p>commit <code>{commit}</code> · device {html.escape(str(train_metrics.get('device')))} · training {train_metrics.get('wall_time_s')} s
({train_metrics.get('clips_per_s')} clips/s, {train_metrics.get('steps')} steps)</p><p>{params_html}</p>
<h2>Metrics</h2><p>{compare}</p>
<table id="metrics"><tr><th>group</th>{''.join(f'<th>{k}</th>' for k in METRIC_KEYS)}<th>diversity</th></tr>{metric_rows}</table>
<h2>Training curves</h2><img alt="training curves" src="{curves}">
<h2>Prompts</h2><table id="prompts"><tr><th>prompt</th><th>generated</th><th>ground truth</th><th>verdict: pass when at least {PASS_BAR:.0%} of the clips pass motion and {PASS_BAR:.0%} clean shape</th></tr>
{''.join(rows_html)}</table>
<h2>Variety</h2><p>Many generated clips of one prompt beside as many real ones: a collapsed model shows the
same path over and over.</p>
<table id="variety"><tr><th>prompt</th><th>generated</th><th>real</th></tr>{''.join(variety_html)}</table>
</body></html>
"""
