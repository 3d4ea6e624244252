"""The pixel judges: tracks, shape fits, per-clip verdicts, two-object binding, and the prompts they judge.
numpy only: never imports torch or the model."""
