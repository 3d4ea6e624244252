import pytest
import torch

from t2v.devices import resolve_device
from t2v.errors import T2VError


def test_auto_picks_cuda_then_mps_then_cpu():
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("name", ["gpu", "cuda:x", "CPU", "", "tpu"])
def test_unknown_device_names_are_refused_naming_the_choices(name):
    with pytest.raises(T2VError, match="allowed: auto, cpu, cuda, cuda:N, mps"):
        resolve_device(name)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_a_gpu_fails_with_one_clear_line():
    with pytest.raises(T2VError, match="CUDA is not available") as err:
        resolve_device("cuda")
    assert "\n" not in str(err.value)
