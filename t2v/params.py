"""params.yaml to a validated Config: types and ranges (t2v.config), then every rule that ties knobs to each
other, to the prompt language and to what the generator can draw. A run that passes them does not fail later
for its params."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from t2v.config import Config, DataConfig, build_config, invalid, read_params
from t2v.data.scenes import sample_training_scenes
from t2v.devices import check_device_name
from t2v.errors import T2VError
from t2v.model.bounds import LAYERED_MAX_SWEEP_DEG, LAYERED_MAX_TEMPO_SPREAD
from t2v.prompts import COLOURS, KNOWN_WORDS, MOTIONS, SHAPES, parse_prompt, parse_scenes, tokenize


def config_from_dict(raw: Any) -> Config:
    """Validate a params mapping (missing keys take defaults) and return the typed Config."""
    config = build_config(raw)
    check_rules(config)
    return config


def check_rules(config: Config) -> None:
    """Every rule beyond type and range, all here: names that must exist (device, prompt words, held-out
    pairs) and rules that tie fields together. A run that passes them does not fail later for its params."""
    check_device_name(config.device, "params: device")
    for key, parse in (("prompts", parse_scenes), ("variety", parse_prompt)):
        for prompt in getattr(config.sample, key):
            try:
                parse(prompt)
            except T2VError as err:
                raise T2VError(f"params: sample.{key}: {err}") from None
    _check_pairings(config.data)
    for pair in config.data.heldout:
        _check_heldout_pair(pair)
    held = {tuple(pair) for pair in config.data.heldout}
    for motion in MOTIONS:
        if all((shape, motion) in held for shape in SHAPES):
            raise invalid(
                "data.heldout",
                config.data.heldout,
                f"holds out every shape for {motion!r}: its words would "
                "never be trained; keep at least one shape of each motion in training",
            )
    for shape in SHAPES:
        if all((shape, motion) in held for motion in MOTIONS):
            raise invalid(
                "data.heldout", config.data.heldout, f"holds out every motion of {shape!r}: keep at least one"
            )
    _check_every_word_trained(config)
    if config.model.arch == "layered" and config.data.orbit_sweep[1] > LAYERED_MAX_SWEEP_DEG:
        raise invalid(
            "data.orbit_sweep",
            config.data.orbit_sweep,
            f"the layered generator turns at most {LAYERED_MAX_SWEEP_DEG:g} degrees over a clip; "
            "keep the widest orbit within that",
        )
    spread = speed_spread(config.data.speed)
    if config.model.arch == "layered" and spread > LAYERED_MAX_TEMPO_SPREAD:
        raise invalid(
            "data.speed",
            config.data.speed,
            f"the layered generator spreads speeds by a log-sd of at most {LAYERED_MAX_TEMPO_SPREAD:g} "
            f"(here {spread:.2f}); keep the fastest within "
            f"{math.exp(LAYERED_MAX_TEMPO_SPREAD * math.sqrt(12)):.2f} times the slowest",
        )
    if config.model.arch == "seed" and config.data.pair_share:
        raise invalid(
            "data.pair_share",
            config.data.pair_share,
            "the seed generator draws one object per clip: set data.pair_share to 0 or model.arch to layered",
        )
    size = config.data.size
    if size % 16:
        raise invalid("data.size", size, "must be a multiple of 16 (the models halve it four times)")
    if config.train.batch_size % config.model.group:
        raise invalid(
            "train.batch_size",
            config.train.batch_size,
            f"must be a multiple of model.group ({config.model.group}): batches are whole groups",
        )
    if config.data.frames % 2:
        raise invalid("data.frames", config.data.frames, "must be even (the video discriminator halves time)")


def speed_spread(speed: list[float]) -> float:
    """About the log-sd of speeds drawn uniformly from [low, high]: ln(high / low) / sqrt(12), as if uniform
    in the log (0.170 for the default [0.025, 0.045], whose exact log-sd is 0.168)."""
    low, high = speed
    if low <= 0:
        return 0.0 if high <= 0 else math.inf
    return math.log(high / low) / math.sqrt(12)


def _check_pairings(data: DataConfig) -> None:
    """A held-out pairing names two motions or two different colours; some colour pairing is left to train."""
    for pairing in data.heldout_pairings:
        if not (len(pairing) == 2 and (set(pairing) <= set(MOTIONS) or set(pairing) <= set(COLOURS))):
            raise invalid(
                "data.heldout_pairings",
                pairing,
                f"expected two motions ({', '.join(MOTIONS)}) or two colours ({', '.join(COLOURS)})",
            )
        if pairing[0] == pairing[1] and pairing[0] in COLOURS:
            raise invalid("data.heldout_pairings", pairing, "the two objects of a clip differ in colour")
    colours = {frozenset(p) for p in data.heldout_pairings if set(p) <= set(COLOURS)}
    if data.pair_share and len(colours) >= len(COLOURS) * (len(COLOURS) - 1) // 2:
        raise invalid(
            "data.heldout_pairings", data.heldout_pairings, "holds out every pairing of colours: keep one"
        )


def _check_heldout_pair(pair: list[str]) -> None:
    if len(pair) != 2:
        raise invalid("data.heldout", pair, "expected a [shape, motion] pair")
    for name, options in zip(pair, (SHAPES, MOTIONS)):
        if name not in options:
            raise invalid("data.heldout", pair, f"{name!r} is not one of: {', '.join(options)}")


# Prompts drawn to check that training uses every word. Up to this many the check draws them all; beyond it, a
# draw this large, balanced over the training pairs, misses a colour with odds under (3/4)^20,000.
WORD_CHECK_CLIPS = 20_000


def _check_every_word_trained(config: Config) -> None:
    """The training prompts these params draw must use every word of the language, or sampling fails for a
    prompt the model never read. Drawing them is cheap, so this is checked before any stage runs."""
    n = min(config.data.n_clips, WORD_CHECK_CLIPS)
    _, prompts = sample_training_scenes(config.data, np.random.default_rng(config.seed), n)
    missing = sorted(set(KNOWN_WORDS) - {w for p in prompts for w in tokenize(p)})
    if missing:
        raise invalid(
            "data.n_clips",
            config.data.n_clips,
            f"too small: the training prompts would never use "
            f"{', '.join(map(repr, missing))}; use a few hundred clips or more",
        )


def load_config(path: str | Path = "params.yaml") -> Config:
    path = Path(path)
    if not path.exists():
        raise T2VError(f"params file {str(path)!r} not found: run from the repository root or pass --params")
    return config_from_dict(read_params(path))
