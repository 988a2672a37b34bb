"""The README's quick start, exactly as printed: `make run`'s host (`cozebridge --demo`, HTTP
plugin on 127.0.0.1:8090) answers the curl and `openai` SDK snippets of the README.

The snippets are read out of README.md, not copied here, so an edit of the README that breaks them
fails this test. The host is the staged one (`make stage`), as `make run` starts it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import coze_answers as ca  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PORT = 8090  # the README's port
DEMO_SEED = 1  # the demo emulator runs with the default seed


def readme_block(language: str, must_contain: str) -> str:
    """The README's fenced block of `language` that contains `must_contain`."""
    text = README.read_text(encoding="utf-8")
    for match in re.finditer(r"```" + language + r"\n(.*?)```", text, re.S):
        if must_contain in match.group(1):
            return match.group(1)
    raise AssertionError(f"README.md has no ```{language} block containing {must_contain!r}")


def host_binary() -> Path:
    configured = os.environ.get("COZEBRIDGE_HOST_BIN")
    if configured:
        return Path(configured)
    staged = ROOT / ".build" / "stage" / "bin" / "cozebridge"
    if not staged.exists():
        pytest.skip("no staged host: run `make stage` (make test does) or set COZEBRIDGE_HOST_BIN")
    return staged


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def demo_host(tmp_path_factory):
    binary = host_binary()
    assert binary.exists(), f"COZEBRIDGE_HOST_BIN={binary} does not exist"
    assert port_is_free(PORT), f"port {PORT} is taken; the README's snippets need it for `make run`'s host"
    logs = tmp_path_factory.mktemp("readme-host")
    stdout = open(logs / "stdout", "wb")
    stderr = open(logs / "stderr", "wb")
    process = subprocess.Popen([str(binary), "--demo"], stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise AssertionError(f"the demo host exited with {process.returncode}:\n{(logs / 'stderr').read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", PORT), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"nothing listens on {PORT} after 60 s:\n{(logs / 'stderr').read_text()}")
            time.sleep(0.2)
    yield process, logs
    process.send_signal(signal.SIGINT)
    try:
        status = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        stdout.close()
        stderr.close()
    assert status == 0, f"the demo host exited with {status} after SIGINT:\n{(logs / 'stderr').read_text()}"


def test_the_demo_prints_how_to_reach_it(demo_host):
    _, logs = demo_host
    banner = (logs / "stdout").read_text()
    assert f"http://127.0.0.1:{PORT}/v1" in banner
    assert "api key: demo" in banner


def test_the_curl_snippet_works_as_printed(demo_host):
    snippet = readme_block("sh", "curl -s http://127.0.0.1:8090/v1/chat/completions")
    done = subprocess.run(["bash", "-c", snippet], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["content"] == ca.answer("Hello!", None, DEMO_SEED)


def test_the_openai_snippet_works_as_printed(demo_host):
    snippet = readme_block("python", "from openai import OpenAI")
    done = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ca.answer("Tell me about lighthouses", None, DEMO_SEED) + "\n"
