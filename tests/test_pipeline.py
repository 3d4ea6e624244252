"""End to end on tiny params in a temporary git+DVC copy: exact caching, sharing through a remote, metrics
across commits, plots and experiments. The tests run in order on one repository."""

import json
import re
import shutil

import pytest
import yaml

from tests.conftest import commit_all, run

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
    assert {"seen", "heldout"} == set(metrics["per_split"])
    assert metrics["tutorial_heldout"]["prompt"] == "circle moving up-right"
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
    assert "per_split.heldout.motion_acc" in out and "overall.clean_shape_rate" in out, out
    assert "wall_time_s" in out


def test_plots_render_the_training_curves(pipeline_repo):
    out = run(["dvc", "plots", "show", "--json"], pipeline_repo).stdout
    spec = json.loads(out)
    assert "reports/train/steps.csv" in spec["data"], out[:500]
    text = json.dumps(spec)
    assert '"step"' in text and "loss_d" in text


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


def test_experiments_run_and_show(pipeline_repo):
    out = run(["dvc", "exp", "run", "-S", "train.epochs=1", "-S", "train.lr=0.0005"], pipeline_repo).stdout
    assert "train-gan" in out
    shown = run(["dvc", "exp", "show", "--no-pager", "--csv"], pipeline_repo).stdout
    assert "0.0005" in shown and "motion_acc" in shown


def test_changing_a_dataset_param_reruns_everything(pipeline_repo):
    set_param(pipeline_repo, "data", "n_clips", 112)
    assert ran(run(["dvc", "repro"], pipeline_repo).stdout) == ALL


def test_new_clips_with_the_same_prompts_retrain_afresh(pipeline_repo):
    set_param(pipeline_repo, "data", "speed", [0.03, 0.05])
    out = run(["dvc", "repro"], pipeline_repo).stdout
    # The prompts, and so the vocabulary, are unchanged: build-vocab is rightly skipped.
    assert ran(out) == [s for s in ALL if s != "build-vocab"]
    assert "resuming" not in out, "a persisted training state must not be reused for a different dataset"


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_report_opens_offline_in_a_real_browser(pipeline_repo, tmp_path):
    page = (pipeline_repo / "reports/index.html").read_text()
    probe = """<script>window.addEventListener('load', () => {
      const imgs = [...document.images];
      const out = {images: imgs.length, broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length,
                   splits: [...document.querySelectorAll('#metrics tr.metric')].map(r => r.dataset.group)};
      const pre = document.createElement('pre'); pre.id = 'probe'; pre.textContent = JSON.stringify(out);
      document.body.appendChild(pre);});</script>"""
    probed = tmp_path / "index.html"
    probed.write_text(page.replace("</body>", probe + "</body>"))
    dom = run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'u'}",
               "--virtual-time-budget=10000", "--dump-dom", probed.as_uri()], tmp_path, timeout=120).stdout
    found = json.loads(re.search(r'<pre id="probe">(.*?)</pre>', dom).group(1).replace("&quot;", '"'))
    assert found["images"] >= 3 and found["broken"] == 0, found
    assert {"split: seen", "split: heldout"} <= set(found["splits"])
