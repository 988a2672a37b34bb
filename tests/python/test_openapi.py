"""The http plugin's OpenAPI description (`GET /openapi.json`) and schemathesis against it.

The document must be valid OpenAPI and say what the plugin does: schemathesis generates requests
for every operation from it (bodies, query strings, headers; valid ones and, in its coverage phase,
boundary and invalid ones) and checks each answer: no 5xx, a documented status code and content
type, a body that conforms to the documented schema (for event streams, every event). Each
failure it found was a bug of the plugin or of the document; the fixed ones are kept below as
plain regression tests.

The host runs against the Discord emulator with a Coze that answers at once (no start delay, two
quick edits, no rate limits), so the turns the generated chat requests start stay short; image
prompts carry the emulator's `image-embed` marker so that the bot draws.

Binaries as in test_http_plugin.py (COZEBRIDGE_HOST_BIN, COZEBRIDGE_HTTP_PLUGIN or
COZEBRIDGE_PLUGIN_DIR, COZEBRIDGE_LIBRARY, DISCORD_EMULATOR_BIN).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest

from emu import host_binary, running_emulator

host_binary()  # skips the module, as test_http_plugin.py does, when no host is built

import hypothesis  # noqa: E402
import hypothesis.strategies as st  # noqa: E402
import schemathesis  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from test_http_plugin import CL100K_RANKS, KEY, MODEL, assert_openai_error, request, serve  # noqa: E402

# Coze answers at once: every generated chat request is a real turn on the emulator.
QUICK_COZE = {"coze": {"start_delay_ms": 0, "edit_interval_ms": 20, "chunks": 2}, "rate_limits": {"enabled": False}}
MAX_BODY = 64 * 1024
# Examples per operation of schemathesis' fuzzing phase (its examples and coverage phases add their
# own cases); a fixed seed keeps CI's runs alike, OPENAPI_SEED explores others.
MAX_EXAMPLES = int(os.environ.get("OPENAPI_MAX_EXAMPLES", "25"))
SEED = int(os.environ.get("OPENAPI_SEED", "6"))
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance"]

# Every route the plugin registers (HTTPPlugin.router), as (method, path).
ROUTES = {
    ("post", "/v1/chat/completions"), ("post", "/v1/images/generations"), ("get", "/v1/models"),
    ("get", "/v1/models/{model}"), ("get", "/health"), ("get", "/metrics"), ("get", "/Ping"), ("post", "/Ping"),
    ("get", "/"), ("get", "/robots.txt"), ("get", "/openapi.json"),
} | {(method, f"/api/{name}") for method in ("get", "post") for name in (
    "CreateConversation", "DeleteConversation", "RenameConversation", "GetConversations", "ConversationIsFound",
    "Chat", "ChatStream", "Keepalive", "IsBotOnline")}


@pytest.fixture(scope="module")
def emulator():
    yield from running_emulator(QUICK_COZE)


@pytest.fixture(scope="module")
def server(emulator, tmp_path_factory):
    """The host with the http plugin; yields its base URL."""
    yield from serve(emulator, tmp_path_factory.mktemp("openapi"), {
        "Models": [MODEL], "MaxBodyBytes": MAX_BODY, "TokenizerRanks": str(CL100K_RANKS),
        "ImagePromptSuffix": " [scenario:image-embed]"})


@pytest.fixture(scope="module")
def document(server) -> dict:
    status, headers, body = request(server, "GET", "/openapi.json", key=None)
    assert status == 200, body
    assert headers["content-type"].startswith("application/json")
    return json.loads(body)


@pytest.fixture(scope="module")
def api_schema(server, document):
    return schemathesis.openapi.from_url(server + "/openapi.json")


def test_document_is_valid_openapi(api_schema, document):
    # schemathesis checks it against the OpenAPI 3.2 meta-schema
    api_schema.validate()
    assert document["openapi"].startswith("3.2")
    served = {(method, path) for path, item in document["paths"].items() for method in item}
    assert served == ROUTES
    assert set(document["components"]["securitySchemes"]) == {"bearer", "keyHeader", "keyQuery"}
    # the configured models are the ones the document offers
    chat = document["components"]["schemas"]["ChatCompletionRequest"]
    assert chat["properties"]["model"]["enum"] == [MODEL]


def test_document_needs_no_key(server):
    assert request(server, "GET", "/openapi.json", key=None)[0] == 200
    assert request(server, "GET", "/openapi.json", key="not-a-key")[0] == 200
    # paths are case-insensitive, like every other route
    assert request(server, "GET", "/OpenAPI.json", key=None)[0] == 200


def test_schemathesis(server, tmp_path):
    # The command line rather than the pytest integration: it runs every phase (examples, the
    # coverage phase's boundary and invalid values, fuzzing), both valid and invalid data.
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", server + "/openapi.json",
        "--checks", ",".join(CHECKS), "--header", f"Authorization: Bearer {KEY}",
        "--phases", "examples,coverage,fuzzing", "--mode", "all", "--max-examples", str(MAX_EXAMPLES),
        "--seed", str(SEED), "--workers", "2", "--request-timeout", "30", "--suppress-health-check", "all",
        "--report", "junit", "--report-junit-path", str(tmp_path / "junit.xml"),
    ]
    started = time.monotonic()
    # in tmp_path: schemathesis keeps its replay store (.schemathesis/) in the working directory
    run = subprocess.run(command, capture_output=True, text=True, timeout=170, cwd=tmp_path,
                         env=dict(os.environ, NO_COLOR="1"))
    elapsed = time.monotonic() - started
    report = (tmp_path / "junit.xml").read_text()
    summary = "\n".join(line for line in run.stdout.splitlines() if re.search(r"test cases|passed|failed|errors", line))
    print(f"schemathesis: {elapsed:.0f} s\n{summary}")
    assert run.returncode == 0, f"schemathesis found failures ({elapsed:.0f} s):\n{run.stdout[-20000:]}\n{run.stderr[-3000:]}"
    assert "<failure" not in report and "<error" not in report


def test_generated_dialogues_reach_the_bot(server, api_schema):
    # schemathesis' own bodies almost never end with a user message, so few of them reach a turn;
    # here the structure is valid and everything else generated: roles, texts (any Unicode),
    # content parts, names, streaming. Each answer is checked against the document as above.
    operation = api_schema["/v1/chat/completions"]["POST"]
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    text = st.text(max_size=300)
    part = st.one_of(
        st.builds(lambda t: {"type": "text", "text": t}, text),
        st.builds(lambda u: {"type": "image_url", "image_url": {"url": u}},
                  st.sampled_from(["https://example.com/a.png", "data:image/png;base64,iVBORw0KGgo=", "ftp://x"])))
    content = st.one_of(text, st.lists(part, max_size=3))
    earlier = st.fixed_dictionaries({"role": st.sampled_from(["system", "developer", "user", "assistant", "tool"]) | text,
                                     "content": content | st.none()}, optional={"name": text})
    last = st.fixed_dictionaries({"role": st.sampled_from(["user", "USER"]), "content": content})
    body = st.fixed_dictionaries(
        {"model": st.just(MODEL), "messages": st.builds(lambda a, b: a + [b], st.lists(earlier, max_size=4), last)},
        optional={"stream": st.booleans(), "user": text | st.none(),
                  "stream_options": st.fixed_dictionaries({"include_usage": st.booleans()})})
    outcomes: dict[int, int] = {}

    @hypothesis.given(body)
    @hypothesis.settings(max_examples=MAX_EXAMPLES * 2, deadline=None, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    def one(chat):
        case = operation.Case(body=chat, headers={"Authorization": f"Bearer {KEY}"}, media_type="application/json")
        response = case.call(timeout=30)
        outcomes[response.status_code] = outcomes.get(response.status_code, 0) + 1
        case.validate_response(response, checks=checks)

    one()
    print(f"generated dialogues: {outcomes}")
    assert outcomes.get(200, 0) > 0, outcomes


# ---------------------------------------------------------------------------------------------
# What schemathesis found, kept as plain regressions
# ---------------------------------------------------------------------------------------------


def test_nul_character_is_a_bad_request(server):
    # The core takes C strings: a NUL cut an image prompt short (its `[scenario:image-embed]` suffix
    # with it), so Coze answered without an image and the plugin said 502. Text with a NUL is a 400.
    status, _, body = request(server, "POST", "/v1/images/generations", {"prompt": "\u0094\u0000~ a kite"})
    error = assert_openai_error(status, body, 400, "invalid_text")
    assert error["param"] == "prompt"
    status, _, body = request(server, "POST", "/v1/chat/completions", {
        "model": MODEL, "messages": [{"role": "user", "content": "before\u0000after"}]})
    assert assert_openai_error(status, body, 400)["param"] == "messages[0].content"
    status, _, body = request(server, "POST", "/v1/chat/completions", {
        "model": MODEL, "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"},
                                                                  {"type": "image_url", "image_url": "data:\u0000"}]}]})
    assert assert_openai_error(status, body, 400)["param"] == "messages[0].content"
    status, _, body = request(server, "POST", "/v1/chat/completions", {
        "model": MODEL, "user": "name\u0000", "messages": [{"role": "user", "content": "hello"}]})
    assert assert_openai_error(status, body, 400, "invalid_text")["param"] == "user"
    status, _, body = request(server, "POST", "/api/Chat", {"name": "nul", "prompt": "a\u0000b"})
    assert status == 400 and json.loads(body)["code"] == 400 and "NUL" in json.loads(body)["message"], body
    status, _, body = request(server, "GET", "/api/ConversationIsFound?name=a%00b")
    assert status == 400 and "NUL" in json.loads(body)["message"], body
