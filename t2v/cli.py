"""The `t2v` command: `generate` clips from the trained model, `render` ground truth, `words` of the prompt
language, `bench` the stages."""

from __future__ import annotations

import argparse
import ctypes
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

from t2v.config import Config, DataConfig, SampleConfig, knob_range
from t2v.language import repository_file
from t2v.params import load_config
from t2v.prompts import parse_scenes, show
from t2v.stage import guarded
from t2v.video_io import check_output, write_clips, write_npy_stream

MAX_CLIPS = 10_000_000  # --n: streamed .npy output keeps memory flat, so only the disk bounds it
RENDER_BATCH = 1024


def _integer_in(lo: int, hi: int):
    """An argparse type: an integer in [lo, hi], refused in one line otherwise."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not an integer") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(
                f"{value if abs(value) < 10**12 else text[:20] + '...'} is outside [{lo}, {hi}]"
            )
        return value

    return parse


def _release_large_blocks() -> None:
    """Have glibc hand every block of 1 MiB or more back to the system when freed. By default it raises that
    threshold after the first large frees, and the repeated batch-sized tensors of a long stream then fragment
    the heap: measured 681 MB peak RSS at --n 1000 but 855 MB at --n 20000; pinned, 674 MB at both."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD
        except OSError:  # not glibc (musl, say): nothing to pin
            pass


def _model(args: argparse.Namespace) -> Path:
    """--model, or the generator of the repository this runs in."""
    return Path(args.model) if args.model else repository_file("models/generator.pt", "generator", "--model")


def cmd_generate(args: argparse.Namespace) -> None:
    from t2v.devices import check_device_name, resolve_device
    from t2v.model.checkpoint import load_generator
    from t2v.sample.generate import GENERATE_BATCH, generate_blocks

    suffix = check_output(args.output, args.n)
    parse_scenes(args.prompt)  # a bad prompt or device fails before the model loads
    check_device_name(args.device, "--device")
    _release_large_blocks()
    generator, vocab, payload = load_generator(_model(args))
    blocks = generate_blocks(
        generator, vocab, args.prompt, args.n, args.seed, resolve_device(args.device, "--device")
    )
    if suffix == ".npy":  # streamed: memory stays one block whatever --n is
        shape = (args.n, payload["frames"], payload["size"], payload["size"], 3)
        write_npy_stream(
            args.output,
            shape,
            tqdm(
                blocks,
                total=-(-args.n // GENERATE_BATCH),
                unit="block",
                desc="generate",
                leave=False,
                disable=args.n <= GENERATE_BATCH,
            ),
        )
    else:
        write_clips(np.concatenate(list(blocks)), args.output, fps=args.fps)
    print(f"generated {args.n} clip(s) of {show(args.prompt)} -> {args.output}")


def cmd_render(args: argparse.Namespace) -> None:
    from t2v.data.synthesize import render_prompt

    suffix = check_output(args.output, args.n)
    scenes = parse_scenes(args.prompt)
    cfg = load_config(args.params).data if args.params else DataConfig()
    rng = np.random.default_rng(args.seed)
    if suffix == ".npy":  # streamed in blocks, like generate
        counts = [min(RENDER_BATCH, args.n - i) for i in range(0, args.n, RENDER_BATCH)]
        blocks = (render_prompt(scenes, b, cfg, rng) for b in counts)
        write_npy_stream(args.output, (args.n, cfg.frames, cfg.size, cfg.size, 3), blocks)
    else:
        write_clips(render_prompt(scenes, args.n, cfg, rng), args.output, fps=args.fps)
    print(f"rendered {args.n} ground-truth clip(s) of {show(args.prompt)} -> {args.output}")


def cmd_words(args: argparse.Namespace) -> None:
    from t2v.language import describe

    print(describe(Path(args.params) if args.params else None))


def cmd_serve(args: argparse.Namespace) -> None:
    from t2v.demo.app import serve

    model = _model(args)
    params = Path(args.params) if args.params else model.parent.parent / "params.yaml"
    serve(model, load_config(params) if params.exists() else Config(), args.port)


def cmd_bench(args: argparse.Namespace) -> None:
    from t2v.bench import run_benchmark

    run_benchmark(
        args.out, repro=args.repro, params=args.params, device_name=args.device, compiled=not args.no_compile
    )


def cmd_noise(args: argparse.Namespace) -> None:
    from t2v.noise import measure_noise

    measure_noise(load_config(args.params), args.model, args.heldout, list(range(args.seeds)), args.out)


def cmd_check_params(args: argparse.Namespace) -> None:
    config = load_config(args.params)
    print(
        f"{args.params}: valid ({config.data.n_clips} clips of {config.data.frames}x{config.data.size}x"
        f"{config.data.size}, {config.model.arch} model, {config.train.epochs} epochs)"
    )


class _Help(argparse.RawDescriptionHelpFormatter):
    """Every option's help ends with its default where it has one; descriptions keep their lines."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default is None or action.default is False or action.default == argparse.SUPPRESS:
            return text
        return text if "%(default)" in text else f"{text} (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    """A parser whose help may end with the prompt language (t2v.language.describe), which reads params.yaml:
    built only when the help is shown."""

    def __init__(self, *args, language: bool = False, **kw) -> None:
        super().__init__(*args, formatter_class=_Help, **kw)
        self.language = language

    def format_help(self) -> str:
        if self.language:
            from t2v.language import describe

            self.epilog = describe()
        return super().format_help()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="t2v", description="Text-to-video GAN on moving shapes.")
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "prompt",
        help="'[colour] shape motion', e.g. 'red square moving up-right', or two objects joined by 'and' "
        "(the first in front); the words are listed below",
    )
    common.add_argument("-o", "--output", required=True, help="out.gif, out.mp4 or out.npy (uint8 N,T,H,W,3)")
    common.add_argument("--n", type=_integer_in(1, MAX_CLIPS), default=4, help="number of clips")
    common.add_argument(
        "--seed",
        type=_integer_in(*knob_range(Config, "seed")),
        default=0,
        help="the same seed, the same clips",
    )
    common.add_argument(
        "--fps",
        type=_integer_in(*knob_range(SampleConfig, "fps")),
        default=8,
        help="frames per second of a GIF or MP4",
    )

    gen = sub.add_parser("generate", parents=[common], language=True, help="clips from the trained generator")
    gen.add_argument(
        "--model", help="the generator (default: models/generator.pt of the t2v repository this runs in)"
    )
    gen.add_argument("--device", default="cpu", help="auto, cpu, cuda, cuda:N or mps")
    gen.set_defaults(func=cmd_generate)

    render = sub.add_parser(
        "render", parents=[common], language=True, help="ground-truth clips for any prompt"
    )
    render.add_argument(
        "--params", help="take clip size and ranges from this params.yaml (default: the built-in defaults)"
    )
    render.set_defaults(func=cmd_render)

    serve = sub.add_parser(
        "serve",
        language=True,
        help="a local Gradio page to try prompts (the demo extra): clips beside ground truth, with verdicts",
    )
    serve.add_argument(
        "--model", help="the generator (default: models/generator.pt of the t2v repository this runs in)"
    )
    serve.add_argument(
        "--port", type=_integer_in(0, 65535), default=7860, help="on 127.0.0.1; 0: any free one"
    )
    serve.add_argument(
        "--params", help="the data params of the ground truth (default: the model's repository's params.yaml)"
    )
    serve.set_defaults(func=cmd_serve)

    words = sub.add_parser(
        "words", help="the prompt language: every word by role, and what training held out"
    )
    words.add_argument(
        "--params", help="the params.yaml saying what was held out (default: the repository's)"
    )
    words.set_defaults(func=cmd_words)

    bench = sub.add_parser("bench", help="measure every stage; writes reports/bench.json")
    bench.add_argument("--out", default="reports/bench.json", help="where the figures go")
    bench.add_argument("--params", default="params.yaml", help="the params whose sizes are timed")
    bench.add_argument("--repro", action="store_true", help="also time a full default `dvc repro` (long)")
    bench.add_argument(
        "--no-compile",
        action="store_true",
        help="skip the layered step under train.compile (minutes on a CPU)",
    )
    bench.add_argument(
        "--device", default=None, help="cpu, cuda, cuda:N or mps (default: params.yaml's device)"
    )
    bench.set_defaults(func=cmd_bench)
    noise = sub.add_parser(
        "noise", help="the scores' run-to-run noise: the model evaluated with several seeds (minutes each)"
    )
    noise.add_argument("--model", default="models/generator.pt", help="the generator")
    noise.add_argument("--heldout", default="data/heldout.json", help="the held-out manifest")
    noise.add_argument("--params", default="params.yaml", help="the params")
    noise.add_argument("--seeds", type=_integer_in(2, 100), default=5, help="seeds 0..N-1")
    noise.add_argument("--out", default="reports/noise.json", help="where the figures go")
    noise.set_defaults(func=cmd_noise)
    check = sub.add_parser(
        "check-params", help="validate params.yaml: every key, type and range, in one line"
    )
    check.add_argument("params", nargs="?", default="params.yaml", help="the params file")
    check.set_defaults(func=cmd_check_params)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    guarded(lambda: args.func(args))


if __name__ == "__main__":
    main()
