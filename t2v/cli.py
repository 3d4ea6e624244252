"""The `t2v` command: `generate` clips from the trained model, `render` ground truth, `bench` the stages."""

from __future__ import annotations

import argparse

import numpy as np

from t2v.config import DataConfig, load_config
from t2v.errors import T2VError
from t2v.prompts import parse_prompt
from t2v.stage import guarded
from t2v.video_io import check_format, write_clips


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be >= 1")
    return value


def cmd_generate(args: argparse.Namespace) -> None:
    from t2v.checkpoint import load_generator
    from t2v.devices import resolve_device
    from t2v.sample import generate

    check_format(args.output)
    parse_prompt(args.prompt)
    generator, vocab, _ = load_generator(args.model)
    clips = generate(generator, vocab, args.prompt, args.n, args.seed, resolve_device(args.device))
    write_clips(clips, args.output, fps=args.fps)
    print(f"generated {args.n} clip(s) of {args.prompt!r} -> {args.output}")


def cmd_render(args: argparse.Namespace) -> None:
    from t2v.dataset import render_scenes

    check_format(args.output)
    scene = parse_prompt(args.prompt)
    cfg = load_config(args.params).data if args.params else DataConfig()
    clips = render_scenes([scene] * args.n, cfg, np.random.default_rng(args.seed)).clips
    write_clips(clips, args.output, fps=args.fps)
    print(f"rendered {args.n} ground-truth clip(s) of {args.prompt!r} -> {args.output}")


def cmd_bench(args: argparse.Namespace) -> None:
    from t2v.bench import run_benchmark

    run_benchmark(args.out, repro=args.repro, params=args.params)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="t2v", description="Text-to-video GAN on moving shapes.")
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("prompt", help="'[colour] shape motion', e.g. 'red square moving up-right'")
    common.add_argument("-o", "--output", required=True, help="out.gif, out.mp4 or out.npy (uint8 N,T,H,W,3)")
    common.add_argument("--n", type=_positive, default=4, help="number of clips")
    common.add_argument("--seed", type=int, default=0)
    common.add_argument("--fps", type=_positive, default=8)

    gen = sub.add_parser("generate", parents=[common], help="clips from the trained generator")
    gen.add_argument("--model", default="models/generator.pt")
    gen.add_argument("--device", default="cpu", help="auto, cpu, cuda, cuda:N or mps")
    gen.set_defaults(func=cmd_generate)

    render = sub.add_parser("render", parents=[common], help="ground-truth clips for any prompt")
    render.add_argument("--params", default=None, help="take clip size and ranges from this params.yaml")
    render.set_defaults(func=cmd_render)

    bench = sub.add_parser("bench", help="measure every stage; writes reports/bench.json")
    bench.add_argument("--out", default="reports/bench.json")
    bench.add_argument("--params", default="params.yaml")
    bench.add_argument("--repro", action="store_true", help="also time a full default `dvc repro` (long)")
    bench.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    guarded(lambda: args.func(args))


if __name__ == "__main__":
    main()
