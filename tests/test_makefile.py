"""The Makefile's translation of pip's package sources into uv's options (PIP_SOURCES): the torch install
finds its wheels where pip would."""

import subprocess
import sys
from pathlib import Path

MAKEFILE = Path(__file__).resolve().parent.parent / "Makefile"


def pip_sources(config_list: str) -> subprocess.CompletedProcess:
    text = MAKEFILE.read_text()
    program = text[text.index("define PIP_SOURCES\n") :].split("\n", 1)[1].split("\nendef\n")[0]
    return subprocess.run(
        [sys.executable, "-c", program],
        input=config_list,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )


def test_every_configured_source_becomes_a_uv_option_once_in_order():
    listed = (
        "global.cert='/etc/ssl/certs/ca-certificates.crt'\n"
        "global.find-links='/opt/wheels'\n"
        ":env:.find-links='/opt/wheels'\n"
        "global.extra-index-url='file:///opt/a/simple file:///opt/b/simple'\n"
        "install.index-url='https://mirror.example/simple'\n"
        "global.constraint='/etc/xdg/pip/constraints.txt'\n"
        ":env:.default-timeout='180'\n"
    )
    assert pip_sources(listed).stdout.split() == [
        "--find-links=/opt/wheels",
        "--extra-index-url=file:///opt/a/simple",
        "--extra-index-url=file:///opt/b/simple",
        "--index-url=https://mirror.example/simple",
        "--constraint=/etc/xdg/pip/constraints.txt",
    ]


def test_a_list_written_over_several_lines_gives_each_entry():
    assert pip_sources("global.find-links='/a\\n/b'\n").stdout.split() == [
        "--find-links=/a",
        "--find-links=/b",
    ]


def test_no_configuration_gives_no_options_and_a_garbled_line_is_named_not_fatal():
    assert pip_sources("").stdout.strip() == ""
    garbled = pip_sources("global.index-url=not a literal\nglobal.find-links='/w'\n")
    assert garbled.stdout.split() == ["--find-links=/w"]
    assert "global.index-url=not a literal" in garbled.stderr
