"""Thin DVC stage scripts over the t2v library; run as `python -m stages.<name>` from the repository root."""
