"""The training data: scenes drawn, motions and two-object layouts, clips rendered and written, read back,
and the vocabulary. Never imports the model."""
