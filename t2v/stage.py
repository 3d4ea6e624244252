"""What every stage script shares: --params and path options, one-line errors, and SIGTERM treated as Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from typing import Callable

from t2v.config import Config, load_config
from t2v.errors import T2VError


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def guarded(fn: Callable[[], None]) -> None:
    """Run fn; a T2VError becomes one line on stderr (exit 2), an interrupt exit 130 with outputs intact."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        fn()
    except T2VError as err:
        print(f"t2v: error: {err}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("t2v: interrupted: earlier outputs are intact; run again to finish", file=sys.stderr)
        sys.exit(130)


def run_stage(name: str, main: Callable[[Config, argparse.Namespace], str], **paths: str) -> None:
    """Parse --params and one --<path> option per keyword (its default), then call main(config, args),
    which returns the stage's one-line summary."""
    parser = argparse.ArgumentParser(prog=name)
    parser.add_argument("--params", default="params.yaml")
    for key, default in paths.items():
        parser.add_argument(f"--{key.replace('_', '-')}", dest=key, default=default)
    args = parser.parse_args()

    def body() -> None:
        start = time.perf_counter()
        summary = main(load_config(args.params), args)
        print(f"{name}: {summary} ({time.perf_counter() - start:.1f}s)")

    guarded(body)
