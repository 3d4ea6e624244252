"""The HTML report: one self-contained page (images embedded) that answers "does it work, and where does it
fail": a scorecard of the targets against the previous committed run, the failure gallery, asked against
judged motion, per-epoch samples, training curves, every shown prompt beside real clips, and the variety
strips."""

from __future__ import annotations

import base64
import html
import io
import json
import subprocess
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from ruamel.yaml import YAML  # noqa: E402

from t2v.config import Config  # noqa: E402
from t2v.data.synthesize import render_prompt  # noqa: E402
from t2v.prompts import MOTIONS, parse_prompt, parse_scenes, scenes_prompt  # noqa: E402
from t2v.video_io import write_clips  # noqa: E402

PASS_BAR = 0.97  # a prompt passes when its clips reach the targets: motion, shape and colour each this often
DIVERSITY_BAR = 0.6  # ... and its clips vary at least this much against real ones (the per-motion target)
TIME_BUDGET_S = 900.0
# (label, key in metrics.json, target, whether the target is a ceiling): the issue targets, checked at the top
# of the page
TARGETS = (
    ("motion, seen prompts", "motion_seen", PASS_BAR, False),
    ("motion, held-out prompts", "motion_heldout", PASS_BAR, False),
    ("shape", "shape", PASS_BAR, False),
    ("colour", "colour", PASS_BAR, False),
    ("diversity", "diversity", 0.85, False),
    ("temporal consistency", "temporal", 1.0, False),
    ("binding, seen pairings", "binding_seen", 0.90, False),
    ("binding, held-out pairings", "binding_heldout", 0.85, False),
    ("binding against swapped motions (at most)", "binding_swapped", 0.10, True),
)
SCALE = 3  # clips are stored at native size and scaled up by the browser, pixelated
SAMPLE_FRAMES = 3  # frames of each per-epoch sample image shown in the training strip


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _png(image: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="png", optimize=True)
    return _data_uri(buf.getvalue(), "image/png")


def _img(uri: str, alt: str, width: int) -> str:
    return f"<img alt='{html.escape(alt)}' src='{uri}' width='{width}'>"


def _real_gif(cfg: Config, prompt: str, n: int, rng: np.random.Generator, tmp_dir: Path) -> str:
    clips = render_prompt(parse_scenes(prompt), n, cfg.data, rng)
    write_clips(clips, tmp_dir / "real.gif", fps=cfg.sample.fps, scale=1)
    return _data_uri((tmp_dir / "real.gif").read_bytes(), "image/gif")


def _lookup(metrics: dict, key: str) -> float | None:
    value = metrics
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value if isinstance(value, (int, float)) else None


def training_summary(live_dir: Path) -> dict:
    """The training run's metrics and facts (steps, device), from the dvclive run's metrics.json and
    params.yaml."""
    facts = YAML(typ="safe", pure=True).load((live_dir / "params.yaml").read_text()) or {}
    return {**json.loads((live_dir / "metrics.json").read_text()), **facts}


def git(*args: str) -> str | None:
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def previous_run(path: str, current: dict) -> tuple[str, dict, dict] | None:
    """The newest commit whose metrics file differs from the current one: (commit, its metrics, its
    params)."""
    for commit in (git("log", "--format=%h", "-n", "30", "--", path) or "").split():
        text = git("show", f"{commit}:{path}")
        try:
            old = json.loads(text or "")
        except json.JSONDecodeError:
            continue
        if old != current:
            params = YAML(typ="safe", pure=True).load(git("show", f"{commit}:params.yaml") or "{}") or {}
            return commit, old, params
    return None


def _flat(tree: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def scorecard(metrics: dict, train: dict, previous: tuple[str, dict, dict] | None, params: dict) -> str:
    old = previous[1] if previous else {}
    rows = []
    seconds = (train.get("wall_time_s") or 0) + (metrics.get("eval_time_s") or 0)
    checks = [
        (label, _lookup(metrics, key), _lookup(old, key), target, at_most)
        for label, key, target, at_most in TARGETS
    ]
    checks.append(("train + evaluate time, s (at most)", seconds, None, TIME_BUDGET_S, True))
    for label, value, before, target, at_most in checks:
        met = value is not None and (value <= target if at_most else value >= target)
        delta = ""
        if value is not None and before is not None:
            change = value - before
            better = -change if at_most else change
            colour = "#070" if better > 0 else "#b00" if better < 0 else "#555"
            delta = f"<span style='color:{colour}'>{change:+.3f}</span> (was {before:.3f})"
        shown = "n/a" if value is None else f"{value:.0f}" if target == TIME_BUDGET_S else f"{value:.3f}"
        rows.append(
            f"<tr class='{'met' if met else 'unmet'}'><td>{'✓' if met else '✗'}</td><td>{label}</td>"
            f"<td>{shown}</td><td>{target:g}</td><td>{delta}</td></tr>"
        )
    if previous:
        now, then = _flat(params), _flat(previous[2])
        changed = [
            f"{k}: {html.escape(str(then.get(k)))} → {html.escape(str(v))}"
            for k, v in now.items()
            if then.get(k) != v
        ]
        against = (
            f"Compared with commit <code>{previous[0]}</code>, the newest commit whose metrics differ. "
            f"Params changed since: {'; '.join(changed) if changed else 'none'}."
        )
    else:
        against = "No earlier committed run to compare with."
    return (
        f"<p>{against}</p><table id='scorecard'><tr><th></th><th>target</th><th>now</th><th>needs</th>"
        f"<th>change</th></tr>{''.join(rows)}</table>"
    )


def confusion_table(rows: list[dict]) -> str:
    counts = Counter((r["asked"], r["judged"]) for r in rows)
    judged = [m for m in MOTIONS if any(j == m for _, j in counts)] + ["none"]
    head = "".join(f"<th><small>{html.escape(m)}</small></th>" for m in judged)
    body = []
    for asked in MOTIONS:
        total = sum(counts[(asked, j)] for j in judged) or 1
        cells = "".join(
            f"<td style='background:rgba({'0,120,0' if j == asked else '200,0,0'},"
            f"{counts[(asked, j)] / total:.2f})'>"
            f"{counts[(asked, j)] or ''}</td>"
            for j in judged
        )
        body.append(f"<tr><th><small>{html.escape(asked)}</small></th>{cells}</tr>")
    return f"<table id='confusion'><tr><th>asked \\ judged</th>{head}</tr>{''.join(body)}</table>"


def training_strip(samples_dir: Path, frames: int) -> str:
    """Each epoch's sample image, a few frames of each row, side by side: how training went at a glance."""
    paths = sorted(samples_dir.glob("*.png"), key=lambda p: int(p.stem))
    if not paths:
        return "<p>no per-epoch samples</p>"
    blocks = []
    for path in paths:
        image = np.asarray(Image.open(path).convert("RGB"))
        width = image.shape[1] // frames
        keep = np.linspace(0, frames - 1, SAMPLE_FRAMES).round().astype(int)
        block = np.concatenate([image[:, f * width : (f + 1) * width] for f in keep], axis=1)
        blocks += [block, np.full((image.shape[0], 4, 3), 128, np.uint8)]
    strip = np.concatenate(blocks[:-1], axis=1)
    labels = " · ".join(f"epoch {p.stem}" for p in paths)
    return f"<p>{labels} (left to right)</p>" + _img(
        _png(strip), "per-epoch samples", strip.shape[1] * 2 // 3
    )


def curves_png(live_dir: Path) -> str:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
    for ax, keys, title, label in (
        (axes[0], ("loss_d", "loss_g"), "losses", "loss"),
        (axes[1], ("d_real", "d_fake"), "discriminator scores", "score"),
    ):
        for key in keys:
            table = live_dir / "plots" / "metrics" / "train" / f"{key}.tsv"
            if table.exists():
                data = np.loadtxt(table, delimiter="\t", skiprows=1, ndmin=2)
                ax.plot(data[:, 0], data[:, 1], label=key)
        ax.set(xlabel="step", ylabel=label, title=title)
        ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return _data_uri(buf.getvalue(), "image/png")


def render_report(
    *,
    cfg: Config,
    params: dict,
    metrics: dict,
    scores: dict,
    train: dict,
    live_dir: Path,
    confusion: list[dict],
    videos_dir: Path,
    videos: list[dict],
    heldout_pairs: set[tuple[str, str]],
    tmp_dir: Path,
    metrics_path: str,
) -> str:
    commit = (git("rev-parse", "--short", "HEAD") or "unknown").strip()
    rng = np.random.default_rng(cfg.seed)
    per_prompt = scores.get("per_prompt", {})
    diversity = scores.get("diversity", {}).get("per_prompt", {})
    pairs = scores.get("pairs", {}).get("per_prompt", {})
    prompts, variety, gallery, two = [], [], [], []
    for row in videos:
        if row.get("failure"):
            gallery.append(failure_row(row, cfg, videos_dir, rng, tmp_dir))
            continue
        if row.get("pair"):
            gen = _data_uri((videos_dir / row["gif"]).read_bytes(), "image/gif")
            width = Image.open(videos_dir / row["gif"]).size[0] * SCALE
            real = _real_gif(cfg, row["prompt"], cfg.sample.grid, rng, tmp_dir)
            judged = pairs.get(scenes_prompt(parse_scenes(row["prompt"])))
            verdict = (
                f"{judged['split']} pairing · binding {judged['binding']:.2f} · "
                f"swapped {judged['swapped']:.2f}"
                if judged
                else "not scored (the binding metric judges a fixed set of pairs: "
                "t2v.judge.eval_sets.eval_pairs)"
            )
            two.append(
                f"<tr><td>{html.escape(row['prompt'])}<br><small>{verdict}</small></td>"
                f"<td>{_img(gen, 'generated', width)}</td><td>{_img(real, 'ground truth', width)}</td></tr>"
            )
            continue
        scene = parse_prompt(row["prompt"])
        prompt = scene.prompt()
        gen = _data_uri((videos_dir / row["gif"]).read_bytes(), "image/gif")
        n = row.get("clips", cfg.sample.grid)
        width = Image.open(videos_dir / row["gif"]).size[0] * SCALE  # real clips are tiled the same way
        real = _real_gif(cfg, row["prompt"], n, rng, tmp_dir)
        if row.get("variety"):
            score = diversity.get(prompt)
            variety.append(
                f"<tr><td>{html.escape(row['prompt'])}<br><small>diversity "
                f"{'n/a' if score is None else f'{score:.2f}'}</small></td>"
                f"<td>{_img(gen, 'generated', width)}</td><td>{_img(real, 'real', width)}</td></tr>"
            )
            continue
        judged, spread = per_prompt.get(prompt), diversity.get(prompt)
        verdict = (
            f"motion {judged['motion_acc']:.2f} · shape {judged['shape_acc']:.2f} · colour "
            f"{judged['colour_acc']:.2f} · diversity {spread or 0:.2f}"
            if judged
            else "not scored"
        )
        passed = (
            bool(judged)
            and min(judged["motion_acc"], judged["shape_acc"], judged["colour_acc"]) >= PASS_BAR
            and (spread or 0) >= DIVERSITY_BAR
        )
        held = " <b class=held>held-out</b>" if (scene.shape, scene.motion) in heldout_pairs else ""
        prompts.append(
            f"<tr class='{'pass' if passed else 'fail'}'><td>{html.escape(row['prompt'])}{held}<br>"
            f"<small>{verdict}</small></td><td>{_img(gen, 'generated', width)}</td>"
            f"<td>{_img(real, 'ground truth', width)}</td><td>{'pass' if passed else 'fail'}</td></tr>"
        )
    previous = previous_run(metrics_path, metrics)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>t2v report {commit}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px}}
tr.fail td:last-child,tr.unmet td:first-child{{color:#b00}}tr.pass td:last-child,tr.met
td:first-child{{color:#070}}
.held{{color:#a60}}img{{image-rendering:pixelated}}</style></head><body><h1>t2v report</h1>
<p>commit <code>{commit}</code> · device {html.escape(str(train.get("device")))} · training
{train.get("wall_time_s")} s
({train.get("clips_per_s")} clips/s, {train.get("steps")} steps) · evaluation
{metrics.get("eval_time_s")} s</p>
<h2>Summary</h2>{scorecard(metrics, train, previous, params)}
<h2>Where it fails</h2>{gallery_section(gallery)}
<h2>Asked motion against judged motion</h2><p>{len(confusion)} clips; a clip is judged as the first motion it
passes, or none.</p>{confusion_table(confusion)}
<h2>Training</h2><p>The fixed prompts (one per motion, held-out pairs among them) after each epoch, at
fixed noise.</p>
{training_strip(live_dir / "plots" / "images" / "samples", cfg.data.frames)}
<p>{_img(curves_png(live_dir), "training curves", 800)}</p>
<h2>Prompts</h2><table id="prompts"><tr><th>prompt</th><th>generated</th><th>ground truth</th><th>pass:
motion,
shape and colour each at least {PASS_BAR:.0%}, diversity at least {DIVERSITY_BAR}</th></tr>
{"".join(prompts)}</table>
<h2>Variety</h2><p>{VARIETY_NOTE}</p>
<table id="variety"><tr><th>prompt</th><th>generated</th><th>real</th></tr>{"".join(variety)}</table>
<h2>Two objects</h2><p>{TWO_NOTE}</p>{binding_table(pairs)}{pairs_table(two)}
</body></html>
"""


def gallery_section(rows: list[str]) -> str:
    if not rows:
        return "<p id=gallery>No clip fails a check: there is nothing to show here.</p>"
    return (
        "<p>The prompts whose clips fail most often, one failing clip each as the judge saw it (one object: "
        "its tracked path in grey, each frame's centre in red), beside a real clip of the prompt.</p>"
        "<div class=scroll><table id=gallery><tr><th>prompt, and what the judge saw</th>"
        f"<th>failing clip</th><th>ground truth</th></tr>{''.join(rows)}</table></div>"
    )


TWO_NOTE = (
    "Each object is told apart by its colour, tracked and judged against its own words; binding is the share "
    "of clips with both objects right, swapped the share right against the prompt with the two motions "
    "exchanged."
)


def failure_row(row: dict, cfg: Config, videos_dir: Path, rng: np.random.Generator, tmp_dir: Path) -> str:
    """A failing clip, animated, beside a real clip of its prompt, with what the judge saw of each object."""
    gen = _data_uri((videos_dir / row["gif"]).read_bytes(), "image/gif")
    width = Image.open(videos_dir / row["gif"]).size[0]
    real = _real_gif(cfg, row["prompt"], 1, rng, tmp_dir)
    saw = "".join(f"<li>{html.escape(line)}</li>" for line in row["saw"])
    return (
        f"<tr class=fail><td>{html.escape(row['prompt'])}<br><small>{row['split']}: {row['failed']} of "
        f"{row['of']} clips fail</small><ul class=saw>{saw}</ul></td>"
        f"<td>{_img(gen, 'failing clip', width)}</td><td>{_img(real, 'ground truth', width)}</td></tr>"
    )


def binding_table(pairs: dict) -> str:
    """Every judged two-object prompt with its split, binding and swapped control."""
    if not pairs:
        return (
            "<p>The model was trained without two-object prompts (data.pair_share 0); "
            "<code>dvc exp run -S data.pair_share=0.25</code> trains one that reads them.</p>"
        )
    rows = "".join(
        f"<tr><td>{html.escape(prompt)}</td><td>{v['split']}</td><td>{v['binding']:.2f}</td>"
        f"<td>{v['swapped']:.2f}</td></tr>"
        for prompt, v in pairs.items()
    )
    head = "<tr><th>prompt</th><th>pairing</th><th>binding</th><th>swapped</th></tr>"
    return f"<table id='binding'>{head}{rows}</table>"


def pairs_table(rows: list[str]) -> str:
    """The two-object prompts' clips beside ground truth; nothing when the model draws none."""
    if not rows:
        return ""
    head = "<tr><th>prompt</th><th>generated</th><th>ground truth</th></tr>"
    return f"<table id='pairs'>{head}{''.join(rows)}</table>"


VARIETY_NOTE = (
    "Many generated clips of one prompt beside as many real ones: a collapsed model repeats one path."
)
