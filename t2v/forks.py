"""Work spread over the cores by forking: a forked child shares the parent's memory as it was at the fork, so
it imports nothing and is handed nothing but its item, and what it writes into a shared array (shared_array)
the parent reads."""

from __future__ import annotations

import mmap
import multiprocessing
import os
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import TypeVar

import numpy as np

from t2v.errors import T2VError

Item = TypeVar("Item")
Result = TypeVar("Result")


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def shared_array(shape: tuple[int, ...], dtype: type = np.uint8) -> np.ndarray:
    """A zero-filled array in memory shared with the processes forked after it is made (an anonymous shared
    mapping, unmapped with the array)."""
    count = int(np.prod(shape))
    buffer = mmap.mmap(-1, max(count * np.dtype(dtype).itemsize, 1))
    return np.frombuffer(buffer, dtype=dtype, count=count).reshape(shape)


def in_forks(function: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
    """[function(item) for item in items], with every item after the first in a forked child of its own while
    this process works on the first; in turn here where there is one core. What the children return comes
    back pickled; an exception in a child is raised here, and a child that dies without an answer fails with
    its exit code."""
    if cores() < 2 or len(items) < 2:
        return [function(item) for item in items]
    context = multiprocessing.get_context("fork")
    children = []
    try:
        for item in items[1:]:
            receive, send = context.Pipe(duplex=False)
            child = context.Process(target=_answer, args=(function, item, send), daemon=True)
            child.start()
            send.close()
            children.append((child, receive))
        results = [function(items[0])]
        for child, receive in children:
            try:
                done, answer = receive.recv()
            except EOFError:
                child.join()
                raise T2VError(
                    f"a forked worker died without an answer (exit code {child.exitcode})"
                ) from None
            if not done:
                raise answer
            results.append(answer)
        return results
    finally:
        for child, _ in children:
            if child.is_alive():
                child.terminate()
            child.join()


def _answer(function: Callable[[Item], Result], item: Item, send: Connection) -> None:
    try:
        answer = (True, function(item))
    except BaseException as error:  # every failure goes back to the parent, which raises it
        answer = (False, error)
    send.send(answer)
