"""The Python bindings (bindings/python, package `cozebridge`) against libcozebridge and the emulator.

The library is taken from $COZEBRIDGE_LIBRARY (the Makefile sets it); without it, and with no
libcozebridge on the system's search path, the module is skipped. Expected answers are computed
independently by coze_answers.py, a port of the emulator's CozeAnswerGenerator.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import itertools
import os
import re
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
BINDINGS_SRC = REPO_ROOT / "bindings" / "python" / "src"
# Test the checked-out package (an installed copy of the same version would do as well).
sys.path.insert(0, str(BINDINGS_SRC))

import cozebridge  # noqa: E402
from cozebridge import (  # noqa: E402
    Answer,
    Bridge,
    ClosedError,
    ConfigError,
    Correction,
    CozeError,
    CozeTimeoutError,
    Delta,
    Done,
    ExistsError,
    ImageEvent,
    InvalidArgumentError,
    NotFoundError,
    QuotaError,
    StreamCancelled,
    Suggestions,
    UnknownKeyError,
)

_load_problem = None
try:
    cozebridge.load_library()
except cozebridge.LibraryNotFoundError as _e:
    _load_problem = str(_e)
if _load_problem is not None:
    if os.environ.get("COZEBRIDGE_LIBRARY"):
        # Asked for explicitly (as `make test-python` does): a broken path must fail, not skip.
        pytest.fail(f"COZEBRIDGE_LIBRARY is set but the library does not load: {_load_problem}", pytrace=False)
    pytest.skip(f"libcozebridge not available (set COZEBRIDGE_LIBRARY to its path): {_load_problem}",
                allow_module_level=True)

import coze_answers as ca  # noqa: E402
from emu import bridge_config_yaml, control, running_emulator  # noqa: E402

KEY = "k"
SEED = 1  # the emulator's default seed
SCENARIO = {"coze": {"start_delay_ms": 50, "edit_interval_ms": 50}, "rate_limits": {"enabled": False}}
# Several visible deltas over a few seconds, for the cancellation tests.
SLOW_EDITS = {"coze": {"chunks": 10, "edit_interval_ms": 300}}
FAST_EDITS = {"coze": {"chunks": 4, "edit_interval_ms": 50}}

_names = itertools.count(1)


def conv_name(prefix: str) -> str:
    return f"py-{prefix}-{os.getpid()}-{next(_names)}"


def config_yaml(info: dict, store_path: Path) -> str:
    return bridge_config_yaml(info, store_path, KEY)


# ---------------------------------------------------------------------------------------------
# Fixtures: one emulator and one bridge per module
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emulator_info():
    for emu in running_emulator(SCENARIO):
        yield emu.info


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("cozebridge-py")


@pytest.fixture(scope="module")
def config_file(emulator_info, workdir) -> Path:
    path = workdir / "Config.yml"
    path.write_text(config_yaml(emulator_info, workdir / "conversations.sqlite"))
    return path


@pytest.fixture(scope="module")
def bridge(config_file):
    b = Bridge(config_path=config_file, ready_timeout=20.0)
    try:
        b.wait_ready(20.0)
        yield b
    finally:
        b.close()


@pytest.fixture
def slow_coze(emulator_info):
    control(emulator_info, "PUT", "/scenario", SLOW_EDITS)
    try:
        yield
    finally:
        control(emulator_info, "PUT", "/scenario", FAST_EDITS)


def expected(prompt: str, previous: str | None = None) -> str:
    return ca.answer(prompt, previous, SEED)


# ---------------------------------------------------------------------------------------------
# Library and version
# ---------------------------------------------------------------------------------------------


def test_version():
    assert cozebridge.version() == "0.1.0"
    assert cozebridge.version_number() == 100
    assert cozebridge.version() == cozebridge.HEADER_VERSION
    assert cozebridge.strerror(cozebridge.ENOKEY).startswith("COZE_ENOKEY")
    lib = cozebridge.load_library()
    for name in cozebridge._ffi.FUNCTION_NAMES:
        assert hasattr(lib, name), name


def test_error_classes_cover_every_code():
    expected_classes = {
        1: cozebridge.InvalidArgumentError, 2: cozebridge.ConfigError, 3: cozebridge.UnknownKeyError,
        4: cozebridge.NotFoundError, 5: cozebridge.ExistsError, 6: cozebridge.UnavailableError,
        7: cozebridge.PromptError, 8: cozebridge.DiscordError, 9: cozebridge.NoReplyError,
        10: cozebridge.QuotaError, 11: cozebridge.CozeReportedError, 12: cozebridge.CozeTimeoutError,
        13: cozebridge.GoneError, 14: cozebridge.StreamCancelled, 15: cozebridge.StoreError,
        16: cozebridge.ClosedError, 17: cozebridge.ReentrantError, 18: cozebridge.InternalError,
    }
    for code, cls in expected_classes.items():
        err = cozebridge.error_for(code, "m")
        assert type(err) is cls and err.code == code and err.message == "m"
        assert isinstance(err, CozeError)
        # the library's own name for the code agrees with ours
        assert cozebridge.strerror(code).startswith(err.name + ":"), (code, cozebridge.strerror(code))
    assert isinstance(cozebridge.error_for(12), TimeoutError)
    assert type(cozebridge.error_for(99, "x")) is CozeError


# ---------------------------------------------------------------------------------------------
# Status, configuration
# ---------------------------------------------------------------------------------------------


def test_status_shows_one_ready_bot(bridge):
    status = bridge.status()
    assert len(status) == 1, status
    bot = status[0]
    assert bot.access_key == KEY
    assert bot.state == cozebridge.BOT_READY and bot.ready and bot.state_name == "ready", bot
    assert bot.available is True
    assert bot.sender_mode == "bot"
    assert bot.identity
    assert bot.quota_exhausted_until_ms == 0


def test_wait_ready_when_ready_returns_at_once(bridge):
    t0 = time.monotonic()
    bridge.wait_ready(5.0)
    assert time.monotonic() - t0 < 2.0


def test_config_json(bridge, emulator_info):
    whole = bridge.config_json()
    assert isinstance(whole, dict)
    assert "Bots" in whole, sorted(whole)
    assert bridge.config_json("Discord_API") == emulator_info["api"]
    assert bridge.config_json("generate_timeout") in (3000, "3000")
    with pytest.raises(NotFoundError) as info:
        bridge.config_json("No_Such_Key")
    assert info.value.code == cozebridge.ENOTFOUND


# ---------------------------------------------------------------------------------------------
# send
# ---------------------------------------------------------------------------------------------


def test_send(bridge):
    prompt = "Hello from the Python bindings, can you help me plan my week?"
    answer = bridge.send(prompt, conv_name("send"), key=KEY, timeout=60)
    assert isinstance(answer, Answer)
    text = expected(prompt)
    assert answer.text == text
    assert answer.suggestions == ca.suggestions(text, SEED)
    assert answer.completion == "suggestions"
    assert answer.images == []


def test_find_conversation_by_history(bridge):
    conv = conv_name("history")
    first = "Tell me about mountains"
    answer = bridge.send(first, conv, key=KEY, timeout=60)
    assert bridge.find_conversation([(first, answer.text)], key=KEY) == conv
    assert bridge.find_conversation([(first, "another answer")], key=KEY) is None
    second = bridge.send("And valleys?", conv, key=KEY, timeout=60)
    # The one-exchange history is now a prefix, not a continuation.
    assert bridge.find_conversation([(first, answer.text)], key=KEY) is None
    assert bridge.find_conversation([(first, answer.text), ("And valleys?", second.text)], key=KEY) == conv
    with pytest.raises(UnknownKeyError):
        bridge.find_conversation([(first, answer.text)], key="no-such-key")


def test_plugins_lists_the_configured_plugins(bridge):
    assert bridge.plugins() == []


def test_statistics_count_requests_and_sessions(bridge):
    bridge.send("Count this request", conv_name("stats"), key=KEY, timeout=60)
    (bot,) = bridge.statistics()["bots"]
    assert bot["access_key"] == KEY and bot["state"] == "ready"
    assert bot["rest"]["attempts"] >= 2  # at least the channel and the prompt
    assert bot["rest"]["rate_limited"] == 0
    assert bot["gateway"]["connections"] == 1 and bot["gateway"]["identifies"] == 1


def test_send_memory_follows_the_previous_turn(bridge):
    conv = conv_name("memory")
    first = "My favourite colour is teal."
    assert bridge.send(first, conv, key=KEY, timeout=60).text == expected(first)
    again = bridge.send("what did I say before?", conv, key=KEY, timeout=60)
    assert again.text == f'You said before: "{first}".'


def test_send_unknown_key(bridge):
    with pytest.raises(UnknownKeyError) as info:
        bridge.send("hello", conv_name("nokey"), key="no-such-key", timeout=30)
    err = info.value
    assert err.code == 3
    assert "no-such-key" in err.message, err.message


def test_send_empty_conversation_is_invalid(bridge):
    with pytest.raises(InvalidArgumentError) as info:
        bridge.send("hello", "", key=KEY, timeout=30)
    assert info.value.code == cozebridge.EINVAL


def test_send_caller_timeout_keeps_the_turn(bridge, slow_coze):
    conv = conv_name("timeout")
    prompt = "Tell me something about gardens in spring."
    t0 = time.monotonic()
    with pytest.raises(CozeTimeoutError) as info:
        bridge.send(prompt, conv, key=KEY, timeout=0.3)
    assert info.value.code == cozebridge.ETIMEOUT
    assert isinstance(info.value, TimeoutError)
    assert time.monotonic() - t0 < 3.0
    # The turn still ran to its end and was recorded: the next one follows it.
    again = bridge.send("what did I say before?", conv, key=KEY, timeout=60)
    assert again.text == f'You said before: "{prompt}".'


def test_send_image_embed(bridge):
    prompt = "Draw me a small picture [scenario:image-embed]"
    answer = bridge.send(prompt, conv_name("embed"), key=KEY, timeout=60)
    text = expected(prompt)
    assert answer.text == text
    assert len(answer.images) == 1, answer.images
    image = answer.images[0]
    assert image.source == "embed"
    assert image.url.endswith("/attachments/coze/" + ca.image_filename(text, SEED)), image.url
    assert (image.width, image.height) == (8, 8)


def tiny_png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


def test_send_with_images(bridge):
    png = tiny_png()
    prompt = "What is in this picture?"
    answer = bridge.send(prompt, conv_name("upload"), key=KEY, images=[png], timeout=60)
    assert answer.text == f"I see an image named image-1.png ({len(png)} bytes). " + expected(prompt)
    # a data URI is uploaded the same way; a URL goes on its own line of the prompt
    url = "https://example.com/cat.png"
    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    answer = bridge.send(prompt, conv_name("upload2"), key=KEY, images=[uri, url], timeout=60)
    assert answer.text == f"I see an image named image-1.png ({len(png)} bytes). " + expected(prompt + " " + url)


def test_send_malformed_image(bridge):
    with pytest.raises(cozebridge.PromptError) as info:
        bridge.send("hello", conv_name("badimg"), key=KEY, images=["data:image/png;base64,!!!"], timeout=30)
    assert info.value.code == cozebridge.EPROMPT
    assert "base64" in info.value.message


def test_send_without_suggestions_ends_idle(bridge):
    prompt = "Answer without buttons please [scenario:no-suggestions]"
    t0 = time.monotonic()
    answer = bridge.send(prompt, conv_name("idle"), key=KEY, timeout=60)
    assert answer.text == expected(prompt)
    assert answer.suggestions == []
    assert answer.completion == "idle"
    assert time.monotonic() - t0 >= 2.5  # generate_timeout is 3000 ms


def test_concurrent_sends_from_threads(bridge):
    prompts = [f"Concurrent question number {i} about budgets" for i in range(3)]
    results: dict = {}

    def run(i: int) -> None:
        try:
            results[i] = bridge.send(prompts[i], conv_name(f"thread{i}"), key=KEY, timeout=60)
        except BaseException as e:  # noqa: BLE001
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    for i in range(3):
        r = results.get(i)
        assert isinstance(r, Answer), r
        assert r.text == expected(prompts[i])


# ---------------------------------------------------------------------------------------------
# stream (synchronous iterator)
# ---------------------------------------------------------------------------------------------


def test_stream(bridge):
    prompt = "Stream me an answer about the moving plan"
    with bridge.stream(prompt, conv_name("stream"), key=KEY, timeout=60) as s:
        events = list(s)
    text = expected(prompt)
    assert events, "no events"
    assert isinstance(events[-1], Done), events
    assert sum(isinstance(e, Done) for e in events) == 1
    answer = events[-1].answer
    assert answer.text == text
    assert s.answer == answer
    deltas = [e for e in events if isinstance(e, Delta)]
    assert len(deltas) >= 2, events
    assert "".join(d.text for d in deltas) == answer.text
    assert not any(isinstance(e, Correction) for e in events), events
    sugg = [e for e in events if isinstance(e, Suggestions)]
    assert len(sugg) == 1 and events[-2] is sugg[0], events
    assert sugg[0].suggestions == ca.suggestions(text, SEED) == answer.suggestions
    assert len(answer.suggestions) == 3
    # exhausted: iterating again yields nothing
    assert list(s) == []


def test_stream_result_helper(bridge):
    prompt = "One more streamed question"
    assert bridge.stream(prompt, conv_name("result"), key=KEY, timeout=60).result().text == expected(prompt)


def test_stream_image_attachment(bridge):
    prompt = "Attach a picture [scenario:image-attachment]"
    with bridge.stream(prompt, conv_name("attach"), key=KEY, timeout=60) as s:
        events = list(s)
    text = expected(prompt)
    images = [e.image for e in events if isinstance(e, ImageEvent)]
    assert len(images) == 1, events
    name = ca.image_filename(text, SEED)
    assert images[0].source == "attachment"
    assert images[0].filename == name
    assert images[0].content_type == "image/png"
    assert (images[0].width, images[0].height) == (8, 8)
    done = events[-1]
    assert isinstance(done, Done)
    assert done.answer.text == text
    assert done.answer.images == images


def test_stream_correction(bridge):
    prompt = "Give me a numbered list [scenario:rewrite]"
    with bridge.stream(prompt, conv_name("rewrite"), key=KEY, timeout=60) as s:
        events = list(s)
    text = expected(prompt)
    corrections = [e for e in events if isinstance(e, Correction)]
    assert corrections, events
    shown = ""
    for e in events:
        if isinstance(e, Delta):
            shown += e.text
        elif isinstance(e, Correction):
            shown = e.full_text
    assert isinstance(events[-1], Done)
    assert shown == events[-1].answer.text == text


def test_stream_unknown_key_raises_at_the_end(bridge):
    s = bridge.stream("hello", conv_name("nokey-stream"), key="another-unknown-key", timeout=30)
    with pytest.raises(UnknownKeyError) as info:
        for _ in s:
            pass
    assert info.value.code == 3
    assert "another-unknown-key" in info.value.message
    assert s.finished
    assert list(s) == []


def test_stream_cancelled_halfway_keeps_the_turn(bridge, slow_coze):
    conv = conv_name("cancel")
    prompt = "Please plan a long weekend trip for me"
    events = []
    with bridge.stream(prompt, conv, key=KEY, timeout=60) as s:
        with pytest.raises(StreamCancelled) as info:
            for event in s:
                events.append(event)
                if isinstance(event, Delta):
                    s.cancel()
        assert info.value.code == cozebridge.ECANCELLED
    assert len(events) == 1 and isinstance(events[0], Delta), events
    full = expected(prompt)
    assert full.startswith(events[0].text) and len(events[0].text) < len(full)
    assert s.finished
    # The turn went on on Discord and was recorded: the next turn of the conversation follows it.
    again = bridge.send("what did I say before?", conv, key=KEY, timeout=60)
    assert again.text == f'You said before: "{prompt}".'
    listed = {c.name: c for c in bridge.conversations(key=KEY)}
    assert listed[conv].completed_turns == 2, listed[conv]


def test_stream_break_out_of_with_cancels(bridge, slow_coze):
    conv = conv_name("break")
    prompt = "Tell me about a healthy breakfast"
    with bridge.stream(prompt, conv, key=KEY, timeout=60) as s:
        for event in s:
            first = event
            break
    assert isinstance(first, Delta)
    assert s.finished
    assert list(s) == []
    again = bridge.send("what did I say before?", conv, key=KEY, timeout=60)
    assert again.text == f'You said before: "{prompt}".'


def test_stream_garbage_collected_midway(bridge, slow_coze):
    conv = conv_name("gc")
    prompt = "What should I read next?"
    s = bridge.stream(prompt, conv, key=KEY, timeout=60)
    assert isinstance(next(s), Delta)
    del s
    gc.collect()
    again = bridge.send("what did I say before?", conv, key=KEY, timeout=60)
    assert again.text == f'You said before: "{prompt}".'


def test_stream_timeout(bridge, slow_coze):
    s = bridge.stream("A slow one", conv_name("stream-timeout"), key=KEY, timeout=0.5)
    with pytest.raises(CozeTimeoutError):
        for _ in s:
            pass
    assert s.finished


def test_stream_wait(bridge):
    prompt = "Waiting for the whole stream"
    s = bridge.stream(prompt, conv_name("wait"), key=KEY)
    assert s.wait(60) == cozebridge.OK
    events = list(s)  # everything was queued meanwhile
    assert isinstance(events[-1], Done)
    assert events[-1].answer.text == expected(prompt)


# ---------------------------------------------------------------------------------------------
# astream (asyncio)
# ---------------------------------------------------------------------------------------------


def test_astream(bridge):
    prompt = "Stream asynchronously about the team meeting"

    async def main():
        events = []
        async with bridge.astream(prompt, conv_name("astream"), key=KEY, timeout=60) as s:
            async for event in s:
                events.append(event)
        return events

    events = asyncio.run(main())
    text = expected(prompt)
    assert isinstance(events[-1], Done), events
    assert events[-1].answer.text == text
    assert "".join(e.text for e in events if isinstance(e, Delta)) == text
    assert isinstance(events[-2], Suggestions) and len(events[-2].suggestions) == 3


def test_astream_concurrent(bridge):
    prompts = [f"Async question {i} on learning a language" for i in range(3)]

    async def one(p: str):
        return await bridge.astream(p, conv_name("aconc"), key=KEY, timeout=60).result()

    async def main():
        return await asyncio.gather(*(one(p) for p in prompts))

    answers = asyncio.run(main())
    assert [a.text for a in answers] == [expected(p) for p in prompts]


def test_astream_unknown_key(bridge):
    async def main():
        async for _ in bridge.astream("hi", conv_name("anokey"), key="nope-async", timeout=30):
            pass

    with pytest.raises(UnknownKeyError) as info:
        asyncio.run(main())
    assert "nope-async" in info.value.message


def test_astream_task_cancellation_cancels_the_stream(bridge, slow_coze):
    conv = conv_name("acancel")
    prompt = "Explain the household budget"

    async def main():
        s = bridge.astream(prompt, conv, key=KEY, timeout=60)
        first = asyncio.Event()
        seen = []

        async def consume():
            async for event in s:
                seen.append(event)
                first.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(first.wait(), 30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert s.finished
        assert isinstance(seen[0], Delta) and not any(isinstance(e, Done) for e in seen)
        # a blocking call from a worker thread while the loop runs
        return await asyncio.to_thread(bridge.send, "what did I say before?", conv, KEY, (), 60)

    again = asyncio.run(main())
    assert again.text == f'You said before: "{prompt}".'


def test_astream_aclose(bridge, slow_coze):
    conv = conv_name("aclose")
    prompt = "Something about the reading list"

    async def main():
        s = bridge.astream(prompt, conv, key=KEY, timeout=60)
        assert isinstance(await s.__anext__(), Delta)
        await s.aclose()
        assert s.finished
        assert [e async for e in s] == []

    asyncio.run(main())
    again = bridge.send("what did I say before?", conv, key=KEY, timeout=60)
    assert again.text == f'You said before: "{prompt}".'


# ---------------------------------------------------------------------------------------------
# Conversations
# ---------------------------------------------------------------------------------------------


def test_conversations(bridge, emulator_info):
    name = conv_name("conv")
    renamed = name + "-renamed"
    other = conv_name("conv-other")
    assert not bridge.conversation_exists(name, key=KEY)

    bridge.create_conversation(name, key=KEY)
    assert bridge.conversation_exists(name, key=KEY)
    with pytest.raises(ExistsError) as info:
        bridge.create_conversation(name, key=KEY)
    assert info.value.code == cozebridge.EEXISTS

    listed = {c.name: c for c in bridge.conversations(key=KEY)}
    assert name in listed, sorted(listed)
    c = listed[name]
    assert c.guild_id == str(emulator_info["guild_id"])
    assert c.kind in ("channel", "thread")
    assert c.channel_id.isdigit()
    assert c.bot
    assert c.completed_turns == 0
    assert c.created_at_ms > 0

    bridge.rename_conversation(name, renamed, key=KEY)
    assert not bridge.conversation_exists(name, key=KEY)
    assert bridge.conversation_exists(renamed, key=KEY)
    listed = {c.name: c for c in bridge.conversations(key=KEY)}
    assert listed[renamed].channel_id == c.channel_id  # the channel keeps its id

    bridge.create_conversation(other, key=KEY)
    with pytest.raises(ExistsError):
        bridge.rename_conversation(renamed, other, key=KEY)
    with pytest.raises(NotFoundError) as info:
        bridge.rename_conversation(name, name + "-x", key=KEY)
    assert info.value.code == cozebridge.ENOTFOUND

    # a turn in the renamed conversation goes to the same channel
    prompt = "A question in a renamed conversation"
    assert bridge.send(prompt, renamed, key=KEY, timeout=60).text == expected(prompt)

    bridge.delete_conversation(renamed, key=KEY)
    bridge.delete_conversation(other, key=KEY)
    assert not bridge.conversation_exists(renamed, key=KEY)
    with pytest.raises(NotFoundError):
        bridge.delete_conversation(renamed, key=KEY)
    names = {c.name for c in bridge.conversations(key=KEY)}
    assert renamed not in names and other not in names


def test_conversation_unknown_key(bridge):
    with pytest.raises(UnknownKeyError) as info:
        bridge.create_conversation(conv_name("x"), key="missing-key")
    assert info.value.code == 3 and "missing-key" in info.value.message


# ---------------------------------------------------------------------------------------------
# Keepalive
# ---------------------------------------------------------------------------------------------


def test_keepalive(bridge):
    results = bridge.keepalive(key=KEY)
    assert len(results) == 1, results
    r = results[0]
    assert r.ok and r.status == cozebridge.OK, r
    assert r.access_key == KEY
    assert r.conversation == "keepalive"
    assert r.bot == bridge.status()[0].identity
    assert r.message == expected("keepalive")
    assert bridge.status()[0].last_coze_activity_ms > 0


def test_keepalive_unknown_key(bridge):
    with pytest.raises(UnknownKeyError):
        bridge.keepalive(key="nobody")


# ---------------------------------------------------------------------------------------------
# Configuration errors
# ---------------------------------------------------------------------------------------------


BAD_VALUE_YAML = """\
Bots:
  - Key: "k"
    Discord_Bot_Token: "token"
    Server_id: "my-server"
    CozeBot_id: "1180123456789012345"
Disable_ENV_Read: true
"""


def test_bad_yaml_value_names_the_line():
    with pytest.raises(ConfigError) as info:
        Bridge(yaml=BAD_VALUE_YAML)
    err = info.value
    assert err.code == cozebridge.ECONFIG
    assert re.search(r":4:\d+:", err.message), err.message
    assert "Server_id" in err.message


def test_malformed_yaml_names_the_line(workdir):
    text = 'Bots:\n  - Key: "k\n    Server_id: 1\n'
    with pytest.raises(ConfigError) as info:
        Bridge(yaml=text)
    assert re.search(r":\d+:\d+:", info.value.message), info.value.message

    path = workdir / "Broken.yml"
    path.write_text(BAD_VALUE_YAML)
    with pytest.raises(ConfigError) as info:
        Bridge(config_path=path)
    assert "Broken.yml:4:" in info.value.message, info.value.message


def test_bridge_arguments():
    with pytest.raises(TypeError):
        Bridge()
    with pytest.raises(TypeError):
        Bridge(config_path="a.yml", yaml="x: 1")


# ---------------------------------------------------------------------------------------------
# Lifetime
# ---------------------------------------------------------------------------------------------


def test_context_manager_closes(emulator_info, workdir):
    yaml_text = config_yaml(emulator_info, workdir / "ctx.sqlite")
    with Bridge(yaml=yaml_text, ready_timeout=20.0) as b:
        assert not b.closed
        assert b.status()[0].state == cozebridge.BOT_READY
        prompt = "A question inside a with block"
        assert b.send(prompt, conv_name("ctx"), key=KEY, timeout=60).text == expected(prompt)
    assert b.closed
    for call in (lambda: b.send("x", "y", key=KEY), lambda: b.status(), lambda: b.stream("x", "y"),
                 lambda: b.conversations(key=KEY), lambda: b.wait_ready(1), lambda: b.config_json()):
        with pytest.raises(ClosedError) as info:
            call()
        assert info.value.code == cozebridge.ECLOSED
    b.close()  # idempotent


def test_close_ends_running_streams(emulator_info, workdir, slow_coze):
    b = Bridge(yaml=config_yaml(emulator_info, workdir / "close-streams.sqlite"), ready_timeout=20.0)
    s = b.stream("A stream cut short by close", conv_name("closing"), key=KEY, timeout=60)
    assert isinstance(next(s), Delta)
    b.close()
    with pytest.raises(StreamCancelled):
        for _ in s:
            pass
    assert b.closed


def test_quota_reply(emulator_info, workdir):
    # A bridge of its own: a spent quota takes its bot out of the pool for a while.
    with Bridge(yaml=config_yaml(emulator_info, workdir / "quota.sqlite"), ready_timeout=20.0) as b:
        with pytest.raises(QuotaError) as info:
            b.send("Anything [scenario:quota]", conv_name("quota"), key=KEY, timeout=60)
        assert info.value.code == cozebridge.EQUOTA
        assert b.status()[0].quota_exhausted_until_ms > 0


def test_atexit_destroys_open_bridges(emulator_info, workdir, slow_coze):
    """A program that exits with a bridge and a running stream still open exits cleanly."""
    config = workdir / "atexit.yml"
    config.write_text(config_yaml(emulator_info, workdir / "atexit.sqlite"))
    script = textwrap.dedent(f"""\
        import sys, threading
        sys.path.insert(0, {str(BINDINGS_SRC)!r})
        import cozebridge
        b = cozebridge.Bridge(config_path={str(config)!r}, ready_timeout=20.0)
        streams = [b.stream("A stream left running at exit %d" % i, "py-atexit-%d" % i, key={KEY!r})
                   for i in range(4)]
        print(type(next(streams[0])).__name__, flush=True)

        def drain(s):
            try:
                list(s)
            except cozebridge.StreamCancelled:
                pass

        # the others are consumed by daemon threads still waiting at exit
        for s in streams[1:]:
            threading.Thread(target=drain, args=(s,), daemon=True).start()
        print("exiting", flush=True)
        """)
    # Without the atexit hook this crashes about every other run: the library's delivery threads
    # (libdispatch workers) are killed by CPython when they take the GIL during finalization.
    env = dict(os.environ)
    env["COZEBRIDGE_LIBRARY"] = cozebridge.library_path() or env.get("COZEBRIDGE_LIBRARY", "")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=90, env=env)
    assert proc.returncode == 0, f"status {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert proc.stdout.split() == ["Delta", "exiting"], proc.stdout
    assert "Fatal Python error" not in proc.stderr, proc.stderr
    assert "Exception ignored" not in proc.stderr, proc.stderr


def test_every_stream_released_its_userdata():
    """userdata_free ran once for every stream of this module (each unregisters its sink)."""
    from cozebridge import bridge as impl

    deadline = time.monotonic() + 10
    while impl._sinks and time.monotonic() < deadline:
        time.sleep(0.05)
    assert impl._sinks == {}, f"{len(impl._sinks)} stream(s) never got userdata_free"
