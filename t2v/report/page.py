"""The HTML report: one self-contained page (images embedded) that answers "what did this commit change, and
where does it fail": regressions past the noise against the baseline (t2v.report.compare), the scorecard, the
failure gallery, the two-object pairs weakest first, every shown prompt beside real clips (failures first),
asked against judged motion, training, and the variety strips. It fits a phone's width: wide tables scroll in
their own box."""

from __future__ import annotations

import base64
import html
import io
import json
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
from t2v.errors import T2VError  # noqa: E402
from t2v.prompts import MOTIONS, parse_prompt, parse_scenes, scenes_prompt  # noqa: E402
from t2v.report.compare import MARGIN, NOISE, Baseline, Move, RunContext  # noqa: E402
from t2v.report.learned import learned_section  # noqa: E402
from t2v.video_io import write_clips  # noqa: E402

PASS_BAR = 0.97  # a prompt passes when its clips reach the targets: motion, shape and colour each this often
DIVERSITY_BAR = 0.6  # ... and its clips vary at least this much against real ones (the per-motion target)
TIME_BUDGET_S = 900.0
# (label, key in metrics.json, target, whether the target is a ceiling): the issue targets, checked at the top
# of the page; a target of None is a figure tracked against the baseline, with no bar of its own
TARGETS = (
    ("motion, seen prompts", "motion_seen", PASS_BAR, False),
    ("motion, held-out prompts", "motion_held", PASS_BAR, False),
    ("shape", "shape", PASS_BAR, False),
    ("colour", "colour", PASS_BAR, False),
    ("diversity", "diversity", 0.85, False),
    ("temporal consistency", "temporal", 1.0, False),
    ("binding, seen pairings", "bind_seen", 0.90, False),
    ("binding, held-out pairings", "bind_held", 0.85, False),
    ("binding against swapped motions (at most)", "bind_swap", 0.10, True),
    ("learned judge: every head right, seen prompts", "judge_seen", None, False),
    ("learned judge: every head right, held-out prompts", "judge_held", None, False),
    (
        "learned judge: Fréchet distance to real clips, seen prompts (lower is better)",
        "fvd_seen",
        None,
        True,
    ),
    (
        "learned judge: Fréchet distance to real clips, held-out prompts (lower is better)",
        "fvd_held",
        None,
        True,
    ),
)
# The names these metrics had in commits before they were shortened: a baseline there still compares.
FORMER_NAMES = {
    "motion_held": "motion_heldout",
    "bind_seen": "binding_seen",
    "bind_held": "binding_heldout",
    "bind_swap": "binding_swapped",
}
SCALE = 3  # clips are stored at native size and scaled up by the browser, pixelated


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


def _flat(tree: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _before(old: dict, key: str) -> float | None:
    value = _lookup(old, key)
    return _lookup(old, FORMER_NAMES[key]) if value is None and key in FORMER_NAMES else value


def target_checks(metrics: dict, scores: dict, train: dict, baseline: Baseline | None) -> list[tuple]:
    """(label, key, now, before, target, at most, met) for every target, and the time budget; met is None
    where there is no target."""
    old = baseline.metrics if baseline else {}
    seconds = (train.get("wall_time_s") or 0) + (scores.get("eval_time_s") or 0)
    rows = [
        (label, key, _lookup(metrics, key), _before(old, key), target, at_most)
        for label, key, target, at_most in TARGETS
    ]
    rows.append(("train + evaluate time, s (at most)", "time_s", seconds, None, TIME_BUDGET_S, True))
    return [(*row, _met(row[2], row[4], row[5])) for row in rows]


def _met(value: float | None, target: float | None, at_most: bool) -> bool | None:
    if target is None:
        return None
    return value is not None and (value <= target if at_most else value >= target)


def scorecard(checks: list[tuple], baseline: Baseline | None, params: dict) -> str:
    rows = []
    for label, _, value, before, target, at_most, met in checks:
        delta = ""
        if value is not None and before is not None:
            change = value - before
            better = -change if at_most else change
            colour = "#070" if better > 0 else "#b00" if better < 0 else "#555"
            delta = f"<span style='color:{colour}'>{change:+.3f}</span> (was {before:.3f})"
        shown = "n/a" if value is None else f"{value:.0f}" if target == TIME_BUDGET_S else f"{value:.3f}"
        state, mark = ("tracked", "") if met is None else ("met", "✓") if met else ("unmet", "✗")
        needs = "-" if target is None else f"{target:g}"
        rows.append(
            f"<tr class='{state}'><td>{mark}</td><td>{label}</td><td>{shown}</td><td>{needs}</td>"
            f"<td>{delta}</td></tr>"
        )
    if baseline:
        now, then = _flat(params), _flat(baseline.params)
        changed = [
            f"{k}: {html.escape(str(then.get(k)))} → {html.escape(str(v))}"
            for k, v in now.items()
            if then.get(k) != v and not k.startswith("report.")
        ]
        listed = "; ".join(changed) if changed else "none"
        against = f"Params changed since <code>{baseline.commit}</code>: {listed}."
    else:
        against = "No earlier committed model to compare with."
    return (
        f"<p>{against}</p><div class=scroll><table id='scorecard'><tr><th></th><th>target</th><th>now</th>"
        f"<th>needs</th><th>change</th></tr>{''.join(rows)}</table></div>"
    )


def regressions_banner(found: list[Move], baseline: Baseline | None) -> str:
    """A red box at the top naming every fall past the noise, even where every target holds."""
    falls = [m for m in found if m.change < 0]
    if baseline is None:
        return ""
    if not falls:
        return f"<p id=regressions class=ok>Nothing fell past the noise against {baseline.commit}.</p>"
    items = "".join(
        f"<li>{html.escape(m.figure)}: {m.before:.2f} → {m.after:.2f} ({m.change:+.2f}; "
        f"counts past {m.noise:.2f})</li>"
        for m in falls
    )
    return (
        f"<div id=regressions class=alarm><b>{len(falls)} regression(s) past the noise against "
        f"{baseline.commit}</b>, whatever the targets say:<ul>{items}</ul></div>"
    )


def moves_table(found: list[Move], baseline: Baseline | None) -> str:
    if baseline is None:
        return ""
    if not found:
        return "<p>No per-motion or per-pair figure moved past the noise.</p>"
    rows = "".join(
        f"<tr class={'fail' if m.change < 0 else 'pass'}><td>{html.escape(m.figure)}</td>"
        f"<td>{m.before:.2f}</td><td>{m.after:.2f}</td><td>{m.change:+.2f}</td></tr>"
        for m in found
    )
    return (
        f"<div class=scroll><table id=moves><tr><th>figure (worst first)</th><th>{baseline.commit}</th>"
        f"<th>now</th><th>change</th></tr>{rows}</table></div>"
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


def _read_sample(path: Path) -> np.ndarray:
    try:
        return np.asarray(Image.open(path).convert("RGB"))
    except (OSError, SyntaxError) as err:  # PIL: unreadable, truncated, or not an image at all
        raise T2VError(
            f"per-epoch sample {str(path)!r} is truncated or corrupt ({type(err).__name__}): "
            "run `dvc repro -f train-gan` (or `dvc pull`)"
        ) from None


def training_strip(samples_dir: Path) -> str:
    """The labelled sample images of the first, middle and last epochs side by side: how training went."""
    paths = sorted(samples_dir.glob("*.png"), key=lambda p: int(p.stem))
    if not paths:
        return "<p>no per-epoch samples</p>"
    picked = sorted({0, len(paths) // 2, len(paths) - 1})
    images = [_read_sample(paths[i]) for i in picked]
    height = max(image.shape[0] for image in images)
    gap = np.full((height, 8, 3), 255, np.uint8)
    blocks = []
    for image in images:
        padded = np.full((height, image.shape[1], 3), 255, np.uint8)
        padded[: image.shape[0]] = image
        blocks += [padded, gap]
    strip = np.concatenate(blocks[:-1], axis=1)
    labels = " · ".join(f"epoch {paths[i].stem}" for i in picked)
    return f"<p>{labels} (left to right)</p>" + _img(_png(strip), "per-epoch samples", strip.shape[1])


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
    run: RunContext,
    checks: list[tuple],
    found: list[Move],
) -> str:
    """The page; checks: target_checks against run.baseline, found: the moves past the noise against it."""
    rng = np.random.default_rng(cfg.seed)
    per_prompt = scores.get("per_prompt", {})
    diversity = scores.get("diversity", {}).get("per_prompt", {})
    pairs = scores.get("pairs", {}).get("per_prompt", {})
    prompts, variety, gallery, two = [], [], [], []
    disagreements: dict[str, list[str]] = {}
    for row in videos:
        if row.get("failure"):
            gallery.append(failure_row(row, cfg, videos_dir, rng, tmp_dir))
            continue
        if row.get("disagreement"):
            disagreements.setdefault(row["disagreement"], []).append(
                disagreement_row(row, cfg, videos_dir, rng, tmp_dir)
            )
            continue
        gen = _data_uri((videos_dir / row["gif"]).read_bytes(), "image/gif")
        n = row.get("clips", cfg.sample.grid)
        width = Image.open(videos_dir / row["gif"]).size[0] * SCALE  # real clips are tiled the same way
        real = _real_gif(cfg, row["prompt"], n, rng, tmp_dir)
        clips = f"<td>{_img(gen, 'generated', width)}</td><td>{_img(real, 'ground truth', width)}</td>"
        link = f" <a href='videos/{row['mp4']}'>mp4</a>" if row.get("mp4") else ""
        if row.get("pair"):
            judged = pairs.get(scenes_prompt(parse_scenes(row["prompt"])))
            verdict = (
                f"{judged['split']} pairing · binding {judged['binding']:.2f} · "
                f"swapped {judged['swapped']:.2f}"
                if judged
                else "not scored (the binding metric judges a fixed set of pairs: t2v.judge.eval_sets)"
            )
            weakest_first = judged["binding"] if judged else 2.0
            cells = f"<td>{html.escape(row['prompt'])}{link}<br><small>{verdict}</small></td>{clips}"
            two.append((weakest_first, f"<tr>{cells}</tr>"))
            continue
        scene = parse_prompt(row["prompt"])
        prompt = scene.prompt()
        if row.get("variety"):
            score = diversity.get(prompt)
            variety.append(
                f"<tr><td>{html.escape(row['prompt'])}<br><small>diversity "
                f"{'n/a' if score is None else f'{score:.2f}'}</small></td>{clips}</tr>"
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
            (
                passed,
                f"<tr class='{'pass' if passed else 'fail'}'><td>{html.escape(row['prompt'])}{held}{link}<br>"
                f"<small>{verdict}</small></td>{clips}<td>{'pass' if passed else 'fail'}</td></tr>",
            )
        )
    return f"""<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>t2v report {run.commit}</title>
<style>{STYLE}</style></head><body><h1>t2v report</h1>
<p>{run.describe()} · device {html.escape(str(train.get("device")))} · training {train.get("wall_time_s")} s
({train.get("clips_per_s")} clips/s, {train.get("steps")} steps) · evaluation
{scores.get("eval_time_s")} s</p>
{regressions_banner(found, run.baseline)}
<h2>Scorecard</h2>{scorecard(checks, run.baseline, params)}
<h2>What changed</h2><p>Per motion and per judged pair, the figures that moved past the run-to-run noise
(evaluation-seed standard deviation {", ".join(f"{k} {v}" for k, v in NOISE.items())}; a move counts past
{MARGIN:.1f} times it).</p>{moves_table(found, run.baseline)}
<h2>Where it fails</h2>{gallery_section(gallery)}
<h2>Two objects</h2><p>{TWO_NOTE}</p>{binding_summary(scores.get("pairs") or {})}
{pairs_table([r for _, r in sorted(two, key=lambda t: t[0])])}
<h2>Learned judge</h2>{learned_section(scores.get("learned") or {}, disagreements)}
<h2>Prompts</h2><p>Failures first. Pass: motion, shape and colour each at least {PASS_BAR:.0%}, diversity at
least {DIVERSITY_BAR}.</p><div class=scroll><table id="prompts"><tr><th>prompt</th><th>generated</th>
<th>ground truth</th><th>verdict</th></tr>
{"".join(r for _, r in sorted(prompts, key=lambda t: t[0]))}</table></div>
<h2>Asked motion against judged motion</h2><p>{len(confusion)} clips; a clip is judged as the first motion it
passes, or none.</p><div class=scroll>{confusion_table(confusion)}</div>
<h2>Training</h2><p>Fixed prompts after each epoch, at fixed noise: every motion in the four colours in turn
(held-out pairs among them), then two-object prompts, held-out pairings first.</p>
<div class=scroll>{training_strip(live_dir / "plots" / "images" / "samples")}</div>
<div class=scroll>{_img(curves_png(live_dir), "training curves", 800)}</div>
<h2>Variety</h2><p>{VARIETY_NOTE}</p>
<div class=scroll><table id="variety"><tr><th>prompt</th><th>generated</th><th>real</th></tr>
{"".join(variety)}</table></div>
</body></html>
"""


STYLE = """body{font-family:sans-serif;margin:1em auto;max-width:1200px;padding:0 1em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}
.scroll{overflow-x:auto;max-width:100%}img{image-rendering:pixelated;max-width:none}
tr.fail td:last-child,tr.unmet td:first-child{color:#b00}
tr.pass td:last-child,tr.met td:first-child{color:#070}
.held{color:#a60}.alarm{border:2px solid #b00;background:#fee;color:#600;padding:.5em 1em}.ok{color:#070}
ul.saw{margin:.3em 0;padding-left:1.2em;font-size:small}
@media (max-width:600px){body{margin:.5em;padding:0}td,th{padding:2px 4px}}"""


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


def _beside_truth(
    row: dict, cfg: Config, videos_dir: Path, rng, tmp_dir: Path, caption: str, alt: str
) -> str:
    """A table row: the caption (HTML), the row's clip, animated, and a real clip of its prompt."""
    gen = _data_uri((videos_dir / row["gif"]).read_bytes(), "image/gif")
    width = Image.open(videos_dir / row["gif"]).size[0]
    real = _real_gif(cfg, row["prompt"], 1, rng, tmp_dir)
    return f"<td>{caption}</td><td>{_img(gen, alt, width)}</td><td>{_img(real, 'ground truth', width)}</td>"


def failure_row(row: dict, cfg: Config, videos_dir: Path, rng: np.random.Generator, tmp_dir: Path) -> str:
    """A failing clip, animated, beside a real clip of its prompt, with what the judge saw of each object."""
    saw = "".join(f"<li>{html.escape(line)}</li>" for line in row["saw"])
    caption = (
        f"{html.escape(row['prompt'])}<br><small>{row['split']}: {row['failed']} of {row['of']} clips "
        f"fail</small><ul class=saw>{saw}</ul>"
    )
    return f"<tr class=fail>{_beside_truth(row, cfg, videos_dir, rng, tmp_dir, caption, 'failing clip')}</tr>"


def disagreement_row(
    row: dict, cfg: Config, videos_dir: Path, rng: np.random.Generator, tmp_dir: Path
) -> str:
    """A clip on whose motion the judges disagree, beside a real clip of its prompt, with what each read."""
    caption = (
        f"{html.escape(row['prompt'])}<br><small>{row['split']}: {row['count']} of {row['of']} clips"
        f"</small><ul class=saw><li>learned judge read: {html.escape(row['learned_said'])}</li>"
        f"<li>rule judge read: {html.escape(row['rule_said'])}</li></ul>"
    )
    return f"<tr>{_beside_truth(row, cfg, videos_dir, rng, tmp_dir, caption, 'disagreed clip')}</tr>"


def binding_summary(pairs: dict) -> str:
    """Binding per split; each judged pair is below with its clips, weakest first."""
    if not pairs:
        return (
            "<p>The model was trained without two-object prompts (data.pair_share 0); "
            "<code>dvc exp run -S data.pair_share=0.25</code> trains one that reads them.</p>"
        )
    split = pairs["per_split"]
    return (
        f"<p>Binding: seen pairings {split['seen']['binding']:.2f}, "
        f"held-out {split['heldout']['binding']:.2f}; "
        f"swapped control {pairs['swapped']:.2f}. Each judged pair, weakest first:</p>"
    )


def pairs_table(rows: list[str]) -> str:
    """The two-object prompts' clips beside ground truth; nothing when the model draws none."""
    if not rows:
        return ""
    head = "<tr><th>prompt</th><th>generated</th><th>ground truth</th></tr>"
    return f"<div class=scroll><table id='pairs'>{head}{''.join(rows)}</table></div>"


VARIETY_NOTE = (
    "Many generated clips of one prompt beside as many real ones: a collapsed model repeats one path."
)
