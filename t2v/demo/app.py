"""The demo page, on Gradio: a prompt box that offers the language as you type, clips and a seed; each
generated clip beside ground truth with the judges' verdict, or the bad prompt's one-line error. It listens on
127.0.0.1 only and makes no outside request: Gradio's analytics and version check are off."""

import html
import os
import socket
from pathlib import Path

from t2v.config import Config, knob_range
from t2v.demo.answer import MAX_CLIPS, Demo
from t2v.errors import T2VError
from t2v.prompts import COLOURS, CONJUNCTION, MOTIONS, SHAPES

# Read by Gradio at import and at launch: no telemetry, no update check, no hub.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("HF_HUB_OFFLINE", "1")

DEFAULT_PROMPT = "red square moving up-right"
TWO_OBJECT_HINTS = 12  # completions that join a second object to a finished first one
OBJECTS = [
    " ".join(w for w in (colour, shape, motion) if w)
    for colour in ("", *COLOURS)
    for shape in SHAPES
    for motion in MOTIONS
]
CSS = """
.t2v-clips { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 1rem; }
#clips figure { margin: 0; border: 1px solid #ddd; border-radius: 6px; padding: .5rem; }
#clips figure.fail { border-color: #e0a0a0; background: #fff6f6; }
#clips .pair { display: flex; gap: .4rem; }
#clips .pair div { text-align: center; font-size: .8rem; }
#clips .pair img { width: 120px; height: 120px; image-rendering: pixelated; display: block; }
#clips ul { padding-left: 1.1rem; margin: .4rem 0 0; font-size: .85rem; }
#clips ul.checks { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .1rem .8rem; }
#clips .ok { color: #1b7a2a; } #clips .no { color: #b00020; }
#error { color: #b00020; min-height: 1.2em; }
"""


def completions(text: str) -> list[str]:
    """The prompt box's choices for `text` (the box filters them as keys come): every object of the language,
    after the first object and 'and' where typed; and once a first object is whole, a few second objects
    joined to it."""
    words = text.lower().split()
    if CONJUNCTION in words:
        joined = len(words) - words[::-1].index(CONJUNCTION)
        return [" ".join(words[:joined]) + " " + o for o in OBJECTS]
    typed = " ".join(words)
    hints = [f"{typed} {CONJUNCTION} {o}" for o in OBJECTS[:TWO_OBJECT_HINTS]] if typed in OBJECTS else []
    return OBJECTS + hints


def _check(name: str, ok: bool, saw: str | None) -> str:
    mark, cls = ("&#10003;", "ok") if ok else ("&#10007;", "no")
    seen = f" (saw {html.escape(saw)})" if saw and not ok else ""
    return f'<li class="{cls}">{mark} {html.escape(name)}{seen}</li>'


def clips_html(answer: dict) -> str:
    """The answer's clips, each an animated GIF beside its ground truth, with the judges' checks and what
    they saw of each object."""
    figures = []
    for i, clip in enumerate(answer["clips"], 1):
        checks = "".join(_check(c["name"], c["ok"], c.get("saw")) for c in clip["checks"])
        saw = "".join(f"<li>{html.escape(line)}</li>" for line in clip["saw"])
        figures.append(
            f'<figure class="{"fail" if clip["passes"] is False else "pass"}"><div class="pair">'
            f'<div><img class="generated" alt="generated clip {i}" src="{clip["clip"]}">generated</div>'
            f'<div><img class="truth" alt="ground truth {i}" src="{clip["truth"]}">ground truth</div>'
            f'</div><ul class="checks">{checks}</ul><ul class="saw">{saw}</ul></figure>'
        )
    return f'<div class="t2v-clips">{"".join(figures)}</div>'


def _count(value: object, name: str, lo: int, hi: int) -> int:
    """A whole number in [lo, hi] from the page (which sends floats), else a one-line error."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise T2VError(f"{name} = {str(value)[:20]!r} is invalid: an integer in [{lo}, {hi}]")
    if not lo <= value <= hi:
        raise T2VError(f"{name} = {int(value)} is invalid: an integer in [{lo}, {hi}]")
    return int(value)


def respond(demo: Demo, prompt: object, n: object, seed: object) -> tuple[str, str, str]:
    """(error line, status line, clips) for one request: a bad prompt or number is an error line alone."""
    try:
        if not isinstance(prompt, str):
            raise T2VError("the prompt must be text: [colour] shape motion, or two joined by 'and'")
        count = _count(n, "n", 1, MAX_CLIPS)
        answer = demo.answer(prompt, count, _count(seed, "seed", *knob_range(Config, "seed")))
    except T2VError as err:
        return str(err).splitlines()[0], "", ""
    passed = sum(bool(c["passes"]) for c in answer["clips"])
    status = (
        f"{answer['prompt']}: {len(answer['clips'])} clip(s) in {answer['seconds']} s, "
        f"{passed} pass the judges"
    )
    return "", status, clips_html(answer)


def build(demo: Demo):
    """The page as Gradio Blocks; its endpoint `generate` answers (prompt, n, seed) one request at a time
    (the model is not shared across threads)."""
    import gradio as gr

    with gr.Blocks(title="t2v: try a prompt", analytics_enabled=False) as page:
        gr.Markdown("# t2v: type a prompt, watch the clips")
        with gr.Row(equal_height=True):
            prompt = gr.Dropdown(
                completions(""),
                value=DEFAULT_PROMPT,
                allow_custom_value=True,
                filterable=True,
                label="prompt: [colour] shape motion, or two joined by 'and'",
                elem_id="prompt",
                scale=4,
            )
            n = gr.Slider(1, MAX_CLIPS, value=4, step=1, label="clips", elem_id="n", scale=2)
            seed = gr.Number(0, precision=0, minimum=0, label="seed", elem_id="seed", scale=1)
            go = gr.Button("Generate", variant="primary", elem_id="go", scale=1)
        error = gr.Markdown(elem_id="error")
        status = gr.Markdown(elem_id="status")
        clips = gr.HTML(elem_id="clips")

        def offer(_: str, typed: gr.KeyUpData):
            return gr.Dropdown(choices=completions(typed.input_value))

        # Every key's choices, answered in order by the queue: the last key's come last. ("always_last" keeps
        # resending the first key's data in Gradio 6.31.)
        prompt.key_up(
            offer,
            prompt,
            prompt,
            show_progress="hidden",
            api_visibility="private",
            trigger_mode="multiple",
            concurrency_limit=1,
        )
        go.click(
            lambda p, k, s: respond(demo, p, k, s),
            [prompt, n, seed],
            [error, status, clips],
            api_name="generate",
            concurrency_limit=1,
            show_progress_on=clips,
        )
    return page


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(model_path: Path, cfg: Config, port: int) -> None:
    """Serve the page until interrupted, printing its address first (port 0: any free one)."""
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise T2VError("t2v serve needs Gradio, the demo extra: pip install -e '.[demo]'") from None
    page = build(Demo(model_path, cfg.data, fps=cfg.sample.fps))
    port = port or free_port()
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
    except OSError as err:
        raise T2VError(
            f"port {port} on 127.0.0.1: {err.strerror}; pass another --port (0: any free one)"
        ) from None
    page.launch(
        server_name="127.0.0.1",
        server_port=port,
        share=False,
        quiet=True,
        css=CSS,
        footer_links=[],
        prevent_thread_lock=True,
    )
    print(f"t2v serve: http://127.0.0.1:{port}/ (Ctrl-C stops)", flush=True)
    page.block_thread()
