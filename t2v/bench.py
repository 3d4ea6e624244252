"""The benchmark: rendering against the tutorial's way (PIL + one PNG per frame) in the same run, training and
sampling throughput, and optionally the default `dvc repro` stage by stage with wall time and peak RSS."""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
import torch
from PIL import Image, ImageDraw

from t2v.atomic import write_json
from t2v.config import Config, DataConfig
from t2v.data.scenes import PALETTE
from t2v.data.synthesize import generate_dataset, write_dataset
from t2v.params import load_config
from t2v.prompts import SHAPES

STAGES = ("generate-dataset", "build-vocab", "train-gan", "sample-video", "render-report")


def tutorial_writer(
    data_dir: Path, shapes: np.ndarray, colours: np.ndarray, centres: np.ndarray, sizes: np.ndarray, size: int
) -> int:
    """The tutorial's method: draw each frame with PIL and save it as its own PNG; returns files written."""
    files = 0
    for i in range(len(shapes)):
        clip_dir = data_dir / f"clip_{i:05d}"
        clip_dir.mkdir(parents=True)
        (clip_dir / "prompt.txt").write_text(SHAPES[shapes[i]])
        files += 1
        colour = tuple(int(v) for v in PALETTE[colours[i]])
        for t in range(centres.shape[1]):
            image = Image.new("RGB", (size, size), "white")
            draw = ImageDraw.Draw(image)
            (x, y), r = centres[i, t], sizes[i, t]
            box = [x - r, y - r, x + r, y + r]
            if SHAPES[shapes[i]] == "circle":
                draw.ellipse(box, fill=colour)
            elif SHAPES[shapes[i]] == "square":
                draw.rectangle(box, fill=colour)
            else:
                draw.polygon([(x, y - r), (x - r, y + r), (x + r, y + r)], fill=colour)
            image.save(clip_dir / f"frame_{t:02d}.png")
            files += 1
    return files


def bench_render(n_clips: int, frames: int = 10, size: int = 64) -> dict:
    cfg = DataConfig(n_clips=n_clips, frames=frames, size=size)
    generate_dataset(DataConfig(n_clips=256, frames=frames, size=size), seed=1)  # warm up memory and caches
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        data = write_dataset(cfg, seed=0, out_dir=Path(tmp) / "ours")
        ours = time.perf_counter() - start
        our_files = len(list((Path(tmp) / "ours").iterdir()))
        start = time.perf_counter()
        files = tutorial_writer(
            Path(tmp) / "tutorial", data.shape, data.colour, data.centres, data.sizes, size
        )
        theirs = time.perf_counter() - start
    return {
        "clips": n_clips,
        "frames": frames,
        "size": size,
        "t2v_s": round(ours, 3),
        "t2v_files": our_files,
        "t2v_clips_per_s": round(n_clips / ours, 1),
        "tutorial_s": round(theirs, 3),
        "tutorial_files": files,
        "tutorial_clips_per_s": round(n_clips / theirs, 1),
        "speedup": round(theirs / ours, 2),
    }


def peak_gflops(device: torch.device) -> dict:
    """The device's practical matmul limit: GFLOP/s of a large fp32 matmul (and bf16 on CUDA)."""
    n = 2048 if device.type == "cpu" else 8192
    result = {}
    for dtype in (torch.float32, torch.bfloat16) if device.type == "cuda" else (torch.float32,):
        a = torch.randn(n, n, device=device, dtype=dtype)
        a @ a  # warm-up
        reps = 5 if device.type == "cpu" else 50
        _sync(device)
        start = time.perf_counter()
        for _ in range(reps):
            a @ a
        _sync(device)
        result[str(dtype).removeprefix("torch.")] = round(
            2 * n**3 * reps / (time.perf_counter() - start) / 1e9, 1
        )
    return result


def cpu_name() -> str:
    """The CPU's model name, with its family and model numbers where /proc/cpuinfo has them: a VM's name alone
    ("AMD EPYC") hides the generation, which sets the speed and, with the vector kernels torch picks
    (cpu_capability), the trained model's bits."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor()
    pairs = (line.split(":", 1) for line in lines if ":" in line)
    fields = {key.strip(): value.strip() for key, value in pairs}  # the last CPU's; they are alike
    name = fields.get("model name", platform.processor())
    if "cpu family" in fields and "model" in fields:
        name += f" (family {fields['cpu family']}, model {fields['model']})"
    return name


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bench_train(
    cfg: Config,
    arch: str,
    steps: int,
    device: torch.device,
    batch_size: int | None = None,
    compiled: bool = False,
    timed_epochs: int = 3,
) -> dict:
    """Epochs of about `steps` steps each, timed one by one after a warm-up epoch (which compiles, with
    compiled: see train.compile), at batch_size (train.batch_size when None): the median epoch's clips/s and
    every epoch's; on CUDA with the peak memory allocated. One short epoch alone moved with the host's load by
    a tenth and more (docs/benchmark.md); the median of several does less."""
    from t2v.data.vocab import build_vocab
    from t2v.train.trainer import Trainer

    batch_size = batch_size or cfg.train.batch_size
    run_cfg = Config(**{**cfg.__dict__})
    run_cfg.model = type(cfg.model)(**{**cfg.model.__dict__, "arch": arch})
    run_cfg.train = type(cfg.train)(**{**cfg.train.__dict__, "batch_size": batch_size, "compile": compiled})
    share = cfg.data.pair_share if arch == "layered" else 0.0  # the seed generator draws one object
    data = generate_dataset(
        DataConfig(**{**cfg.data.__dict__, "n_clips": batch_size * (steps + 2), "pair_share": share}),
        cfg.seed,
    )
    trainer = Trainer(run_cfg, data, build_vocab(data.prompts), device)
    start = time.perf_counter()
    trainer.run_epoch()  # first epoch includes warm-up; time the next ones
    warm_up = time.perf_counter() - start
    _sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    rates = []
    for _ in range(timed_epochs):
        clips_before, start = trainer.clips, time.perf_counter()
        trainer.run_epoch()
        _sync(device)
        rates.append((trainer.clips - clips_before) / (time.perf_counter() - start))
    rate = float(np.median(rates))
    flops = flops_per_clip(trainer)
    return {
        "arch": arch,
        "batch_size": batch_size,
        "compiled": compiled,
        "warm_up_s": round(warm_up, 1),
        "peak_memory_mb": round(torch.cuda.max_memory_allocated(device) / 2**20)
        if device.type == "cuda"
        else None,
        "size": cfg.data.size,
        "frames": cfg.data.frames,
        "clips_per_s": round(rate, 1),
        "clips_per_s_epochs": [round(r, 1) for r in rates],
        "device": str(device),
        "params": trainer.n_params(),
        "gflop_per_clip": round(flops / 1e9, 3),
        "achieved_gflops": round(flops * rate / 1e9, 1),
    }


def flops_per_clip(trainer) -> float:
    """FLOPs of one training step per clip, counted by torch on forward passes: a backward costs about twice
    its forward (input and weight gradients). G: forward and backward (3 forwards), and for the layered
    generator an input-only backward of the path terms to the tempo's width (1). D: forward and backward on
    real and fake in its own step (2 x 3), then forward and an input-only backward on fakes in G's step (2):
    8."""
    from torch.utils.flop_counter import FlopCounterMode

    own = trainer.items.own[:4]
    ids = own.to(trainer.device)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        fake = trainer.G.from_host(own, torch.randn(4, trainer.G.noise_size))
    g = counter.get_total_flops() / 4
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        trainer.D(fake, ids)
    d = counter.get_total_flops() / 4
    g_passes = 4 if trainer.G.spread_parameters() else 3
    return g_passes * g + 8 * d


def bench_sample(model_path: Path, n: int, device: torch.device) -> dict | None:
    from t2v.model.checkpoint import load_generator
    from t2v.sample.generate import generate

    if not model_path.exists():
        return None
    generator, vocab, _ = load_generator(model_path)
    generate(generator, vocab, "circle moving up-right", 64, seed=0, device=device)
    start = time.perf_counter()
    generate(generator, vocab, "circle moving up-right", n, seed=0, device=device)
    seconds = time.perf_counter() - start
    return {"clips": n, "clips_per_s": round(n / seconds, 1), "device": str(device)}


def peak_rss(cmd: list[str], cwd: Path, what: str) -> int:
    """Run cmd; its peak resident memory in bytes (children included), polled at 20 Hz."""
    proc, peak = psutil.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), 0
    while proc.poll() is None:
        try:
            peak = max(peak, sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]))
        except psutil.Error:
            pass
        time.sleep(0.05)
    if proc.returncode:
        raise RuntimeError(f"{what} failed in the benchmark ({proc.returncode})")
    return peak


def bench_generate_memory(model_path: Path, counts: tuple[int, ...] = (1_000, 20_000)) -> dict | None:
    """Peak RSS of `t2v generate --n N -o clips.npy`: generation and writing are streamed, so it stays
    flat."""
    if not model_path.exists():
        return None
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in counts:
            cmd = [
                sys.executable,
                "-m",
                "t2v.cli",
                "generate",
                "circle moving up",
                "-o",
                "clips.npy",
                "--n",
                str(n),
                "--model",
                str(model_path.resolve()),
            ]
            result[str(n)] = {"peak_rss_mb": round(peak_rss(cmd, Path(tmp), f"generate --n {n}") / 2**20)}
    return result


def bench_repro(params: Path) -> dict:
    """Each stage of the default pipeline in a scratch copy: wall time and peak RSS (polled at 20 Hz)."""
    root = Path(__file__).resolve().parents[1]
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in files:
            if (root / name).is_file() and not name.startswith(("data/", "models/", "reports/")):
                (Path(tmp) / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(root / name, Path(tmp) / name)
        shutil.copy2(params, Path(tmp) / "params.yaml")
        total = time.perf_counter()
        for stage in STAGES:
            start = time.perf_counter()
            peak = peak_rss([sys.executable, "-m", "stages." + stage.replace("-", "_")], Path(tmp), stage)
            result[stage] = {
                "seconds": round(time.perf_counter() - start, 1),
                "peak_rss_mb": round(peak / 2**20),
            }
        result["total_s"] = round(time.perf_counter() - total, 1)
    return result


def run_benchmark(
    out: str | Path,
    repro: bool = False,
    params: str | Path = "params.yaml",
    render_clips: int = 10_000,
    device_name: str | None = None,
    compiled: bool = True,
) -> dict:
    """Every figure of docs/benchmark.md, written to out; compiled: also the layered step under train.compile
    (its warm-up compiles for minutes on a CPU)."""
    cfg = load_config(params)
    from t2v.devices import check_device_name, resolve_device

    if device_name is not None:
        check_device_name(device_name, "--device")
    device = resolve_device(device_name or cfg.device)
    report = {
        "machine": {
            "cpu_count": psutil.cpu_count(),
            "platform": platform.platform(),
            "torch": torch.__version__,
            "device": str(device),
            "name": torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_name(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        }
    }
    print("device peak (large matmul) ...", flush=True)
    report["peak_gflops"] = peak_gflops(device)
    print("rendering: t2v vs the tutorial's PIL + PNG writer ...", flush=True)
    report["render"] = bench_render(render_clips)
    print("training throughput ...", flush=True)
    runs = [("layered", 64, False), ("layered", 256, False), ("seed", None, False)]
    report["train"] = [
        bench_train(cfg, arch, steps=10, device=device, batch_size=batch, compiled=compiled)
        for arch, batch, compiled in runs + ([("layered", 64, True)] if compiled else [])
    ]
    if compiled:  # the same step eager and compiled, in this run
        report["compile_speedup"] = round(
            report["train"][-1]["clips_per_s"] / report["train"][0]["clips_per_s"], 3
        )
    # The step runs in bf16 on CUDA (train.amp): its share is of the bf16 peak there, of fp32 elsewhere.
    peak_dtype = "bfloat16" if device.type == "cuda" and cfg.train.amp == "bf16" else "float32"
    peak = report["peak_gflops"][peak_dtype]
    for t in report["train"]:
        t["fraction_of_peak"] = round(t["achieved_gflops"] / peak, 3)
        t["peak_dtype"] = peak_dtype
    report["sample"] = bench_sample(Path("models/generator.pt"), 1024, device)
    report["generate_memory"] = bench_generate_memory(Path("models/generator.pt"))
    if repro:
        print("default pipeline, stage by stage (long) ...", flush=True)
        report["repro"] = bench_repro(Path(params))
    r = report["render"]
    print(
        f"render   {r['t2v_clips_per_s']:>9} clips/s ({r['t2v_files']} files) vs tutorial "
        f"{r['tutorial_clips_per_s']} clips/s ({r['tutorial_files']} files): {r['speedup']}x"
    )
    for t in report["train"]:
        print(
            f"train    {t['clips_per_s']:>9} clips/s  {t['arch']}, batch {t['batch_size']}, {t['device']}"
            f"{', compiled' if t['compiled'] else ''} (median of {t['clips_per_s_epochs']}): "
            f"{t['gflop_per_clip']} GFLOP/clip, {t['achieved_gflops']} GFLOP/s = "
            f"{t['fraction_of_peak']:.0%} of the {peak_dtype} matmul peak ({peak})"
        )
    if compiled:
        print(
            f"train.compile: {report['compile_speedup']}x eager "
            f"(warm-up {report['train'][-1]['warm_up_s']} s)"
        )
    if report["sample"]:
        print(f"sample   {report['sample']['clips_per_s']:>9} clips/s")
    for n, memory in (report["generate_memory"] or {}).items():
        print(f"generate --n {n}: peak RSS {memory['peak_rss_mb']} MB")
    if repro:
        for stage in STAGES:
            s = report["repro"][stage]
            print(f"{stage:17s} {s['seconds']:>7} s  peak RSS {s['peak_rss_mb']} MB")
        print(f"dvc repro total   {report['repro']['total_s']} s")
    write_json(out, report)
    print(f"benchmark written to {out}\n\nTo paste into an issue:\n\n{issue_block(report)}")
    return report


def issue_block(report: dict) -> str:
    """The training figures as a markdown block for an issue: the machine, then per architecture and batch
    the clips/s, the share of the matmul peak and the peak memory."""
    machine, first = report["machine"], report["train"][0]
    rows = [
        f"| {t['arch']}{' (compiled)' if t['compiled'] else ''} | {t['batch_size']} | {t['clips_per_s']} | "
        f"{t['achieved_gflops']} | "
        f"{t['fraction_of_peak']:.1%} of {t['peak_dtype']} | "
        f"{'-' if t['peak_memory_mb'] is None else t['peak_memory_mb']} |"
        for t in report["train"]
    ]
    return "\n".join(
        [
            f"`t2v bench` on {machine['device']} ({machine['name'] or 'unnamed'}, "
            f"{machine['cpu_capability']} kernels), torch {machine['torch']}, "
            f"{machine['cpu_count']} CPU cores, clips of {first['size']}px x {first['frames']} frames",
            "",
            "| arch | batch | clips/s | GFLOP/s | share of the matmul peak | peak memory, MB |",
            "| --- | --- | --- | --- | --- | --- |",
            *rows,
        ]
    )
