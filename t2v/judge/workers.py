"""Judging on every core: the judges are pure functions of pixels, so a prompt's clips are judged in a worker
process while others judge the next prompts' clips. The results are the same, in the same order, as judged
in one process."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

import cv2

from t2v.forks import cores

Work = TypeVar("Work")
Result = TypeVar("Result")
Judge = Callable[[Callable[[Work], Result], list[Work]], list[Result]]  # a map over a list, in order

PARALLEL_FROM = 500  # clips to judge: below it, starting worker processes costs more than it gains


@contextmanager
def judging(clips: int) -> Iterator[Judge]:
    """A map over lists of work (Judge): on one worker process per core when there are at least PARALLEL_FROM
    clips and more than one core, else in this process. Workers are forked: they share the parent's memory
    and import nothing (the judges use no torch, so no torch thread runs in them). The parent waits while
    they judge: generating the next prompts meanwhile measured slower on 2 cores (sample-video at the
    defaults: 106 s against 96 s, one run each)."""
    workers = cores() if clips >= PARALLEL_FROM else 1
    if workers == 1:
        yield lambda function, work: [function(item) for item in work]
        return
    # OpenCV's thread pool does not survive a fork: a worker that inherits it hangs in its first parallel
    # call. With one thread set before the fork, OpenCV runs every call in the calling thread.
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        # An executor, not multiprocessing.Pool: a worker that dies (killed for memory, say) fails the map
        # with BrokenProcessPool instead of leaving it waiting forever for the lost result.
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            yield lambda function, work: list(pool.map(function, work))
    finally:
        cv2.setNumThreads(threads)


def chunks(items: Iterable[Work], size: int) -> Iterator[list[Work]]:
    """items in lists of size (the last shorter): work handed to the workers a chunk at a time keeps memory
    at a chunk's clips."""
    chunk: list[Work] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
