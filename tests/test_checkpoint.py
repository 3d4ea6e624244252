import os
import subprocess
import sys
import zipfile

import pytest
import torch

from t2v.errors import T2VError
from t2v.model.checkpoint import load_generator
from t2v.sample.generate import generate


def test_generator_checkpoint_round_trips_and_is_self_describing(tiny_model):
    payload = torch.load(tiny_model, weights_only=True)
    assert {"format", "model", "frames", "size", "vocab", "state_dict"} <= set(payload)
    G, vocab, _ = load_generator(tiny_model)
    a = generate(G, vocab, "circle moving up-right", 3, seed=5)
    G2, vocab2, _ = load_generator(tiny_model)
    assert vocab2 == vocab
    assert (generate(G2, vocab2, "circle moving up-right", 3, seed=5) == a).all()


def test_truncated_and_garbage_checkpoints_give_a_clear_error(tiny_model, tmp_path):
    data = tiny_model.read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    (tmp_path / "junk.pt").write_bytes(os.urandom(2000))
    # A readable archive whose pickle is damaged (a STOP on an empty stack): torch raises IndexError, as it
    # did in CI for a checkpoint cut in half that happened to end inside the pickle.
    with zipfile.ZipFile(tiny_model) as src, zipfile.ZipFile(tmp_path / "pickle.pt", "w") as out:
        for name in src.namelist():
            out.writestr(name, b"\x80\x02." if name.endswith("/data.pkl") else src.read(name))
    # A raw pickle that ends inside an opcode's argument ("X": a string, its length missing): struct.error.
    (tmp_path / "x.pt").write_bytes(b"X")
    for name in ("cut.pt", "junk.pt", "pickle.pt", "x.pt"):
        with pytest.raises(T2VError, match="truncated or corrupt"):
            load_generator(tmp_path / name)
    with pytest.raises(T2VError, match="dvc repro train-gan"):
        load_generator(tmp_path / "missing.pt")


@pytest.mark.parametrize(
    "save",
    [
        "torch.save({'format': 't2v-generator-1', 'x': Evil()}, PATH)",
        "open(PATH, 'wb').write(pickle.dumps(Evil()))",
    ],
)
def test_checkpoint_holding_pickled_code_is_refused_naming_the_call(tmp_path, save, recwarn):
    """torch's zip format and a raw pickle alike: refused as code (not "corrupt"), with no torch warning."""
    marker = tmp_path / "pwned"
    script = (
        "import os, pickle, torch\n"
        "class Evil:\n"
        f"    def __reduce__(self): return (os.system, ('touch {marker}',))\n"
        + save.replace("PATH", repr(str(tmp_path / "evil.pt")))
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    with pytest.raises(T2VError, match=r"refused: it holds pickled code \(.*system"):
        load_generator(tmp_path / "evil.pt")
    assert not marker.exists(), "the pickled code must never run"
    assert not [w for w in recwarn if "pickle" in str(w.message)], [str(w.message) for w in recwarn]


def test_the_same_weights_save_to_the_same_bytes(tmp_path):
    """DVC hashes the file: two saves of one checkpoint (each through its own random temporary name) must
    match."""
    from t2v import torch_io as checkpoint

    state = {"epoch": 3, "weights": torch.arange(12.0).view(3, 4)}
    checkpoint.save(state, tmp_path / "a.pt")
    checkpoint.save(state, tmp_path / "b.pt")
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "b.pt").read_bytes()
    assert torch.equal(checkpoint.load(tmp_path / "a.pt", "state", "")["weights"], state["weights"])


def test_a_failed_checkpoint_write_is_one_line_and_keeps_the_old_file(tmp_path, monkeypatch):
    """A full disk surfaces from torch as 'enforce fail at inline_container.cc', a RuntimeError."""
    from t2v import torch_io as checkpoint

    target = tmp_path / "state.pt"
    target.write_bytes(b"previous good state")

    def full_disk(obj, file):
        file.write(b"half")
        raise RuntimeError("[enforce fail at inline_container.cc:626] . unexpected pos 64 vs 0")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(T2VError, match="disk full"):
        checkpoint.save({"x": torch.zeros(1)}, target)
    assert target.read_bytes() == b"previous good state"
    assert [p.name for p in tmp_path.iterdir()] == ["state.pt"]


def test_a_training_state_given_as_the_generator_is_named_as_one(tmp_path, tiny):
    from tests.conftest import train_into

    train_into(tiny, tmp_path)
    with pytest.raises(
        T2VError, match="is a training state, not a generator checkpoint.*models/generator.pt"
    ):
        load_generator(tmp_path / "state.pt")
