"""End to end on tiny params in a temporary git+DVC copy: exact caching, sharing through a remote, metrics
across commits, plots and experiments. The tests run in order on one repository."""

import json
import re
import shutil
import time

import pytest
import yaml

from tests.conftest import TINY, commit_all, run

pytestmark = pytest.mark.slow
ALL = ["generate-dataset", "build-vocab", "train-gan", "sample-video", "render-report"]


def ran(output: str) -> list[str]:
    return re.findall(r"Running stage '([^']+)'", output)


def set_param(repo, section, key, value):
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params[section][key] = value
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def test_dag_has_the_five_stages_in_order(pipeline_repo):
    out = run(["dvc", "dag", "--md"], pipeline_repo).stdout
    names = dict(re.findall(r'(node\d+)\["([a-z-]+)"\]', out))
    edges = {(names[a], names[b]) for a, b in re.findall(r"(node\d+)-->(node\d+)", out)}
    for a, b in zip(ALL, ALL[1:]):
        assert (a, b) in edges, out


def test_first_run_wrote_every_output(pipeline_repo):
    metrics = json.loads((pipeline_repo / "reports/metrics.json").read_text())
    assert {"motion_seen", "motion_heldout", "eval_time_s"} <= set(metrics)
    groups = [row["group"] for row in json.loads((pipeline_repo / "reports/breakdown.json").read_text())]
    assert {"split: seen", "split: heldout", "motion: shrinking", "shape: circle"} <= set(groups)
    scores = json.loads((pipeline_repo / "reports/scores.json").read_text())
    assert scores["tutorial_heldout"]["prompt"] == "circle moving up-right" and scores["per_prompt"]
    assert (pipeline_repo / "reports/train/plots/images/samples/1.png").exists()
    assert (pipeline_repo / "reports/index.html").stat().st_size > 1000
    assert list((pipeline_repo / "reports/videos").glob("*.mp4"))


def test_second_repro_runs_nothing(pipeline_repo):
    assert ran(run(["dvc", "repro"], pipeline_repo).stdout) == []
    assert "up to date" in run(["dvc", "status"], pipeline_repo).stdout


def test_changing_epochs_reruns_training_and_what_follows_only(pipeline_repo):
    set_param(pipeline_repo, "train", "epochs", 2)
    assert ran(run(["dvc", "repro"], pipeline_repo).stdout) == ["train-gan", "sample-video", "render-report"]
    commit_all(pipeline_repo, "two epochs")


def test_metrics_diff_between_commits_shows_quality_metrics(pipeline_repo):
    out = run(["dvc", "metrics", "diff", "HEAD~1", "--all"], pipeline_repo).stdout
    for name in ("motion_heldout", "shape", "diversity", "wall_time_s", "epoch.motion"):
        assert name in out, out


def test_dvc_views_are_small_enough_to_read(pipeline_repo):
    shown = json.loads(run(["dvc", "metrics", "show", "--json"], pipeline_repo).stdout)

    def count(tree):
        return sum(count(v) for v in tree.values()) if isinstance(tree, dict) else 1

    files = next(iter(shown.values()))["data"]
    assert 12 <= sum(count(f["data"]) for f in files.values()) <= 30
    # DVC spends a few characters on each of the 43 params and 42 deps too, collapsed or not: at 200 columns
    # the 85 of them leave room for two metrics; 240 show the first three and more
    table = run(["dvc", "exp", "show", "--no-pager"], pipeline_repo, env_extra={"COLUMNS": "240"}).stdout
    header = "\n".join(table.splitlines()[:4])
    for name in ("motion", "shape", "diversity"):
        assert re.search(rf"\b{name}\b", header), table[:1200]


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


def test_a_queued_sweep_of_two_experiments_runs_and_shows(pipeline_repo):
    for lr in ("0.0005", "0.0007"):
        run(["dvc", "exp", "run", "--queue", "-S", f"train.lr={lr}", "-S", "train.epochs=1"], pipeline_repo)
    run(["dvc", "queue", "start"], pipeline_repo)
    deadline = time.time() + 600
    while time.time() < deadline:
        status = run(["dvc", "queue", "status"], pipeline_repo).stdout
        if not re.search(r"\b(Queued|Running)\b", status):
            break
        time.sleep(3)
    assert status.count("Success") == 2, status
    shown = run(
        ["dvc", "exp", "show", "--no-pager", "--csv", "--sort-by", "reports/metrics.json:motion"],
        pipeline_repo,
    ).stdout
    assert "0.0005" in shown and "0.0007" in shown and "motion_heldout" in shown, shown


def test_changing_a_dataset_param_reruns_everything(pipeline_repo):
    set_param(pipeline_repo, "data", "n_clips", 112)
    assert ran(run(["dvc", "repro"], pipeline_repo).stdout) == ALL


def test_new_clips_with_the_same_prompts_retrain_afresh(pipeline_repo):
    set_param(pipeline_repo, "data", "speed", [0.03, 0.05])
    out = run(["dvc", "repro"], pipeline_repo).stdout
    # The prompts, and so the vocabulary, are unchanged: build-vocab is rightly skipped.
    assert ran(out) == [s for s in ALL if s != "build-vocab"]
    assert "resuming" not in out, "a persisted training state must not be reused for a different dataset"


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)
def test_report_opens_offline_in_a_real_browser(pipeline_repo, tmp_path):
    page = (pipeline_repo / "reports/index.html").read_text()
    probe = """<script>window.addEventListener('load', () => {
      const imgs = [...document.images];
      const out = {images: imgs.length, broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length,
                   scorecard: document.querySelectorAll('#scorecard tr.met, #scorecard tr.unmet').length,
                   gallery: document.querySelectorAll('#gallery img').length,
                   strip: document.querySelectorAll('img[alt="per-epoch samples"]').length,
                   confusion: document.querySelectorAll('#confusion tr').length,
                   binding: document.querySelectorAll('#binding tr').length,
                   pairs: document.querySelectorAll('#pairs img').length};
      const pre = document.createElement('pre'); pre.id = 'probe'; pre.textContent = JSON.stringify(out);
      document.body.appendChild(pre);});</script>"""
    probed = tmp_path / "index.html"
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
            f"--user-data-dir={tmp_path / 'u'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            probed.as_uri(),
        ],
        tmp_path,
        timeout=120,
    ).stdout
    found = json.loads(re.search(r'<pre id="probe">(.*?)</pre>', dom).group(1).replace("&quot;", '"'))
    assert found["images"] >= 3 and found["broken"] == 0, found
    assert (
        found["scorecard"] == 10
        and found["gallery"] >= 3
        and found["strip"] == 1
        and found["confusion"] == 17
    ), found
    assert found["binding"] > 10 and found["pairs"] == 2 * sum(
        " and " in p for p in TINY["sample"]["prompts"]
    ), found  # generated and ground truth per prompt
