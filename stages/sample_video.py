"""Stage sample-video: a video per prompt, and the scores of every seen and held-out prompt: a headline
summary (the DVC metrics), the scores per split, motion, shape and colour (DVC bar plots), every score (per
prompt), and asked against judged motion (a DVC confusion plot)."""

from t2v.atomic import output_set
from t2v.classifier.checkpoint import load_judge
from t2v.classifier.scoring import LearnedScores
from t2v.data.dataset import load_heldout
from t2v.devices import resolve_device
from t2v.model.checkpoint import load_generator
from t2v.prompts import CONJUNCTION, parse_scenes, scenes_prompt
from t2v.sample.evaluate import breakdown, evaluate, headline
from t2v.sample.gallery import write_disagreements, write_gallery
from t2v.sample.generate import write_videos
from t2v.stage import run_stage


def main(cfg, args) -> str:
    device = resolve_device(cfg.device)
    generator, vocab, _ = load_generator(args.model)
    heldout = load_heldout(args.heldout)  # every input is read before the first output is replaced
    judge = load_judge(args.judge, cfg.data.frames, cfg.data.size)
    prompts = [p for p in cfg.sample.prompts if CONJUNCTION in vocab or len(parse_scenes(p)) == 1]
    if len(prompts) < len(cfg.sample.prompts):
        print(
            f"skipped {len(cfg.sample.prompts) - len(prompts)} two-object prompt(s): "
            "the model read none in training"
        )
    learned = LearnedScores(judge)
    scores, confusion, failures = evaluate(
        generator,
        vocab,
        heldout,
        cfg.sample.eval_clips,
        cfg.seed,
        device,
        cfg.data,
        learned,
    )
    summary = headline(scores)
    # Every judged pair gets its clips too: the report shows each beside ground truth, weakest first.
    shown = {scenes_prompt(parse_scenes(p)) for p in prompts}
    prompts += [p for p in (scores.get("pairs") or {}).get("per_prompt", {}) if p not in shown]
    with output_set() as out:  # six outputs, replaced together or not at all
        videos = out.folder(args.videos)
        rows = write_videos(
            generator,
            vocab,
            prompts,
            cfg.sample.grid,
            cfg.seed,
            cfg.sample.fps,
            videos,
            device,
            variety=tuple(cfg.sample.variety),
        )
        rows += write_gallery(failures, cfg.sample.fps, videos)
        rows += write_disagreements(learned.most_disagreed(), cfg.sample.fps, videos)
        out.json(args.index, rows)
        out.json(args.scores, scores)
        out.json(args.breakdown, breakdown(scores), sort_keys=False)
        out.json(args.confusion, confusion, sort_keys=False)
        out.json(args.metrics, summary, sort_keys=False)  # targets first: the first columns of `dvc exp show`
    return (
        f"motion {summary['motion_seen']:.3f} (held-out {summary['motion_held']:.3f}), shape "
        f"{summary['shape']:.3f}, colour {summary['colour']:.3f}, diversity {summary['diversity']:.3f}, "
        f"temporal {summary['temporal']:.3f}"
        + (
            f", binding {summary['bind_seen']:.3f} (held-out {summary['bind_held']:.3f}, swapped "
            f"{summary['bind_swap']:.3f})"
            if "bind_seen" in summary
            else ""
        )
        + f"; learned judge: judge_acc {summary['judge_seen']:.3f} "
        f"(held-out {summary['judge_held']:.3f}), fvd {summary['fvd_seen']:.2f} "
        f"(held-out {summary['fvd_held']:.2f}) -> {args.metrics}"
    )


if __name__ == "__main__":
    run_stage(
        "sample-video",
        main,
        model="models/generator.pt",
        judge="models/judge.pt",
        heldout="data/heldout.json",
        videos="reports/videos",
        index="reports/videos.json",
        metrics="reports/metrics.json",
        scores="reports/scores.json",
        breakdown="reports/breakdown.json",
        confusion="reports/confusion.json",
    )
