import json

import yaml

from t2v.bench import run_benchmark
from t2v.config import config_to_dict
from tests.conftest import tiny_config


def test_benchmark_writes_its_figures_and_counts_the_tutorial_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(config_to_dict(tiny_config())))
    report = run_benchmark(tmp_path / "bench.json", params=tmp_path / "params.yaml", render_clips=40)
    saved = json.loads((tmp_path / "bench.json").read_text())
    assert saved == json.loads(json.dumps(report))
    render = saved["render"]
    assert render["tutorial_files"] == 40 * (10 + 1) and render["t2v_files"] == 3
    assert render["speedup"] > 0 and {t["arch"] for t in saved["train"]} == {"layered", "seed"}
    assert saved["sample"] is None  # no trained model in this directory
