"""Two-object training data: the share param, held-out pairings never rendered, per-object tracks stored, the
judged pairs, and the training set seen object by object."""

import numpy as np
import torch

from t2v.config import DataConfig
from t2v.data.dataset import load_dataset
from t2v.data.scenes import (
    COLOUR_NAMES,
    PALETTE,
    heldout_pairs,
    is_heldout_pairing,
    n_pair_clips,
    sample_training_pair_scenes,
)
from t2v.data.synthesize import generate_dataset, write_dataset
from t2v.data.vocab import build_vocab
from t2v.judge.binding import judge_pair, unmix
from t2v.judge.eval_sets import eval_pairs
from t2v.model.layers import separate
from t2v.prompts import COLOURS, CONJUNCTION, MOTIONS, SHAPES, parse_scenes
from t2v.train.inputs import to_clips
from t2v.train.objects import object_items

CFG = DataConfig(n_clips=240, size=32, frames=12, pair_share=0.5)


def test_training_pairs_hold_no_heldout_pairing_and_differ_in_colour():
    pairs, prompts = sample_training_pair_scenes(CFG, np.random.default_rng(0), 2000)
    held = heldout_pairs(CFG)
    assert len(pairs) == len(prompts) == 2000
    for pair, prompt in zip(pairs, prompts):
        assert parse_scenes(prompt) == pair
        assert not is_heldout_pairing(pair, CFG)
        assert pair[0].rgb != pair[1].rgb
        assert all((s.shape, s.motion) not in held for s in pair)
    motions = {frozenset(s.motion for s in pair) for pair in pairs}
    assert frozenset({"moving left", "rotating clockwise"}) not in motions
    assert frozenset({"moving left", "moving up"}) in motions  # what is not held out is drawn
    assert all({p[0].colour or "blue", p[1].colour or "blue"} != {"red", "green"} for p in pairs)


def test_eval_pairs_cover_seen_and_every_heldout_pairing_in_both_orders():
    judged = eval_pairs(CFG)
    splits = {split for _, split in judged}
    assert splits == {"seen", "heldout"}
    for pair, split in judged:
        assert is_heldout_pairing(pair, CFG) == (split == "heldout")
        assert pair[0].rgb != pair[1].rgb
    orders = {(p[0].motion, p[1].motion) for p, s in judged if s == "heldout"}
    for a, b in CFG.heldout_pairings[:3]:  # the motion pairings
        assert (a, b) in orders and (b, a) in orders
    assert {p[0].motion for p, s in judged if s == "seen"} >= set(MOTIONS) - {"moving left"}


def test_dataset_stores_both_objects_tracks_and_its_pairs_bind(tmp_path):
    data = write_dataset(CFG, 0, tmp_path)
    back = load_dataset(tmp_path)
    assert n_pair_clips(CFG) == 120 and (back.objects == 2).sum() == 120
    for key in ("shape", "colour", "motion", "centres", "sizes"):
        assert np.array_equal(back.second[key], data.second[key])
    rows = np.flatnonzero(back.objects == 2)
    assert (back.second["shape"][back.objects == 1] == -1).all()
    assert all(CONJUNCTION in back.prompts[i].split() for i in rows)
    again = generate_dataset(CFG, 0)
    assert np.array_equal(again.clips, back.clips), "the same params and seed give the same bytes"


def test_the_datasets_two_object_clips_bind():
    """600 pairs: the misses (0.8%) are clockwise and counter-clockwise orbits, which must cross, and the
    outlines the layout could not keep apart."""
    data = generate_dataset(DataConfig(n_clips=1200, size=32, frames=12, pair_share=0.5), 0)
    rows = np.flatnonzero(data.objects == 2)
    verdicts = [judge_pair(data.clips[i], parse_scenes(data.prompts[i])) for i in rows]
    assert np.mean([v.bound for v in verdicts]) >= 0.99
    differ = [v for i, v in zip(rows, verdicts) if data.motion[i] != data.second["motion"][i]]
    assert np.mean([v.bound_swapped for v in differ]) <= 0.05  # a swap of one motion with itself is none


def test_without_pairs_the_dataset_has_one_object_per_clip():
    data = generate_dataset(DataConfig(n_clips=60, size=16, frames=8, pair_share=0.0), 0)
    assert data.second is None and (data.objects == 1).all()


def test_objects_of_a_two_object_clip_are_items_with_their_own_words():
    data = generate_dataset(CFG, 0)
    vocab = build_vocab(data.prompts)
    items = object_items(data, vocab)
    assert len(items) == len(data.prompts) + n_pair_clips(CFG)
    words = lambda ids: " ".join(vocab[i] for i in ids if i)  # noqa: E731
    for k in torch.nonzero(items.slot == 1).squeeze(1)[:20].tolist():
        clip = items.clip[k].item()
        first, second = parse_scenes(data.prompts[clip])
        assert parse_scenes(words(items.own[k])) == (second,)
        assert words(items.ids[k]) == data.prompts[clip].lower()
        swapped = parse_scenes(words(items.swapped[k]))[0]
        assert (swapped.shape, swapped.colour, swapped.motion) == (second.shape, second.colour, first.motion)
        labels = items.labels[k].tolist()
        assert labels == [
            SHAPES.index(second.shape),
            COLOUR_NAMES.index(second.colour or "blue"),
            MOTIONS.index(second.motion),
        ]


def test_separate_reads_each_object_as_the_metric_does():
    data = generate_dataset(CFG, 1)
    items = object_items(data, build_vocab(data.prompts))
    rows = torch.nonzero(items.paired).squeeze(1)[:40]
    shown = separate(to_clips(data.clips[items.clip[rows].numpy()], "cpu"), items.fills[rows])
    for j, k in enumerate(rows.tolist()):
        clip = items.clip[k].item()
        colours = (tuple(PALETTE[data.colour[clip]]), tuple(PALETTE[data.second["colour"][clip]]))
        truth = unmix(data.clips[clip], colours)[items.slot[k].item()]
        assert (to_clips(truth[None], "cpu") - shown[j : j + 1]).abs().max() * 127.5 <= 1.0
    assert set(COLOURS) == set(COLOUR_NAMES)


def test_each_items_targets_are_its_real_objects_path_and_colour_to_the_bit():
    """real_targets, read once for the training set, are what a step would read off its batch's real
    objects, for any batch: the generator trains bit for bit as when each step computed them."""
    from t2v.model.paths import clip_paths, solid_colour
    from t2v.train.inputs import real_objects, real_targets

    data = generate_dataset(CFG, 2)
    items = object_items(data, build_vocab(data.prompts))
    targets = real_targets(items, data.clips)
    assert targets.path.shape == (len(items), CFG.frames, 8) and targets.colour.shape == (len(items), 3)
    batch = torch.randperm(len(items), generator=torch.Generator().manual_seed(0))[:48]
    paired = torch.nonzero(items.paired[batch]).squeeze(1)
    assert 0 < len(paired) < len(batch)
    clips = torch.from_numpy(data.clips[items.clip[batch].numpy()])
    real = real_objects(clips, paired, items.fills[batch[paired]])
    assert torch.equal(targets.path[batch], clip_paths(real))
    assert torch.equal(targets.colour[batch], solid_colour(real))
