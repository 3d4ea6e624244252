"""Thin DVC stage scripts over the t2v library; run as `python -m stages.<name>` from the repository root."""

import importlib.util
import sys

# A stage run by a Python without the project's packages (outside .venv, say) gets one line, not a traceback.
_NEEDED = ("t2v", "numpy", "torch", "zstandard", "cv2", "PIL", "tqdm", "ruamel.yaml", "matplotlib")
_missing = [name for name in _NEEDED if importlib.util.find_spec(name.split(".")[0]) is None]
if _missing:
    sys.exit(
        f"t2v: error: this Python ({sys.executable}) lacks {', '.join(_missing)}: run the pipeline with the "
        "project's environment (`make repro`, or `.venv/bin/dvc repro`)"
    )
