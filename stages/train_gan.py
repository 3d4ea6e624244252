"""Stage train-gan: train the text-conditioned video GAN (resuming an interrupted run), logged with
dvclive."""

from pathlib import Path

from t2v.data.dataset import load_dataset
from t2v.data.vocab import load_vocab
from t2v.devices import resolve_device
from t2v.stage import run_stage
from t2v.train.distributed import finish_distributed, init_distributed
from t2v.train.trainer import train


def main(cfg, args) -> str:
    init_distributed(cfg.device)
    device = resolve_device(cfg.device)
    data, vocab = load_dataset(args.dataset), load_vocab(args.vocab)
    try:
        summary = train(
            cfg,
            data,
            vocab,
            device,
            model_path=Path(args.model),
            state_path=Path(args.state),
            live_dir=Path(args.live),
        )
    finally:
        finish_distributed()
    return f"done on {device}, {summary.get('clips_per_s', 0):.0f} clips/s" if summary else "done (worker)"


if __name__ == "__main__":
    run_stage(
        "train-gan",
        main,
        dataset="data/dataset",
        vocab="data/vocab.json",
        model="models/generator.pt",
        state="models/train_state.pt",
        live="reports/train",
    )
