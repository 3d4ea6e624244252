import json

import torch
import yaml

from t2v.bench import issue_block, run_benchmark
from t2v.config import config_to_dict
from tests.conftest import tiny_config


def test_benchmark_writes_its_figures_and_counts_the_tutorial_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(config_to_dict(tiny_config())))
    report = run_benchmark(
        tmp_path / "bench.json", params=tmp_path / "params.yaml", render_clips=40, compiled=False
    )
    saved = json.loads((tmp_path / "bench.json").read_text())
    assert saved == json.loads(json.dumps(report))
    render = saved["render"]
    assert render["tutorial_files"] == 40 * (10 + 1) and render["t2v_files"] == 3
    assert render["speedup"] > 0
    assert [(t["arch"], t["batch_size"], t["compiled"]) for t in saved["train"]] == [
        ("layered", 64, False),
        ("layered", 256, False),
        ("seed", 16, False),
    ]
    assert saved["sample"] is None  # no trained model in this directory
    assert saved["peak_gflops"]["float32"] > 0 and saved["machine"]["device"] == "cpu"
    # the host type: its CPU generation and the vector kernels torch dispatches to (they set the model's bits)
    machine = saved["machine"]
    assert machine["name"] and machine["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    for train in saved["train"]:
        assert train["gflop_per_clip"] > 0 and 0 < train["fraction_of_peak"] < 2, train
        assert train["peak_dtype"] == "float32" and train["peak_memory_mb"] is None  # no CUDA here
        assert len(train["clips_per_s_epochs"]) == 3
        assert train["clips_per_s"] == sorted(train["clips_per_s_epochs"])[1]  # the median epoch
    block = issue_block(saved).splitlines()
    assert block[0].startswith("`t2v bench` on cpu") and len(block) == 4 + len(saved["train"])
    assert f"{machine['cpu_capability']} kernels" in block[0]
    assert block[4].startswith("| layered | 64 | ")


def test_benchmark_refuses_an_unknown_device_in_one_line(tmp_path):
    import pytest

    from t2v.errors import T2VError

    (tmp_path / "params.yaml").write_text(yaml.safe_dump(config_to_dict(tiny_config())))
    with pytest.raises(T2VError, match="--device"):
        run_benchmark(tmp_path / "bench.json", params=tmp_path / "params.yaml", device_name="gpu0")
