import csv
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from t2v.config import config_to_dict
from t2v.data.synthesize import generate_dataset, write_dataset
from t2v.data.vocab import build_vocab, save_vocab
from t2v.errors import T2VError
from t2v.judge.binding import unmix
from t2v.judge.tracks import measure
from t2v.model.checkpoint import load_generator
from t2v.prompts import COLOURS, DIRECTIONS, MOTIONS
from t2v.sample.generate import generate
from t2v.train import state as train_state
from t2v.train import trainer as train_module
from tests.conftest import ROOT, run, tiny_config, train_into


def _train_stage_args(tmp_path):
    """`-m stages.train_gan` and its paths, all under tmp_path: params, dataset, vocab, model, state,
    dvclive."""
    paths = ("ds", "vocab.json", "g.pt", "s.pt", "live")
    return [
        "-m",
        "stages.train_gan",
        "--params",
        str(tmp_path / "params.yaml"),
        *(str(tmp_path / p) for p in paths),
    ]


def _weights(path):
    return torch.load(path, weights_only=True)["state_dict"]


def _steps(live, name):
    """The steps and values dvclive logged for a metric."""
    rows = list(csv.DictReader((live / "plots/metrics" / f"{name}.tsv").open(), delimiter="\t"))
    return [int(r["step"]) for r in rows], [float(r[name.split("/")[-1]]) for r in rows]


def _leaves(tree) -> int:
    return sum(_leaves(v) for v in tree.values()) if isinstance(tree, dict) else 1


def test_dvclive_logs_steps_epochs_samples_and_the_summary(tmp_path, tiny):
    cfg = tiny_config(train={"epochs": 2})
    summary = train_into(cfg, tmp_path)
    live = tmp_path / "live"
    saved = json.loads((live / "metrics.json").read_text())
    facts = yaml.safe_load((live / "params.yaml").read_text())
    assert facts["device"] == "cpu" and facts["n_params"]["generator"] > 0 and facts["clips_per_s"] > 0
    assert facts["epochs"] == 2 and {**saved, **facts} == json.loads(json.dumps(summary))
    # each metric is a column of `dvc exp show`: the step curves, the epoch's quick scores and the timing
    assert _leaves(saved) <= 12, saved
    steps, losses = _steps(live, "train/loss_d")
    assert steps == list(range(1, facts["steps"] + 1)) and all(np.isfinite(losses))  # log_every 1
    for name in (
        "train/loss_g",
        "train/d_real",
        "train/d_fake",
        "train/clips_per_s",
        "epoch/motion",
        "epoch/diversity",
    ):
        assert _steps(live, name)[0], name
    assert 0.0 <= saved["epoch"]["motion"] <= 1.0 and 0.0 <= saved["epoch"]["diversity"] <= 1.0
    images = sorted(p.name for p in (live / "plots/images/samples").iterdir())
    assert images == ["1.png", "2.png"]
    from PIL import Image

    size = cfg.data.size
    # a labelled row per motion and per two-object prompt (four, the tiny vocabulary reads "and"), frames in
    # one-pixel borders, at most 600 px wide
    width, height = Image.open(live / "plots/images/samples/2.png").size
    assert width <= 600 and height == (len(MOTIONS) + 4) * (size + 1) + 1
    assert not (tmp_path / "steps.csv").exists() and not hasattr(train_module, "write_log")


def test_throughput_counts_the_clips_seen_not_steps_times_batch_size(tmp_path):
    cfg = tiny_config(train={"batch_size": 480, "epochs": 2})  # five times the 96 clips
    metrics = train_into(cfg, tmp_path)
    assert metrics["clips"] < metrics["steps"] * cfg.train.batch_size / 2
    # wall_time_s is rounded to 10 ms of a sub-second run
    assert metrics["clips_per_s"] * metrics["wall_time_s"] == pytest.approx(metrics["clips"], rel=0.03)


def test_lr_decay_lowers_the_rate_linearly_by_epoch_and_only_when_asked(tiny):
    data = generate_dataset(tiny.data, tiny.seed)
    rates = {}
    for decay in (False, True):
        cfg = tiny_config(train={"epochs": 4, "lr_decay": decay})
        trainer = train_module.Trainer(cfg, data, build_vocab(data.prompts), torch.device("cpu"))
        trainer.epoch = 2  # as a run resumed after two epochs: the schedule follows from the epoch alone
        trainer.run_epoch()
        rates[decay] = [o.param_groups[0]["lr"] for o in (trainer.opt_d, trainer.opt_g)]
    assert rates[False] == [tiny.train.lr] * 2 and rates[True] == pytest.approx([tiny.train.lr / 2] * 2)


def test_the_tempo_width_takes_the_path_terms_gradient_alone(tiny):
    """With the path terms off, the discriminator's gradient (which narrowed the tempo's width) leaves it
    where it started while the rest of the generator trains; with them on, it moves."""
    data = generate_dataset(tiny.data, tiny.seed)
    vocab = build_vocab(data.prompts)
    for weight in (0.0, 1.0):
        cfg = tiny_config(train={"variety_weight": weight, "moment_weight": weight, "energy_weight": weight})
        trainer = train_module.Trainer(cfg, data, vocab, torch.device("cpu"))
        start = {name: p.detach().clone() for name, p in trainer.G.named_parameters()}
        trainer.run_epoch()
        moved = {name for name, p in trainer.G.named_parameters() if not torch.equal(p, start[name])}
        assert "rnn.weight_hh" in moved
        assert ({"tempo.weight", "tempo.bias"} <= moved) == bool(weight), (weight, moved)


def test_batches_are_whole_groups_of_one_shape_and_motion():
    pairs = torch.tensor([0, 1, 2] * 10 + [3])  # pair 3 has one clip: a tiny set repeats it to fill a group
    batches = train_module.grouped_batches(pairs, 4, 2, torch.Generator().manual_seed(0))
    assert batches and all(len(b) == 8 for b in batches)
    for batch in batches:
        for group in batch.view(-1, 4):
            assert len(set(pairs[group].tolist())) == 1, "a group holds one (shape, motion)"
    again = train_module.grouped_batches(pairs, 4, 2, torch.Generator().manual_seed(0))
    assert all((a == b).all() for a, b in zip(batches, again)), "the same seed gives the same plan"


def test_resumed_run_ends_bit_identical_to_an_uninterrupted_one(tmp_path):
    cfg = tiny_config(train={"epochs": 2})
    data = generate_dataset(cfg.data, cfg.seed)
    straight = tmp_path / "straight"
    straight.mkdir()
    train_into(cfg, straight, data)

    resumed = tmp_path / "resumed"
    resumed.mkdir()
    per_epoch = yaml.safe_load((straight / "live/params.yaml").read_text())["steps"] // 2
    real_inputs = train_module.Trainer.inputs
    calls = {"n": 0}

    def interrupted(self, idx, rng):
        calls["n"] += 1
        if calls["n"] == per_epoch + 3:
            raise KeyboardInterrupt  # Ctrl-C at the third step of the second epoch
        return real_inputs(self, idx, rng)

    train_module.Trainer.inputs = interrupted
    try:
        with pytest.raises(KeyboardInterrupt):
            train_into(cfg, resumed, data)
    finally:
        train_module.Trainer.inputs = real_inputs
    assert torch.load(resumed / "state.pt", weights_only=True)["epoch"] == 1
    assert not (resumed / "live").exists(), "an interrupted run's history is built beside, not in place"
    assert _steps(resumed / ".live.partial", "train/loss_d")[0][-1] == per_epoch + 2, (
        "steps past the saved epoch logged"
    )
    train_into(cfg, resumed, data)
    a, b = _weights(straight / "g.pt"), _weights(resumed / "g.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)
    for name in ("train/loss_d", "train/d_fake", "epoch/motion", "epoch/diversity"):
        assert _steps(resumed / "live", name) == _steps(straight / "live", name), (
            f"{name}: one history, no fold"
        )


def test_changed_params_start_fresh(tmp_path, tiny, capsys):
    data = generate_dataset(tiny.data, tiny.seed)
    first = train_into(tiny, tmp_path, data)
    again = train_into(tiny, tmp_path, data)
    assert "resuming" in capsys.readouterr().out
    assert again["epoch"] == first["epoch"], "a finished run resumed reports the same last epoch"
    train_into(tiny_config(train={"lr": 0.001}), tmp_path, data)
    assert "resuming" not in capsys.readouterr().out


def test_changed_training_code_starts_fresh(tmp_path, tiny, capsys, monkeypatch):
    """dvc reruns train-gan when the model code changes; the persisted state of the old code must not
    resume."""
    data = generate_dataset(tiny.data, tiny.seed)
    train_into(tiny, tmp_path, data)
    code = tmp_path / "model"
    shutil.copytree(train_state.PACKAGE / "model", code)
    monkeypatch.setattr(train_state, "TRAINING_CODE", (code, *train_state.TRAINING_CODE[1:]))
    train_into(tiny, tmp_path, data)
    with open(code / "generator.py", "a") as source:
        source.write("\n# an edit\n")
    capsys.readouterr()
    train_into(tiny, tmp_path, data)
    assert "resuming" not in capsys.readouterr().out


def test_non_finite_loss_stops_with_a_clear_error_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    cfg = tiny_config(train={"epochs": 2})
    data = generate_dataset(cfg.data, cfg.seed)
    train_into(tiny_config(), tmp_path, data)  # a good one-epoch model and state
    good = (tmp_path / "g.pt").read_bytes()
    from t2v.train import losses

    real = losses.attribute_loss
    monkeypatch.setattr(losses, "attribute_loss", lambda l, y: real(l, y) * float("nan"))
    with pytest.raises(T2VError, match="non-finite loss"):
        train_into(cfg, tmp_path, data)
    assert (tmp_path / "g.pt").read_bytes() == good


FOLLOW = {
    "data": {"n_clips": 1024, "pair_share": 0.0},  # one object a clip: the check reads one-object prompts
    "train": {"epochs": 24, "batch_size": 32},  # 16 epochs: 0.5; 24: 1.0
    "model": {"text_dim": 32, "g_channels": 32, "d_channels": 8},
}


def left_right_accuracy(model_path) -> float:
    """Fraction of 'moving left' clips that go left and 'moving right' clips that go right."""
    G, vocab, _ = load_generator(model_path)
    correct = []
    for direction, sign in (("left", -1), ("right", 1)):
        for clip in generate(G, vocab, f"red square moving {direction}", 16, seed=1):
            x = measure(clip).centre[:, 0]
            x = x[~np.isnan(x)]
            correct.append(len(x) > 1 and np.sign(x[-1] - x[0]) == sign)
    return float(np.mean(correct))


def test_a_trained_model_follows_left_and_right(tmp_path):
    """A short real training run: clips of 'moving left' go left and 'moving right' go right."""
    train_into(tiny_config(**FOLLOW), tmp_path)
    assert left_right_accuracy(tmp_path / "g.pt") >= 0.8


BIND = {
    "data": {"n_clips": 1024, "pair_share": 0.5},
    "train": {"epochs": 12, "batch_size": 32},
    "model": {"text_dim": 32, "d_channels": 8},
}


def test_a_briefly_trained_model_binds_each_motion_to_its_object(tmp_path):
    """Trained briefly at tiny size on half two-object clips: in 'red square moving left and yellow circle
    moving right' (and the mirror prompt) each object goes its own way far more often than the swapped way,
    which a model that ignored which object gets which motion would match. Objects are told apart by
    colour."""
    train_into(tiny_config(**BIND), tmp_path)
    G, vocab, _ = load_generator(tmp_path / "g.pt")
    bound = swapped = 0
    for first, second in (("left", "right"), ("right", "left"), ("up", "down"), ("down", "up")):
        prompt = f"red square moving {first} and yellow circle moving {second}"
        axis = 0 if first in ("left", "right") else 1
        signs = [DIRECTIONS[first][axis], DIRECTIONS[second][axis]]
        for clip in generate(G, vocab, prompt, 16, seed=2):
            moved = []
            for part in unmix(clip, (COLOURS["red"], COLOURS["yellow"])):
                path = measure(part).centre[:, axis]
                path = path[~np.isnan(path)]
                moved.append(np.sign(path[-1] - path[0]) if len(path) > 1 else 0)
            bound += moved == signs
            swapped += moved == signs[::-1]
    assert bound / 64 >= swapped / 64 + 0.4, (bound, swapped)


@pytest.mark.slow
def test_two_gloo_processes_split_each_step_and_write_one_generator(tmp_path):
    """torchrun --nproc_per_node 2 on the CPU (gloo): the ranks share each step's groups, so the run counts
    every clip once, as one process does, and rank 0 alone writes a generator that draws clips. Whether a
    trained model follows its prompt is the single-process tests' job: at the size that learns it, two ranks
    took 75 s and met the bar on one CI machine and not on the next."""
    cfg = tiny_config(train={"epochs": 2})
    single = train_into(cfg, tmp_path)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(config_to_dict(cfg)))
    data = write_dataset(cfg.data, cfg.seed, tmp_path / "ds")
    save_vocab(build_vocab(data.prompts), tmp_path / "vocab.json")
    (tmp_path / "g.pt").unlink()
    torchrun = Path(sys.executable).parent / "torchrun"
    run([str(torchrun), "--nproc_per_node", "2", *_train_stage_args(tmp_path)], ROOT)
    facts = yaml.safe_load((tmp_path / "live/params.yaml").read_text())
    assert facts["world_size"] == 2
    assert facts["clips"] == single["clips"], "each clip is seen once per epoch across the ranks"
    assert facts["steps"] == single["steps"]
    G, vocab, _ = load_generator(tmp_path / "g.pt")
    clips = generate(G, vocab, "red square moving left", 2, seed=0)
    assert clips.shape[0] == 2 and clips.std() > 0


@pytest.mark.slow
def test_killed_training_stage_resumes_on_the_next_run(tmp_path):
    """kill -9 mid-run: the last epoch's state survives intact and the next run resumes from it."""
    import signal
    import subprocess
    import time

    cfg = tiny_config(data={"n_clips": 512}, train={"epochs": 6})
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(config_to_dict(cfg)))
    data = write_dataset(cfg.data, cfg.seed, tmp_path / "ds")
    save_vocab(build_vocab(data.prompts), tmp_path / "vocab.json")
    args = [sys.executable, *_train_stage_args(tmp_path)]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (tmp_path / "s.pt").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved_epoch = torch.load(tmp_path / "s.pt", weights_only=True)["epoch"]
    assert 1 <= saved_epoch < 6 and not (tmp_path / "g.pt").exists()
    result = run(args, ROOT)
    assert f"resuming from {tmp_path / 's.pt'} at epoch" in result.stdout
    live = yaml.safe_load((tmp_path / "live/params.yaml").read_text())
    assert live["epochs"] == 6
    steps, _ = _steps(tmp_path / "live", "train/loss_d")
    assert steps == sorted(set(steps)) and steps[-1] == live["steps"], (
        "the resumed history continues, no fold"
    )


def test_a_second_trainer_on_one_state_is_refused_naming_the_first_and_a_killed_ones_lock_never_blocks(
    tmp_path, tiny
):
    import subprocess

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from t2v.train.state import locked\n"
            "with locked(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(120)",
            str(tmp_path / "state.pt"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(T2VError, match=f"process {holder.pid} is training on it"):
            train_into(tiny, tmp_path)
    finally:
        holder.kill()  # as kill -9: its lock file stays behind
        holder.wait()
    train_into(tiny, tmp_path)
    assert (tmp_path / "g.pt").exists()


def test_the_per_epoch_samples_show_every_motion_every_colour_and_held_out_pairings(tiny):
    from t2v.data.scenes import heldout_pairs, is_heldout_pairing
    from t2v.prompts import parse_scenes
    from t2v.train.monitor import monitor_scenes, sample_pairs, sample_prompts

    data = generate_dataset(tiny.data, tiny.seed)
    prompts = sample_prompts(monitor_scenes(heldout_pairs(tiny.data)), sample_pairs(tiny.data, data.prompts))
    scenes = [parse_scenes(p) for p in prompts]
    assert {s[0].motion for s in scenes if len(s) == 1} == set(MOTIONS)
    assert {s.colour for one in scenes for s in one} == set(COLOURS)
    two = [p for p, s in zip(prompts, scenes) if len(s) == 2]
    held = [p for p in two if is_heldout_pairing(parse_scenes(p), tiny.data)]
    assert len(two) == 4 and held, "two-object prompts, held-out pairings among them"
