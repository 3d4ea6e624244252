"""What the layered generator can draw at most. The params' validation (t2v.params) checks the data against
these bounds: a model that cannot reach the data's widest motion would fail it silently."""

# The widest orbit the layered generator draws, degrees over a clip: 10% past the default data's widest, 210.
LAYERED_MAX_SWEEP_DEG = 232.0
# The widest spread of speeds it draws, as the log-sd of its tempo: 1.2 times the default data's (speeds
# uniform on [0.025, 0.045], a log-sd of 0.17). Wider, the path terms spread the bounces' speeds so far that
# slow ones never reach a wall (docs/experiments.md).
LAYERED_MAX_TEMPO_SPREAD = 0.2
