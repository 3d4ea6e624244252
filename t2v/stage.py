"""What every stage script shares: positional paths and --params, one-line errors, and SIGTERM treated as
Ctrl-C."""

from __future__ import annotations

import argparse
import errno
import signal
import sys
import time
from collections.abc import Callable

from t2v.config import Config
from t2v.errors import T2VError
from t2v.params import load_config


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _os_error_line(err: OSError) -> str:
    """A failed read or write in one line: what, which file, and what to do."""
    where = f" ({err.filename})" if err.filename else ""
    hints = {
        errno.ENOSPC: "free some disk space and run again",
        errno.EDQUOT: "free some disk space and run again",
        errno.EFBIG: "the file is larger than this system allows (ulimit -f?)",
        errno.EACCES: "choose a place you may write to",
        errno.EROFS: "choose a writable place",
        errno.EISDIR: "name a file, not a directory",
        errno.ENOENT: "check the path (run `dvc repro` for pipeline inputs)",
    }
    reason = err.strerror or type(err).__name__
    return f"{reason}{where}: {hints.get(err.errno, 'earlier outputs are intact')}"


def guarded(fn: Callable[[], None]) -> None:
    """Run fn; a T2VError or a failed read or write becomes one line on stderr (exit 2), an interrupt exit
    130; outputs are written atomically, so earlier ones are intact either way."""
    signal.signal(signal.SIGTERM, _terminate)
    # A write past `ulimit -f` raises SIGXFSZ, which kills the process silently; as an error it gets a line.
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        fn()
    except T2VError as err:
        print(f"t2v: error: {err}", file=sys.stderr)
        sys.exit(2)
    except OSError as err:
        print(f"t2v: error: {_os_error_line(err)}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("t2v: interrupted: earlier outputs are intact; run again to finish", file=sys.stderr)
        sys.exit(130)


def run_stage(name: str, main: Callable[[Config, argparse.Namespace], str], **paths: str) -> None:
    """Parse the stage's paths, positional in the order given (dvc.yaml names each in the stage's cmd; a path
    left out takes its default here), and --params; then call main(config, args), which returns the stage's
    one-line summary."""
    parser = argparse.ArgumentParser(prog=name)
    for key, default in paths.items():
        parser.add_argument(key, nargs="?", default=default, help=f"default: {default}")
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args()

    def body() -> None:
        start = time.perf_counter()
        summary = main(load_config(args.params), args)
        print(f"{name}: {summary} ({time.perf_counter() - start:.1f}s)")

    guarded(body)
