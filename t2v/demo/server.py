"""The demo's HTTP server, on the standard library: the page at /, answers at POST /generate. It listens on
127.0.0.1 only, makes no outside request, and stays up through any bad request, answering it in one line."""

from __future__ import annotations

import functools
import json
import sys
import threading
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from t2v.config import Config, knob_range
from t2v.demo.answer import MAX_CLIPS, Demo
from t2v.errors import T2VError
from t2v.prompts import COLOURS, CONJUNCTION, MOTIONS, SHAPES

PAGE = Path(__file__).with_name("page.html")
MAX_BODY = 4096  # bytes of a request: a prompt, a count and a seed


def _field(body: dict, name: str, lo: int, hi: int) -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise T2VError(f"{name} = {str(value)[:20]!r} is invalid: an integer in [{lo}, {hi}]")
    return value


@functools.cache
def page_html() -> bytes:
    """The page, with the prompt language it offers as you type (built once: it never changes)."""
    language = {
        "colours": list(COLOURS),
        "shapes": list(SHAPES),
        "motions": list(MOTIONS),
        "and": CONJUNCTION,
    }
    text = (
        PAGE.read_text()
        .replace("{{LANGUAGE}}", json.dumps(language))
        .replace("{{MAX_CLIPS}}", str(MAX_CLIPS))
    )
    return text.encode()


class Handler(BaseHTTPRequestHandler):
    server: DemoServer

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        if self.path.split("?")[0] != "/":
            self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
            return
        self._send(HTTPStatus.OK, page_html(), "text/html; charset=utf-8")

    def do_POST(self) -> None:  # noqa: N802
        if self.path != "/generate":
            self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BODY:
                raise T2VError(f"a request of {length} bytes: at most {MAX_BODY}")
            body = json.loads(self.rfile.read(length))
            if not isinstance(body, dict) or not isinstance(body.get("prompt"), str):
                raise T2VError('a request is {"prompt": "...", "n": 4, "seed": 0}')
            n, seed = _field(body, "n", 1, MAX_CLIPS), _field(body, "seed", *knob_range(Config, "seed"))
            with self.server.lock:  # one answer at a time: the model is not shared across threads
                answer = self.server.demo.answer(body["prompt"], n, seed)
            self._json(HTTPStatus.OK, answer)
        except (T2VError, ValueError) as err:  # ValueError: a body that is not JSON
            self._json(HTTPStatus.BAD_REQUEST, {"error": str(err).splitlines()[0]})
        except Exception as err:  # the server outlives any one answer; the traceback goes to its log
            traceback.print_exc()
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"internal error: {type(err).__name__}"})

    def _json(self, status: HTTPStatus, payload: dict) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _send(self, status: HTTPStatus, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # one line per request, on stderr
        sys.stderr.write(f"t2v serve: {self.command} {self.path} {args[1] if len(args) > 1 else ''}\n")


class DemoServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, demo: Demo, port: int):
        super().__init__(("127.0.0.1", port), Handler)
        self.demo, self.lock = demo, threading.Lock()


def serve(model_path: Path, cfg: Config, port: int) -> None:
    """Serve the demo until interrupted, printing its address first."""
    demo = Demo(model_path, cfg.data, fps=cfg.sample.fps)
    try:
        server = DemoServer(demo, port)
    except OSError as err:
        raise T2VError(
            f"port {port} on 127.0.0.1: {err.strerror}; pass another --port (0: any free one)"
        ) from None
    print(f"t2v serve: http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)", flush=True)
    with server:
        server.serve_forever()
