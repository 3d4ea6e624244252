"""The learned judge: a small video classifier trained on real clips, frozen, and the scores it gives."""
