"""`t2v serve`: the demo page answers prompts with judged clips beside ground truth, outlives bad requests,
and works in a real browser (Chromium, driven by Playwright)."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator

import psutil
import pytest
from PIL import Image

FRAMES = 8  # the tiny model's


@pytest.fixture(scope="module")
def server(tiny_model, tmp_path_factory) -> Iterator[tuple[str, int]]:
    """t2v serve on a free local port, from outside any repository (--model given): its address and
    process id."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "t2v.cli", "serve", "--model", str(tiny_model), "--port", "0"],
        cwd=tmp_path_factory.mktemp("serve"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline()
    address = re.search(r"http://127\.0\.0\.1:\d+/", line)
    assert address, f"no address in {line!r}"
    yield address.group(0), proc.pid
    proc.terminate()
    proc.wait(timeout=30)


def _post(address: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(address + "generate", data=json.dumps(body).encode())
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _frames(data_uri: str) -> int:
    """Frames of a data: URI's GIF; fails unless it decodes."""
    image = Image.open(io.BytesIO(base64.b64decode(data_uri.split(",", 1)[1])))
    assert image.format == "GIF"
    return image.n_frames


def test_an_answer_is_judged_clips_beside_ground_truth(server):
    server, _ = server
    status, answer = _post(server, {"prompt": "Red square  moving up-right", "n": 3, "seed": 0})
    assert status == 200 and answer["prompt"] == "red square moving up-right"
    assert len(answer["clips"]) == 3
    for clip in answer["clips"]:
        assert _frames(clip["clip"]) == FRAMES and _frames(clip["truth"]) == FRAMES
        assert [c["name"] for c in clip["checks"]] == ["motion", "shape", "colour"]
        assert isinstance(clip["passes"], bool) and clip["saw"][0].startswith("red square moving up-right: ")
    _, two = _post(server, {"prompt": "red circle moving left and blue square moving up", "n": 1, "seed": 0})
    assert [c["name"] for c in two["clips"][0]["checks"]][-1] == "binding" and len(
        two["clips"][0]["saw"]
    ) == 2
    assert (
        _post(server, {"prompt": "red square moving up-right", "n": 3, "seed": 0})[1]["clips"]
        == answer["clips"]
    )


def test_fifty_bad_requests_in_a_row_get_one_line_each_and_cost_no_memory(server):
    server, pid = server
    _post(server, {"prompt": "circle moving up", "n": 4, "seed": 0})
    before = psutil.Process(pid).memory_info().rss
    bad = [
        {"prompt": f"purple circle moving up {i}", "n": 4, "seed": 0}
        if i % 3 == 0
        else {"prompt": "circle moving up", "n": 99, "seed": 0}
        if i % 3 == 1
        else {"prompt": ["not", "text"], "n": 1, "seed": 0}
        for i in range(50)
    ]
    for body in bad:
        status, answer = _post(server, body)
        assert status == 400 and "\n" not in answer["error"], answer
    assert "colour 'purple' (the colours: red, green, blue, yellow)" in _post(server, bad[0])[1]["error"]
    assert psutil.Process(pid).memory_info().rss - before < 20 * 2**20
    assert _post(server, {"prompt": "circle moving up", "n": 4, "seed": 0})[0] == 200


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium (.ci/run installs it)")
def test_the_page_in_a_real_browser(server):
    from playwright.sync_api import sync_playwright

    server, _ = server
    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(server)
        offered = page.eval_on_selector_all("#words option", "options => options.map(o => o.value)")
        assert "red square moving up-right" in offered
        page.fill("#prompt", "red circle moving left and ")
        page.dispatch_event("#prompt", "input")
        offered = page.eval_on_selector_all("#words option", "options => options.map(o => o.value)")
        assert "red circle moving left and blue square moving up" in offered, "two-object prompts offered"

        def ask(prompt: str) -> None:
            page.fill("#prompt", prompt)
            page.fill("#n", "2")
            page.click("#go")

        ask("circle moving up")
        page.wait_for_function("document.querySelectorAll('#clips img').length == 4")
        sources = page.eval_on_selector_all("#clips img", "images => images.map(i => i.src)")
        assert all(_frames(src) == FRAMES for src in sources), "every clip an animated GIF"
        assert page.eval_on_selector_all("#clips img", "images => images.every(i => i.naturalWidth > 0)")
        assert "circle moving up: 2 clip(s)" in page.inner_text("#status")

        ask("purple circle moving up")
        page.wait_for_function("document.querySelector('#error').textContent.length > 0")
        assert "colour 'purple' (the colours: red, green, blue, yellow)" in page.inner_text("#error")

        ask("red triangle expanding")
        page.wait_for_function(
            "document.querySelector('#status').textContent.includes('red triangle expanding')"
        )
        assert page.inner_text("#error") == "" and len(page.query_selector_all("#clips img.generated")) == 2
        browser.close()
