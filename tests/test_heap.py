import resource
import sys

import pytest
import torch

from t2v.data.synthesize import generate_dataset
from t2v.data.vocab import build_vocab
from t2v.train.trainer import Trainer
from tests.conftest import tiny_config


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_training_epoch_reuses_the_heap_rather_than_faulting_its_memory_in_afresh():
    cfg = tiny_config(train={"batch_size": 32})
    data = generate_dataset(cfg.data, cfg.seed)
    trainer = Trainer(cfg, data, build_vocab(data.prompts), torch.device("cpu"))
    for _ in range(2):  # the heap grows to the step's working set
        trainer.run_epoch()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    trainer.run_epoch()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    # glibc's defaults: about 5,000-7,500 here (mmap and trim return each batch to the OS); kept: about 0.
    assert faults < 1000, f"{faults} page faults in an epoch: freed memory went back to the OS"
