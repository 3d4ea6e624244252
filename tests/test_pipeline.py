"""End to end on tiny params in a temporary git+DVC copy: exact caching, sharing through a remote, metrics
across commits, plots and experiments. The tests run in order on one repository."""

import json
import re
import shlex
import shutil
import time

import pytest
import yaml

from t2v.prompts import parse_scenes, scenes_prompt
from t2v.report.page import TARGETS
from tests.conftest import ROOT, commit_all, run

pytestmark = pytest.mark.slow
CHAIN = ["generate-dataset", "build-vocab", "train-gan", "sample-video", "render-report"]
ALL = [*CHAIN[:3], "train-judge", *CHAIN[3:]]  # the order dvc repro runs them in


def ran(output: str) -> list[str]:
    return re.findall(r"Running stage '([^']+)'", output)


def set_param(repo, section, key, value):
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params[section][key] = value
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def test_dag_chains_five_stages_and_the_judge_feeds_sample_video_alone(pipeline_repo):
    out = run(["dvc", "dag", "--md"], pipeline_repo).stdout
    names = dict(re.findall(r'(node\d+)\["([a-z-]+)"\]', out))
    edges = {(names[a], names[b]) for a, b in re.findall(r"(node\d+)-->(node\d+)", out)}
    assert set(names.values()) == set(ALL), out
    for a, b in zip(CHAIN, CHAIN[1:]):
        assert (a, b) in edges, out
    assert {e for e in edges if "train-judge" in e} == {("train-judge", "sample-video")}, out


def test_first_run_wrote_every_output(pipeline_repo):
    metrics = json.loads((pipeline_repo / "reports/metrics.json").read_text())
    assert {"motion_seen", "motion_held", "bind_held"} <= set(metrics)
    groups = [row["group"] for row in json.loads((pipeline_repo / "reports/breakdown.json").read_text())]
    assert {"split: seen", "split: heldout", "motion: shrinking", "shape: circle"} <= set(groups)
    scores = json.loads((pipeline_repo / "reports/scores.json").read_text())
    assert scores["tutorial_heldout"]["prompt"] == "circle moving up-right" and scores["per_prompt"]
    assert (pipeline_repo / "reports/train/plots/images/samples/1.png").exists()
    assert (pipeline_repo / "reports/index.html").stat().st_size > 1000
    assert list((pipeline_repo / "reports/videos").glob("*.mp4"))
    rows = json.loads((pipeline_repo / "reports/videos.json").read_text())
    assert all((pipeline_repo / "reports/videos" / row["gif"]).exists() for row in rows)
    learned = scores["learned"]
    assert {"fvd_real", "fvd_shuffled", "fvd_collapsed"} <= set(learned["references"])
    assert learned["per_split"]["seen"]["clips"] > 0 and set(learned["per_motion"]) == set(
        scores["per_motion"]
    )
    assert (pipeline_repo / "models/judge.pt").exists() and json.loads(
        (pipeline_repo / "reports/judge.json").read_text()
    )["accuracy"].keys() == {"objects", "shape", "colour", "motion"}


def test_second_repro_runs_nothing(pipeline_repo):
    assert ran(run(["dvc", "repro"], pipeline_repo).stdout) == []
    assert "up to date" in run(["dvc", "status"], pipeline_repo).stdout


def test_changing_epochs_reruns_training_and_what_follows_only(pipeline_repo):
    set_param(pipeline_repo, "train", "epochs", 2)
    assert ran(run(["dvc", "repro"], pipeline_repo).stdout) == ["train-gan", "sample-video", "render-report"]
    commit_all(pipeline_repo, "two epochs")


def test_metrics_diff_between_commits_shows_quality_metrics(pipeline_repo):
    out = run(["dvc", "metrics", "diff", "HEAD~1", "--all"], pipeline_repo).stdout
    for name in ("motion_held", "shape", "diversity", "bind_held"):
        assert name in out, out


def test_dvc_views_show_the_targets_only_and_the_readmes_command_shows_them_in_120_columns(pipeline_repo):
    shown = json.loads(run(["dvc", "metrics", "show", "--json"], pipeline_repo).stdout)
    files = next(iter(shown.values()))["data"]
    assert list(files) == ["reports/metrics.json"], "losses, steps and times are plots or params, not metrics"
    assert set(files["reports/metrics.json"]["data"]) == {key for _, key, _, _ in TARGETS}
    readme = (ROOT / "README.md").read_text()
    command = next(line for line in readme.splitlines() if "dvc exp show" in line and "--keep" in line)
    args = shlex.split(command.replace(".venv/bin/", ""))
    table = run(args, pipeline_repo, env_extra={"COLUMNS": "120"}).stdout
    header = table.splitlines()[1]
    assert max(len(line) for line in table.splitlines()) <= 120, table
    for _, key, target, _ in TARGETS:
        if target is not None:  # the tracked figures have a command of their own
            assert re.search(rf"\b{key}\b", header), (key, table)
    params = run(["dvc", "params", "diff", "--all", "--json"], pipeline_repo).stdout
    assert "reports/train/params.yaml" in params and "clips_per_s" in params


def test_plots_render_the_training_curves(pipeline_repo):
    out = run(["dvc", "plots", "show", "--json"], pipeline_repo).stdout
    text = json.dumps(json.loads(out))
    for expected in (
        "Losses",
        "Discriminator scores",
        "Asked vs judged motion",
        "Motion by group",
        "Diversity by group",
        "loss_d",
        "d_fake",
        "samples/1.png",
    ):
        assert expected in text, expected


def test_share_through_a_remote_then_pull_into_a_fresh_clone(pipeline_repo, tmp_path):
    remote = tmp_path / "remote"
    run(["dvc", "remote", "add", "-d", "local", str(remote)], pipeline_repo)
    commit_all(pipeline_repo, "remote")
    run(["dvc", "push"], pipeline_repo)
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(pipeline_repo), str(clone)], tmp_path)
    run(["dvc", "pull"], clone)
    assert "up to date" in run(["dvc", "status"], clone).stdout
    assert ran(run(["dvc", "repro"], clone).stdout) == []
    run(["t2v", "generate", "circle moving up-right", "-o", "x.npy", "--n", "2"], clone)
    assert (clone / "x.npy").exists()


def test_a_registered_model_version_is_fetched_by_name(pipeline_repo, tmp_path):
    """dvc.yaml's artifacts, with a version registered as GTO's git tag, as the README shows."""
    run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "tag", "-a", "generator@v0.1.0", "-m", "v0.1.0"],
        pipeline_repo,
    )
    run(["dvc", "artifacts", "get", str(pipeline_repo), "generator"], tmp_path)
    assert (tmp_path / "generator.pt").read_bytes() == (pipeline_repo / "models/generator.pt").read_bytes()
    run(["dvc", "get", str(pipeline_repo), "models/judge.pt"], tmp_path)  # the current one, with no tag
    assert (tmp_path / "judge.pt").read_bytes() == (pipeline_repo / "models/judge.pt").read_bytes()


def test_a_queued_sweep_of_two_experiments_runs_and_shows(pipeline_repo):
    for lr in ("0.0005", "0.0007"):
        run(["dvc", "exp", "run", "--queue", "-S", f"train.lr={lr}", "-S", "train.epochs=1"], pipeline_repo)
    run(["dvc", "queue", "start", "-j", "2"], pipeline_repo)  # both at once, as on a box with cores to spare
    deadline = time.time() + 600
    while time.time() < deadline:
        status = run(["dvc", "queue", "status"], pipeline_repo).stdout
        if not re.search(r"\b(Queued|Running)\b", status):
            break
        time.sleep(3)
    assert status.count("Success") == 2, status
    shown = run(
        ["dvc", "exp", "show", "--no-pager", "--csv", "--sort-by", "reports/metrics.json:motion_seen"],
        pipeline_repo,
    ).stdout
    assert "0.0005" in shown and "0.0007" in shown and "motion_held" in shown, shown


def test_changing_the_dataset_size_reruns_everything_but_the_judge(pipeline_repo):
    set_param(pipeline_repo, "data", "n_clips", 112)
    assert ran(run(["dvc", "repro"], pipeline_repo).stdout) == [s for s in ALL if s != "train-judge"]


def test_new_clips_with_the_same_prompts_retrain_afresh(pipeline_repo):
    set_param(pipeline_repo, "data", "speed", [0.03, 0.05])
    out = run(["dvc", "repro"], pipeline_repo).stdout
    # The prompts, and so the vocabulary, are unchanged: build-vocab is rightly skipped.
    assert ran(out) == [s for s in ALL if s != "build-vocab"]
    assert "resuming" not in out, "a persisted training state must not be reused for a different dataset"


def _browse(page: str, width: int, tmp_path) -> dict:
    """Open page in headless Chromium at width px and return what a probe script measured after load."""
    probe = """<script>window.addEventListener('load', () => {
      const imgs = [...document.images];
      const rows = sel => [...document.querySelectorAll(sel)];
      const out = {images: imgs.length, broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length,
                   overflow: document.documentElement.scrollWidth - window.innerWidth,
                   scorecard: rows('#scorecard tr.met, #scorecard tr.unmet').length,
                   gallery: rows('#gallery tr.fail').length, gallery_rows: rows('#gallery tr').length - 1,
                   gallery_imgs: rows('#gallery img').length,
                   strip: rows('img[alt="per-epoch samples"]').length,
                   confusion: rows('#confusion tr').length,
                   pairs: rows('#pairs tr').filter(r => /binding/.test(r.textContent) && r.querySelectorAll(
                     'img').length == 2).map(r => r.cells[0].childNodes[0].textContent.trim()),
                   order: [...document.querySelectorAll('h2')].map(h => h.textContent)};
      const pre = document.createElement('pre'); pre.id = 'probe'; pre.textContent = JSON.stringify(out);
      document.body.appendChild(pre);});</script>"""
    probed = tmp_path / f"index{width}.html"
    probed.write_text(page.replace("</body>", probe + "</body>"))
    dom = run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--window-size={width},900",
            f"--user-data-dir={tmp_path / 'u'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            probed.as_uri(),
        ],
        tmp_path,
        timeout=120,
    ).stdout
    return json.loads(re.search(r'<pre id="probe">(.*?)</pre>', dom).group(1).replace("&quot;", '"'))


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)
@pytest.mark.parametrize("width", [1400, 420])
def test_report_fits_and_shows_what_it_claims_in_a_real_browser(pipeline_repo, tmp_path, width):
    page = (pipeline_repo / "reports/index.html").read_text()
    assert '<meta name="viewport"' in page
    found = _browse(page, width, tmp_path)
    assert found["images"] >= 3 and found["broken"] == 0, found
    assert found["overflow"] <= 0, f"the page is {found['overflow']} px wider than the window"
    assert found["scorecard"] == 10 and found["strip"] == 1 and found["confusion"] == 17, found
    assert found["gallery"] == found["gallery_rows"] and found["gallery_imgs"] == 2 * found["gallery"], (
        "the failure gallery holds failing clips only, each beside ground truth"
    )
    scored = json.loads((pipeline_repo / "reports/scores.json").read_text())["pairs"]["per_prompt"]
    shown = {scenes_prompt(parse_scenes(prompt)) for prompt in found["pairs"]}
    assert set(scored) <= shown, "every judged pair is shown with its clips"
    assert found["order"][:6] == [
        "Scorecard",
        "What changed",
        "Where it fails",
        "Two objects",
        "Learned judge",
        "Prompts",
    ]


def test_a_regression_against_the_baseline_is_flagged_at_the_top(pipeline_repo, tmp_path):
    """A baseline whose model moved every clip "bouncing vertically" right: this run's, which does not, has
    regressed there, and the page and the summary say so first, whatever the targets say."""
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(pipeline_repo), str(clone)], tmp_path)
    scores = json.loads((clone / "reports/scores.json").read_text())
    scores["per_motion"]["bouncing vertically"]["motion_acc"] = 1.0
    (clone / "reports/scores.json").write_text(json.dumps(scores))
    lock = (clone / "dvc.lock").read_text()
    other_model = re.sub(r"(path: models/generator.pt\n\s+hash: md5\n\s+md5: )\w+", r"\g<1>" + "0" * 32, lock)
    (clone / "dvc.lock").write_text(other_model)
    commit_all(clone, "a baseline that bounced vertically")
    run(["git", "fetch", "-q", str(clone), "HEAD:refs/heads/good"], pipeline_repo)
    params = yaml.safe_load((pipeline_repo / "params.yaml").read_text())
    params["report"] = {"baseline": "good"}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    run(["python", "-m", "stages.render_report", "--params", str(tmp_path / "params.yaml")], pipeline_repo)
    page = (pipeline_repo / "reports/index.html").read_text()
    top = page[: page.index("<h2>Scorecard")]
    assert "class=alarm" in top and "motion · bouncing vertically: 1.00" in top, top[-800:]
    summary = (pipeline_repo / "reports/summary.md").read_text()
    assert "regression(s) past the run-to-run noise" in summary and "bouncing vertically" in summary
