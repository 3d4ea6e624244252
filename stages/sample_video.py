"""Stage sample-video: a video per prompt, and metrics of every seen and held-out prompt."""

from pathlib import Path

from t2v.atomic import atomic_dir, write_json
from t2v.checkpoint import load_generator
from t2v.dataset import load_heldout
from t2v.devices import resolve_device
from t2v.sample import evaluate, write_videos
from t2v.stage import run_stage


def main(cfg, args) -> str:
    device = resolve_device(cfg.device)
    generator, vocab, _ = load_generator(args.model)
    heldout = load_heldout(Path(args.heldout))  # every input is read before the first output is replaced
    with atomic_dir(args.videos) as tmp:
        rows = write_videos(generator, vocab, cfg.sample.prompts, cfg.sample.grid, cfg.seed, cfg.sample.fps, tmp, device,
                            variety=tuple(cfg.sample.variety))
    write_json(args.index, rows)
    report = evaluate(generator, vocab, heldout, cfg.sample.eval_clips, cfg.seed, device,
                      cfg.data)
    write_json(args.metrics, report)
    split = report["per_split"]
    return (f"motion seen {split['seen']['motion_acc']:.3f} held-out {split['heldout']['motion_acc']:.3f}, "
            f"shape {report['overall']['shape_acc']:.3f}, colour {report['overall']['colour_acc']:.3f}, "
            f"clean {report['overall']['clean_shape_rate']:.3f}, diversity {report['diversity']['overall']:.3f} "
            f"-> {args.metrics}")


if __name__ == "__main__":
    run_stage("sample-video", main, model="models/generator.pt", heldout="data/heldout.json",
              videos="reports/videos", index="reports/videos.json", metrics="reports/metrics.json")
