"""Sampling a trained generator: clips and videos for prompts, every prompt judged, the failure gallery."""
