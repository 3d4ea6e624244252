"""Training: the trainer and its step, the losses, the training set object by object, the dvclive monitor,
resume state, distributed helpers and the heap setting."""
