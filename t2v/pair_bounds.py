"""What the data's two-object layout (t2v.data.layout, numpy) and the generator's (t2v.model.layout, torch)
share: how far a path may be moved and how many moves are tried. Each then tests candidates its own way, for
the reason t2v.model.layout gives."""

PAIR_SHIFT = 0.25  # the largest sideways shift of a path, in frame widths: most of the room its motion leaves
LAYOUT_TRIES = 256  # moves tried per pair; the first that keeps the objects apart and inside the frame wins
