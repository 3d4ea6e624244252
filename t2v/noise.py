"""Run-to-run noise of the scores: one generator evaluated with several evaluation seeds, and the standard
deviation over seeds of each per-motion and per-pair figure. The report counts a change against its baseline
only past this noise (t2v.report.compare.NOISE holds what `t2v noise` measured)."""

from __future__ import annotations

import numpy as np
import torch

from t2v.atomic import write_json
from t2v.config import Config
from t2v.data.dataset import load_heldout
from t2v.model.checkpoint import load_generator
from t2v.report.compare import figures
from t2v.sample.evaluate import evaluate


def measure_noise(cfg: Config, model: str, heldout: str, seeds: list[int], out: str) -> None:
    """Write to out the std over seeds of each figure, and per kind (motion, diversity, binding) their RMS."""
    generator, vocab, _ = load_generator(model)
    held = load_heldout(heldout)
    runs = [
        figures(
            evaluate(
                generator,
                vocab,
                held,
                cfg.sample.eval_clips,
                seed,
                torch.device("cpu"),
                cfg.data,
            )[0]
        )
        for seed in seeds
    ]
    std = {key: float(np.std([run[key] for run in runs], ddof=1)) for key in runs[0]}
    kinds = {key.split(" · ")[0] for key in std}
    pooled = {
        kind: round(float(np.sqrt(np.mean([v**2 for k, v in std.items() if k.startswith(kind)]))), 4)
        for kind in sorted(kinds)
    }
    report = {
        "seeds": seeds,
        "eval_clips": cfg.sample.eval_clips,
        "pooled_std": pooled,
        "per_group_std": {k: round(v, 4) for k, v in sorted(std.items())},
    }
    write_json(out, report)
    print(f"pooled std over seeds {seeds}: {pooled} -> {out}")
