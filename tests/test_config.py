import dataclasses

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from t2v.config import Config, config_to_dict
from t2v.errors import T2VError
from t2v.params import config_from_dict, load_config
from t2v.prompts import COLOURS
from tests.conftest import ROOT


def test_params_yaml_is_valid_and_matches_the_typed_defaults():
    cfg = load_config(ROOT / "params.yaml")
    assert cfg.train.lr == 0.0002 and cfg.train.betas == [0.5, 0.999] and cfg.device == "auto"
    assert config_to_dict(cfg) == config_to_dict(Config()), (
        "params.yaml and t2v/config.py defaults drifted apart"
    )


@pytest.mark.parametrize(
    "raw, fragments",
    [
        ({"train": {"batch_size": 0}}, ["train.batch_size", "0", ">= 1"]),
        ({"train": {"epochs": -1}}, ["train.epochs", "-1"]),
        ({"train": {"lr": 0}}, ["train.lr", "(0"]),
        ({"train": {"lr": "fast"}}, ["train.lr", "'fast'", "a number"]),
        ({"train": {"lr": float("nan")}}, ["train.lr", "nan", "finite"]),
        ({"data": {"speed": [0.01, float("inf")]}}, ["data.speed", "inf", "finite"]),
        ({"train": {"epohcs": 3}}, ["train.epohcs", "did you mean 'train.epochs'"]),
        ({"trian": {}}, ["trian", "did you mean 'train'"]),
        ({"data": {"size": 40}}, ["data.size", "40", "multiple of 16"]),
        ({"data": {"frames": 9}}, ["data.frames", "even"]),
        ({"data": {"speed": [0.05, 0.01]}}, ["data.speed", "low must not exceed high"]),
        ({"data": {"heldout": [["hexagon", "shrinking"]]}}, ["data.heldout", "'hexagon'"]),
        ({"data": {"orbit_sweep": [150.0, 300.0]}}, ["data.orbit_sweep", "turns at most 232 degrees"]),
        ({"data": {"speed": [0.01, 0.05]}}, ["data.speed", "log-sd of at most 0.2", "within 2.00 times"]),
        ({"device": "gpu"}, ["device", "'gpu'", "cuda:N"]),
        ({"model": {"arch": "transformer"}}, ["model.arch", "layered, seed"]),
        ({"train": {"batch_size": True}}, ["train.batch_size", "an integer"]),
        ({"sample": {"prompts": ["circle moving sideways"]}}, ["sample.prompts", "sideways"]),
        ([1, 2], ["params", "mapping"]),
    ],
)
def test_bad_params_fail_before_any_work_naming_key_value_and_rule(raw, fragments):
    with pytest.raises(T2VError) as err:
        config_from_dict(raw)
    message = str(err.value)
    assert all(f in message for f in fragments), message
    assert "\n" not in message


def test_missing_and_malformed_params_files(tmp_path):
    with pytest.raises(T2VError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    (tmp_path / "p.yaml").write_text("train: [unclosed")
    with pytest.raises(T2VError, match="not valid YAML"):
        load_config(tmp_path / "p.yaml")


_LEAVES = [(f.name, None) for f in dataclasses.fields(Config) if f.name in ("seed", "device")] + [
    (f"{section}.{f.name}", None)
    for section in ("data", "model", "train", "sample")
    for f in dataclasses.fields(type(getattr(Config(), section)))
]
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.lists(st.one_of(st.integers(-5, 5), st.floats(-1, 1), st.text(max_size=5)), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.sampled_from([k for k, _ in _LEAVES] + ["bogus", "train.bogus"]), _VALUES, max_size=4)
)
def test_random_values_give_a_config_or_a_t2v_error(assignments):
    raw: dict = {}
    for key, value in assignments.items():
        section, _, leaf = key.partition(".")
        if leaf:
            raw.setdefault(section, {})[leaf] = value
        else:
            raw[section] = value
    try:
        cfg = config_from_dict(yaml.safe_load(yaml.safe_dump(raw)))
    except T2VError:
        return
    assert isinstance(cfg, Config)


@pytest.mark.parametrize(
    "text, section, key, expected",
    [
        ("train:\n  amp: off\n", "train", "amp", "off"),  # YAML 1.1 would read False
        ("train:\n  amp: bf16\n", "train", "amp", "bf16"),
        ("train:\n  lr: 1e-3\n", "train", "lr", 0.001),  # YAML 1.1 would read the string '1e-3'
        ("train:\n  lr: 2.0e-4\n", "train", "lr", 0.0002),
        ("train:\n  loss: bce\n", "train", "loss", "bce"),
        ("model:\n  arch: seed\ndata:\n  pair_share: 0\n", "model", "arch", "seed"),  # one object a clip
        ("device: cuda:1\n", None, "device", "cuda:1"),
        ("device: mps\n", None, "device", "mps"),
    ],
)
def test_every_documented_value_reads_as_documented(text, section, key, expected, tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text(text)
    cfg = load_config(path)
    assert getattr(getattr(cfg, section) if section else cfg, key) == expected


@pytest.mark.parametrize(
    "raw, fragment",
    [
        (
            {
                "data": {
                    "heldout": [["circle", "expanding"], ["square", "expanding"], ["triangle", "expanding"]]
                }
            },
            "every shape for 'expanding'",
        ),
        ({"data": {"n_clips": 20}}, "never use"),
        ({"train": {"batch_size": 30}}, "multiple of model.group"),
        (
            {"model": {"arch": "seed"}, "data": {"pair_share": 0.25}},
            "seed generator draws one object per clip",
        ),
        ({"data": {"heldout_pairings": [["red", "red"]]}}, "differ in colour"),
        (
            {"data": {"heldout_pairings": [["moving left", "red"]]}},
            "expected two motions",
        ),
        (
            {
                "data": {
                    "pair_share": 0.25,
                    "heldout_pairings": [[a, b] for a in COLOURS for b in COLOURS if a < b],
                }
            },
            "holds out every pairing",
        ),
    ],
)
def test_params_that_used_to_fail_after_training_fail_at_validation(raw, fragment):
    with pytest.raises(T2VError, match=fragment):
        config_from_dict(raw)


def test_a_duplicate_key_names_its_line(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("seed: 0\ntrain:\n  epochs: 3\n  lr: 0.001\n  epochs: 4\n")
    with pytest.raises(T2VError, match=r"duplicate key .epochs.* line 5") as caught:
        load_config(path)
    assert "\n" not in str(caught.value)


def test_an_alias_bomb_is_refused_in_one_line_before_it_expands(tmp_path):
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]" for i in range(8)]
    path = tmp_path / "p.yaml"
    path.write_text("\n".join(levels) + "\n")  # 10^9 leaves once expanded
    with pytest.raises(T2VError, match="aliases that expand to more than"):
        load_config(path)


def test_n_clips_has_a_stated_upper_bound_and_validating_it_costs_bounded_memory(monkeypatch):
    import tracemalloc

    from t2v.config import DataConfig

    bound = dataclasses.fields(DataConfig)[0].metadata["hi"]
    assert f"at most {bound:,}" in (ROOT / "params.yaml").read_text().replace("_", ",")
    with pytest.raises(T2VError, match=r"data.n_clips = 10000000 is invalid: must be in \[1, "):
        config_from_dict({"data": {"n_clips": 10_000_000}})
    tracemalloc.start()
    config_from_dict({"data": {"n_clips": bound}})
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50e6, f"validating {bound} clips peaked at {peak / 1e6:.0f} MB"
