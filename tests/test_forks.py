"""Work on forked processes: results in order, shared memory written by children, failures raised here."""

import os

import numpy as np
import pytest

from t2v import forks
from t2v.errors import T2VError


@pytest.fixture(params=[1, 2], ids=["one core", "two cores"])
def cores(request, monkeypatch):
    monkeypatch.setattr(forks, "cores", lambda: request.param)
    return request.param


def test_each_item_is_worked_once_in_order_and_what_children_write_is_shared(cores):
    out = forks.shared_array((3, 4), dtype=np.int64)

    def work(row: int) -> tuple[int, int]:
        out[row] = row + 1
        return row, os.getpid()

    answers = forks.in_forks(work, [0, 1, 2])
    assert [row for row, _ in answers] == [0, 1, 2]
    assert out.tolist() == [[1] * 4, [2] * 4, [3] * 4]
    pids = {pid for _, pid in answers}
    if cores == 1:
        assert pids == {os.getpid()}  # all here, in turn
    else:
        assert len(pids) == 3 and os.getpid() in pids  # the first here, each other in a child of its own


def test_a_childs_error_is_raised_here(cores):
    def work(item: int) -> int:
        if item == 2:
            raise T2VError("item 2 is bad")
        return item

    with pytest.raises(T2VError, match="item 2 is bad"):
        forks.in_forks(work, [1, 2])


def test_a_child_that_dies_without_an_answer_fails_with_its_exit_code(monkeypatch):
    monkeypatch.setattr(forks, "cores", lambda: 2)

    def work(item: int) -> int:
        if item:
            os._exit(3)
        return item

    with pytest.raises(T2VError, match="exit code 3"):
        forks.in_forks(work, [0, 1])
