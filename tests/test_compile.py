"""train.compile: the step under torch.compile (inductor, on the CPU here) trains as the eager one."""

import copy
import shutil

import pytest
import torch
from torch._dynamo.utils import counters

from t2v.data.synthesize import generate_dataset
from t2v.data.vocab import build_vocab
from t2v.train.trainer import Trainer
from tests.conftest import tiny_config

pytestmark = pytest.mark.skipif(
    not (shutil.which("g++") or shutil.which("c++")), reason="inductor compiles C++ on the CPU"
)


@pytest.mark.parametrize("arch", ["layered", "seed"])
def test_a_compiled_step_trains_as_the_eager_one(arch):
    """Each step from the same weights and optimizer state gives the eager step's losses: for the layered
    generator over batches of several numbers of second objects, for which its motion loop is compiled once.
    (Weights are copied before each step: Adam turns rounding-sized differences in near-zero gradients into
    whole-rate updates, so two runs part within steps however close their arithmetic.)"""
    cfg = tiny_config(model={"arch": arch}, data={"pair_share": 0.25 if arch == "layered" else 0.0})
    data = generate_dataset(cfg.data, cfg.seed)
    vocab = build_vocab(data.prompts)
    trainers = []
    for compiled in (False, True):
        cfg.train.compile = compiled
        trainers.append(Trainer(cfg, data, vocab, torch.device("cpu")))
    eager, compiled = trainers
    rng = torch.Generator().manual_seed(0)
    steps = [eager.inputs(idx, rng) for idx in eager._epoch_batches()[:6]]
    if arch == "layered":
        assert len({len(inputs.second) for inputs in steps}) > 1, "batches with different second objects"
    counters.clear()
    for inputs in steps:
        for name in ("G", "D", "opt_g", "opt_d"):
            getattr(compiled, name).load_state_dict(copy.deepcopy(getattr(eager, name).state_dict()))
        expected, found = eager.step(inputs), compiled.step(inputs)
        assert torch.isfinite(found).all()
        torch.testing.assert_close(found, expected, rtol=1e-3, atol=1e-3)
    assert counters["aot_autograd"]["ok"] >= 2, "D and G ran compiled, with their backward"
