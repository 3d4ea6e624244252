"""The typed configuration: the schema of params.yaml as dataclasses, each knob's type, default and allowed
range.

params.yaml documents each knob (DVC's convention). This module checks types and ranges only and imports
nothing else of t2v; the rules that tie knobs to each other and to the prompt language are t2v.params'."""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from t2v.errors import T2VError


def knob(default: Any, lo: float | None = None, hi: float | None = None, **kw: Any) -> Any:
    """A config field with its allowed range and shape (pair=True: a [low, high] list; min_len: list length);
    lists get a fresh copy per instance."""
    meta = {"lo": lo, "hi": hi, **kw}
    if isinstance(default, list):
        return field(
            default_factory=lambda: [list(x) if isinstance(x, list) else x for x in default], metadata=meta
        )
    return field(default=default, metadata=meta)


def knob_range(cls: type, name: str) -> tuple[int, int]:
    """The allowed [lo, hi] of an integer knob of a config class (its command-line flags use the same)."""
    meta = {f.name: f.metadata for f in dataclasses.fields(cls)}[name]
    return int(meta["lo"]), int(meta["hi"])


@dataclass
class DataConfig:
    n_clips: int = knob(6000, lo=1, hi=1_000_000)
    frames: int = knob(10, lo=8, hi=64)
    size: int = knob(64, lo=16, hi=256)
    shape_size: list[float] = knob([0.12, 0.18], lo=0.04, hi=0.25, pair=True)
    speed: list[float] = knob([0.025, 0.045], lo=0.0, hi=0.1, pair=True)
    orbit_radius: list[float] = knob([0.22, 0.28], lo=0.05, hi=0.3, pair=True)
    orbit_sweep: list[float] = knob([150.0, 210.0], lo=90.0, hi=330.0, pair=True)
    scale_ratio: list[float] = knob([0.45, 0.55], lo=0.2, hi=0.6, pair=True)
    bounce_speed: list[float] = knob([0.05, 0.07], lo=0.01, hi=0.15, pair=True)
    zigzag_amplitude: list[float] = knob([0.08, 0.11], lo=0.03, hi=0.15, pair=True)
    zigzag_half_period: list[float] = knob([2.0, 3.0], lo=1.0, hi=8.0, pair=True)
    position_jitter: float = knob(0.05, lo=0.0, hi=0.2)
    heldout: list[list[str]] = knob(
        [
            ["circle", "moving up-right"],
            ["square", "rotating counter-clockwise"],
            ["triangle", "expanding"],
            ["square", "zigzagging horizontally"],
        ],
        min_len=1,
    )
    pair_share: float = knob(0.25, lo=0.0, hi=0.9)
    heldout_pairings: list[list[str]] = knob(
        [
            ["moving left", "rotating clockwise"],
            ["bouncing vertically", "zigzagging horizontally"],
            ["expanding", "moving down-right"],
            ["red", "green"],
        ],
        min_len=0,
    )


@dataclass
class ModelConfig:
    arch: Literal["layered", "seed"] = "layered"
    text_dim: int = knob(64, lo=4, hi=1024)
    noise_dim: int = knob(16, lo=1, hi=512)
    g_channels: int = knob(64, lo=4, hi=1024)
    d_channels: int = knob(16, lo=4, hi=1024)
    group: int = knob(4, lo=1, hi=64)


@dataclass
class TrainConfig:
    epochs: int = knob(12, lo=1)
    batch_size: int = knob(64, lo=1)
    lr: float = knob(0.0002, lo=0.0, lo_open=True, hi=1.0)
    lr_decay: bool = True
    betas: list[float] = knob([0.5, 0.999], lo=0.0, hi=0.99999, pair=True, sorted_pair=False)
    loss: Literal["hinge", "bce"] = "hinge"
    mismatch_weight: float = knob(0.5, lo=0.0, hi=1.0)
    aux_weight: float = knob(1.0, lo=0.0, hi=100.0)
    variety_weight: float = knob(1.0, lo=0.0, hi=100.0)
    moment_weight: float = knob(5.0, lo=0.0, hi=100.0)
    energy_weight: float = knob(4.0, lo=0.0, hi=100.0)
    ema: float = knob(0.0, lo=0.0, hi=0.99999)
    amp: Literal["bf16", "off"] = "bf16"
    compile: bool = False
    log_every: int = knob(10, lo=1)


@dataclass
class SampleConfig:
    prompts: list[str] = knob(
        [
            "circle moving up",
            "circle moving down",
            "circle moving left",
            "circle moving right",
            "circle moving up-right",
            "circle moving up-left",
            "circle moving down-right",
            "circle moving down-left",
            "circle rotating clockwise",
            "circle rotating counter-clockwise",
            "circle shrinking",
            "circle expanding",
            "circle bouncing vertically",
            "circle bouncing horizontally",
            "circle zigzagging vertically",
            "circle zigzagging horizontally",
            "square rotating counter-clockwise",
            "triangle expanding",
            "square zigzagging horizontally",
            "red square moving up-right",
            "green triangle rotating clockwise",
            "yellow circle bouncing horizontally",
            "blue square shrinking",
            "red circle moving left and blue square moving up",
            "green triangle rotating clockwise and yellow circle moving down",
            "yellow square moving left and blue triangle rotating clockwise",
            "red square bouncing vertically and green circle zigzagging horizontally",
        ],
        min_len=1,
    )
    variety: list[str] = knob(
        [
            "circle rotating clockwise",
            "square bouncing vertically",
            "triangle zigzagging horizontally",
            "circle moving up-right",
        ],
        min_len=0,
    )
    grid: int = knob(4, lo=1, hi=64)
    fps: int = knob(8, lo=1, hi=60)
    eval_clips: int = knob(20, lo=1, hi=1000)


@dataclass
class JudgeConfig:
    seed: int = knob(1, lo=0, hi=2**31 - 1)
    clips: int = knob(4000, lo=16, hi=100_000)
    epochs: int = knob(14, lo=1, hi=1000)
    batch_size: int = knob(32, lo=2, hi=4096)
    lr: float = knob(0.003, lo=0.0, lo_open=True, hi=1.0)
    width: int = knob(48, lo=4, hi=256)
    pair_share: float = knob(0.5, lo=0.0, hi=1.0)
    shape_size: list[float] = knob([0.08, 0.22], lo=0.04, hi=0.25, pair=True)
    test_clips: int = knob(2000, lo=16, hi=100_000)
    min_accuracy: float = knob(0.99, lo=0.0, hi=1.0)


@dataclass
class ReportConfig:
    # The git revision the report compares with: its model, or, where that is this run's model, the newest
    # earlier commit whose model differs.
    baseline: str = knob("main", pattern=r"^[\w./@^~{}-]{1,200}$")


@dataclass
class Config:
    seed: int = knob(0, lo=0, hi=2**31 - 1)
    device: str = "auto"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    sample: SampleConfig = field(default_factory=SampleConfig)
    judge: JudgeConfig = field(default_factory=JudgeConfig)
    report: ReportConfig = field(default_factory=ReportConfig)


def invalid(key: str, value: Any, allowed: str) -> T2VError:
    return T2VError(f"params: {key} = {value!r} is invalid: {allowed}")


def _check_number(key: str, value: Any, kind: type, meta: dict) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int):
        raise invalid(key, value, f"expected {'a number' if kind is float else 'an integer'}")
    if not math.isfinite(value):
        raise invalid(key, value, "must be a finite number")
    lo, hi, lo_open = meta.get("lo"), meta.get("hi"), meta.get("lo_open", False)
    if lo is not None and (value <= lo if lo_open else value < lo) or hi is not None and value > hi:
        bounds = (
            f"{'>' if lo_open else '>='} {lo}" if hi is None else f"in {'(' if lo_open else '['}{lo}, {hi}]"
        )
        raise invalid(key, value, f"must be {bounds}")
    return kind(value)


def _check_value(key: str, value: Any, hint: Any, meta: dict) -> Any:
    """The value's type and range against the field's hint and knob metadata; what names mean is
    _check_rules'."""
    origin = typing.get_origin(hint)
    if origin is Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            raise invalid(key, value, f"allowed: {', '.join(choices)}")
        return value
    if hint in (int, float):
        return _check_number(key, value, hint, meta)
    if hint is bool:
        if not isinstance(value, bool):
            raise invalid(key, value, "expected true or false")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise invalid(key, value, "expected a string")
        if "pattern" in meta and not re.match(meta["pattern"], value):
            raise invalid(key, value, "expected a git revision: a branch, tag or commit, no spaces")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise invalid(key, value, "expected a list")
        (item,) = typing.get_args(hint)
        if meta.get("pair"):
            if len(value) != 2:
                raise invalid(key, value, "expected a [low, high] pair")
            out = [_check_number(key, v, float, meta) for v in value]
            if meta.get("sorted_pair", True) and out[0] > out[1]:
                raise invalid(key, value, "low must not exceed high")
            return out
        if len(value) < meta.get("min_len", 0):
            raise invalid(key, value, f"needs at least {meta['min_len']} item(s)")
        return [_check_value(key, v, item, {}) for v in value]
    raise TypeError(f"unsupported config type {hint!r} for {key}")  # a bug in the schema, not user input


def _build(cls: type, raw: Any, prefix: str) -> Any:
    if not isinstance(raw, dict):
        raise invalid(prefix.rstrip(".") or "params", raw, "expected a mapping of keys to values")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in raw if k not in fields]
    if unknown:
        names = ", ".join(_suggest(f"{prefix}{k}", [f"{prefix}{n}" for n in fields]) for k in unknown)
        raise T2VError(f"params: unknown key {names}; allowed keys: {', '.join(prefix + n for n in fields)}")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, value in raw.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            kwargs[name] = _build(hint, value, f"{prefix}{name}.")
        else:
            kwargs[name] = _check_value(f"{prefix}{name}", value, hint, dict(fields[name].metadata))
    return cls(**kwargs)


def _suggest(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.5)
    return f"'{key}' (did you mean {' or '.join(repr(c) for c in close)}?)" if close else f"'{key}'"


def build_config(raw: Any) -> Config:
    """The typed Config of a params mapping (missing keys take defaults), its types and ranges checked; the
    cross-field rules are t2v.params.check_rules'."""
    return _build(Config, {} if raw is None else raw, "")


# The most values params.yaml may hold once its aliases are expanded: the real file holds a few hundred, and
# nested aliases ("billion laughs") would otherwise expand to gigabytes before any check ran.
MAX_YAML_VALUES = 100_000


def read_params(path: Path) -> Any:
    """Parse params.yaml by YAML 1.2, as DVC does: `off` and `no` stay strings, `1e-3` is a number."""
    yaml = YAML(typ="safe", pure=True)
    text = path.read_text()
    try:
        values = _expanded_size(yaml.compose(text), {})
        if values > MAX_YAML_VALUES:
            raise T2VError(
                f"params file {str(path)!r} holds aliases that expand to more than {MAX_YAML_VALUES:,} "
                "values; write the values out"
            )
        return _plain(yaml.load(text))
    except MarkedYAMLError as err:
        line = f" at line {err.problem_mark.line + 1}" if err.problem_mark else ""
        problem = err.problem or str(err).splitlines()[0]
        raise T2VError(f"params file {str(path)!r} is not valid YAML: {problem}{line}") from None
    except YAMLError as err:
        raise T2VError(f"params file {str(path)!r} is not valid YAML: {str(err).splitlines()[0]}") from None


def _expanded_size(node: Any, sizes: dict[int, int]) -> int:
    """How many values a composed YAML node holds with its aliases expanded, counting each shared node once
    per use without expanding it."""
    if node is None:
        return 0
    if id(node) not in sizes:
        sizes[id(node)] = 1  # a node that contains itself counts once
        children = node.value if isinstance(node.value, list) else []
        flat = [c for child in children for c in (child if isinstance(child, tuple) else (child,))]
        sizes[id(node)] = 1 + sum(_expanded_size(child, sizes) for child in flat)
    return sizes[id(node)]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def config_to_dict(config: Any) -> dict:
    return dataclasses.asdict(config)
