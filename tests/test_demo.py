"""`t2v serve`: the Gradio page answers prompts with judged clips beside ground truth, outlives bad requests,
offers the language as you type, and works in a real browser (Chromium, driven by Playwright) without a
request leaving the machine."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

import psutil
import pytest
from PIL import Image

from t2v.demo.app import completions

FRAMES = 8  # the tiny model's


@pytest.fixture(scope="module")
def server(tiny_model, tmp_path_factory) -> Iterator[tuple[str, int]]:
    """t2v serve on a free local port, from outside any repository (--model given): its address and
    process id. Its output goes to a file, which no full pipe can stall."""
    where = tmp_path_factory.mktemp("serve")
    with open(where / "out.txt", "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "t2v.cli", "serve", "--model", str(tiny_model), "--port", "0"],
            cwd=where,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 120  # its address once it listens, or the test fails rather than hangs
    while not (address := re.search(r"http://127\.0\.0\.1:\d+/", (where / "out.txt").read_text())):
        assert proc.poll() is None and time.monotonic() < deadline, (where / "out.txt").read_text()[-2000:]
        time.sleep(0.2)
    yield address.group(0), proc.pid
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def ask(server):
    """(prompt, n, seed) -> (error line, status line, clips' HTML), through Gradio's own client; a value
    Gradio's inputs refuse comes back as its error line."""
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(server[0], verbose=False)

    def call(prompt, n, seed) -> tuple[str, str, str]:
        try:
            return tuple(client.predict(prompt, n, seed, api_name="/generate"))
        except AppError as err:
            return str(err), "", ""

    return call


def _frames(data_uri: str) -> int:
    """Frames of a data: URI's GIF; fails unless it decodes."""
    image = Image.open(io.BytesIO(base64.b64decode(data_uri.split(",", 1)[1])))
    assert image.format == "GIF"
    return image.n_frames


def _figures(html: str) -> list[dict]:
    """Each clip's figure: its generated and ground-truth images, check names, and what the judge saw."""
    return [
        {
            "clip": re.search(r'class="generated"[^>]*src="([^"]+)"', f).group(1),
            "truth": re.search(r'class="truth"[^>]*src="([^"]+)"', f).group(1),
            "checks": re.findall(r"</?li class=\"(?:ok|no)\">&#1\d+; ([^<(]+?)(?: \(|</li>)", f),
            "saw": re.findall(r"<li>([^<]+)</li>", f.split('class="saw"')[1]),
        }
        for f in html.split("<figure")[1:]
    ]


def test_the_box_offers_what_completes_the_typed_words_two_objects_included():
    assert len(completions("")) == 5 * 3 * 16, "no colour or one of four, a shape, a motion"
    assert completions("red sq") == completions("")
    after = completions("circle moving up")
    assert after[240:242] == [f"circle moving up and circle moving {m}" for m in ("up", "down")]
    second = completions("Red circle moving left  and b")
    assert len(second) == 240 and second[0] == "red circle moving left and circle moving up"
    assert all(o.startswith("red circle moving left and ") for o in second)


def test_an_answer_is_judged_clips_beside_ground_truth(ask):
    error, status, html = ask("Red square  moving up-right", 3, 0)
    assert error == "" and status.startswith("red square moving up-right: 3 clip(s) in ")
    figures = _figures(html)
    assert len(figures) == 3
    for figure in figures:
        assert _frames(figure["clip"]) == FRAMES and _frames(figure["truth"]) == FRAMES
        assert figure["checks"] == ["motion", "shape", "colour"]
        assert figure["saw"][0].startswith("red square moving up-right: ")
    _, _, two = ask("red circle moving left and blue square moving up", 1, 0)
    (pair,) = _figures(two)
    assert pair["checks"][-1] == "binding" and len(pair["saw"]) == 2
    assert ask("red square moving up-right", 3, 0)[2] == html, "the same seed, the same clips"


def test_fifty_bad_requests_in_a_row_get_one_line_each_and_cost_no_memory(server, ask):
    _, pid = server
    ask("circle moving up", 4, 0)
    before = psutil.Process(pid).memory_info().rss
    bad = [
        (f"purple circle moving up {i}", 4, 0)
        if i % 3 == 0
        else ("circle moving up", 99, 0)
        if i % 3 == 1
        else ("circle moving up", 2, -5)
        for i in range(50)
    ]
    for request in bad:
        error, status, html = ask(*request)
        assert error and "\n" not in error and not status and not html, (request, error)
    assert "colour 'purple' (the colours: red, green, blue, yellow)" in ask(*bad[0])[0]
    assert "99" in ask(*bad[1])[0] and "16" in ask(*bad[1])[0], "the bad count and the bound named"
    assert psutil.Process(pid).memory_info().rss - before < 20 * 2**20
    assert ask("circle moving up", 4, 0)[0] == ""


def test_serve_without_gradio_says_how_to_install_it(monkeypatch, tiny_model):
    from t2v.config import Config
    from t2v.demo.app import serve
    from t2v.errors import T2VError

    monkeypatch.setitem(sys.modules, "gradio", None)
    with pytest.raises(T2VError, match=r"pip install -e '\.\[demo\]'"):
        serve(tiny_model, Config(), 0)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium (.ci/run installs it)")
def test_the_page_in_a_real_browser(server):
    from playwright.sync_api import sync_playwright

    server, _ = server
    outside: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.on("request", lambda r: None if r.url.startswith((server, "data:")) else outside.append(r.url))
        page.goto(server)
        box = page.locator("#prompt input")
        box.click()
        box.fill("")
        box.press_sequentially("red circle moving left and b", delay=20)
        # The choices follow the keys (a round trip each): after 'and', every object joined to the first.
        page.wait_for_function(
            "(first => first && first.textContent.includes('red circle moving left and '))"
            "(document.querySelector('#prompt li[role=option]'))"
        )
        offered = [o.strip() for o in page.locator("#prompt li[role=option]").all_inner_texts()]
        assert "red circle moving left and red square moving up" in offered, "two-object prompts offered"
        listed = page.locator("#prompt li[role=option]").first.get_attribute("aria-setsize")
        assert listed == "240", "every object offered as the second (the box draws the first 100)"

        def ask(prompt: str) -> None:
            box.fill(prompt)
            box.press("Escape")
            page.locator("#n input[type=number]").fill("2")
            page.locator("#n input[type=number]").press("Enter")
            page.click("#go")

        ask("circle moving up")
        page.wait_for_function("document.querySelectorAll('#clips img').length == 4")
        sources = page.eval_on_selector_all("#clips img", "images => images.map(i => i.src)")
        assert all(_frames(src) == FRAMES for src in sources), "every clip an animated GIF"
        page.wait_for_function("[...document.querySelectorAll('#clips img')].every(i => i.naturalWidth > 0)")
        assert "circle moving up: 2 clip(s)" in page.inner_text("#status")

        ask("purple circle moving up")
        page.wait_for_function("document.querySelector('#error').textContent.includes('purple')")
        assert "colour 'purple' (the colours: red, green, blue, yellow)" in page.inner_text("#error")

        ask("red triangle expanding")
        page.wait_for_function("document.querySelector('#status').textContent.includes('red triangle')")
        assert page.inner_text("#error").strip() == "" and page.locator("#clips img.generated").count() == 2
        browser.close()
    assert outside == [], "the page asks nothing of any other host"
