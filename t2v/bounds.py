"""What the layered generator (t2v.models) can draw at most, which the params' validation (t2v.config) checks the
data against: a model that cannot reach the data's widest motion would fail it silently. Changing a bound changes
the model, so this module is a dependency of every stage that builds one (dvc.yaml)."""

# The widest orbit the layered generator can draw, degrees over a clip (t2v.models.LayeredGenerator bounds its
# turn per frame): 10% past the default data's widest, 210.
LAYERED_MAX_SWEEP_DEG = 232.0
# The widest spread of speeds the layered generator can draw, as the log-sd of its tempo (t2v.models): 1.2 times
# the default data's (speeds uniform on [0.025, 0.045], a log-sd of 0.17). Bounded at 0.5, the path terms widened
# the translations' and bounces' to 0.3-0.5 and a third of the horizontal bounces missed their wall (README).
LAYERED_MAX_TEMPO_SPREAD = 0.2
