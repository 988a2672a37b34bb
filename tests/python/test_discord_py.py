"""The real discord.py 2.7.1 against discord-emulator (docs/emulator.md).

Each test logs the spare bot in with an unmodified discord.Client (only its REST
base and gateway URL point at loopback), waits for on_ready and drives it.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import os
import subprocess
import time

import discord

from emu import FAST_SCENARIO, Emulator, RecordingClient, control, rest, run_client, sid

_names = itertools.count(1)


def unique_name(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{next(_names)}"


def get_guild_parts(client: RecordingClient, info: dict):
    guild = client.get_guild(sid(info["guild_id"]))
    assert guild is not None, f"guild {info['guild_id']} not in discord.py's cache; guilds={client.guilds}"
    category = guild.get_channel(sid(info["category_id"]))
    assert isinstance(category, discord.CategoryChannel), f"category_id resolves to {category!r}"
    general = guild.get_channel(sid(info["general_channel_id"]))
    assert isinstance(general, discord.TextChannel), f"general_channel_id resolves to {general!r}"
    return guild, category, general


async def new_channel(client: RecordingClient, info: dict, prefix: str) -> discord.TextChannel:
    guild, category, _ = get_guild_parts(client, info)
    ch = await asyncio.wait_for(guild.create_text_channel(unique_name(prefix), category=category), 15)
    await client.wait_event("guild_channel_create", lambda c: c.id == ch.id, timeout=10,
                            what=f"CHANNEL_CREATE for {ch.id}")
    return ch


# ---------------------------------------------------------------------------
# a. login, READY, guild cache
# ---------------------------------------------------------------------------


def test_login_and_ready(emulator):
    info = emulator.info

    async def body(client: RecordingClient):
        assert client.user is not None
        assert client.user.id == sid(info["spare_bot_user_id"])
        assert client.user.bot is True
        guild, category, general = get_guild_parts(client, info)
        assert guild.unavailable is False
        assert guild.me is not None and guild.me.id == client.user.id, "GUILD_CREATE lacks the bot's own member"
        assert guild.default_role.id == guild.id, "GUILD_CREATE lacks the @everyone role (id == guild id)"
        assert general.guild.id == guild.id
        assert category.guild.id == guild.id
        # The simulated Coze bot is a bot user of the guild.
        coze = guild.get_member(sid(info["coze_bot_user_id"]))
        if coze is None:
            coze = await asyncio.wait_for(guild.fetch_member(sid(info["coze_bot_user_id"])), 10)
        assert coze.bot is True
        # on_ready fired exactly once, after login.
        assert len(client.find("ready")) == 1
        assert client.application_id is not None

    run_client(emulator, body)


# ---------------------------------------------------------------------------
# b. channel create / delete events
# ---------------------------------------------------------------------------


def test_create_and_delete_channel(emulator):
    info = emulator.info

    async def body(client: RecordingClient):
        guild, category, _ = get_guild_parts(client, info)
        name = unique_name("pytest-chan")
        mark = client.mark()
        ch = await asyncio.wait_for(guild.create_text_channel(name, category=category), 15)
        assert isinstance(ch, discord.TextChannel)
        assert ch.name == name
        assert ch.category_id == category.id
        assert ch.guild.id == guild.id

        ev = await client.wait_event("guild_channel_create", lambda c: c.id == ch.id, since=mark,
                                     timeout=10, what=f"on_guild_channel_create for {ch.id}")
        created = ev.args[0]
        assert isinstance(created, discord.TextChannel)
        assert created.name == name
        assert created.category_id == category.id
        assert guild.get_channel(ch.id) is not None
        assert len(client.find("guild_channel_create", lambda c: c.id == ch.id)) == 1

        mark = client.mark()
        await asyncio.wait_for(ch.delete(), 15)
        ev = await client.wait_event("guild_channel_delete", lambda c: c.id == ch.id, since=mark,
                                     timeout=10, what=f"on_guild_channel_delete for {ch.id}")
        assert ev.args[0].name == name
        assert guild.get_channel(ch.id) is None

        # The channel is gone for REST too.
        try:
            await asyncio.wait_for(client.fetch_channel(ch.id), 10)
        except discord.NotFound:
            pass
        else:
            raise AssertionError(f"GET /channels/{ch.id} still succeeds after DELETE")

    run_client(emulator, body)


# ---------------------------------------------------------------------------
# c. the simulated Coze bot: reply, cumulative edits, buttons, determinism
# ---------------------------------------------------------------------------


async def ask_coze(client: RecordingClient, info: dict, channel: discord.TextChannel, prompt: str) -> dict:
    coze_id = sid(info["coze_bot_user_id"])
    mark = client.mark()
    sent = await asyncio.wait_for(channel.send(prompt), 15)
    assert sent.content == prompt
    assert coze_id in [u.id for u in sent.mentions], f"our message does not list the Coze bot in mentions: {sent.mentions}"

    ev = await client.wait_event(
        "message", lambda m: m.author.id == coze_id and m.channel.id == channel.id,
        since=mark, timeout=15, what="the Coze bot's reply (MESSAGE_CREATE)",
    )
    reply = ev.snap
    assert reply["type"] == discord.MessageType.reply, f"reply type is {reply['type']!r}, want reply (19)"
    assert reply["reference_id"] == sent.id, f"reply references {reply['reference_id']}, want our message {sent.id}"
    assert reply["content"], "the first reply chunk is empty"
    reply_msg: discord.Message = ev.args[0]
    assert reply_msg.reference is not None and reply_msg.reference.channel_id == channel.id

    def is_final(before, after):
        return after.id == reply["id"] and len(after.components) > 0

    await client.wait_event("message_edit", is_final, since=mark, timeout=30,
                            what="the Coze bot's final edit with buttons")
    # Nothing may follow the end marker.
    await asyncio.sleep(0.6)
    edits = [e.snap["after"] for e in client.find("message_edit", lambda b, a: a.id == reply["id"], since=mark)]
    return {"sent": sent, "reply": reply, "edits": edits,
            "typing": client.find("raw_typing", lambda r: r.user_id == coze_id and r.channel_id == channel.id, since=mark),
            "typing_before_reply": [e for e in client.events[mark:] if e.name == "raw_typing"
                                    and e.args[0].user_id == coze_id and e.t <= ev.t]}


def check_plain_answer(res: dict) -> str:
    reply, edits = res["reply"], res["edits"]
    assert len(edits) >= 2, f"expected >= 2 MESSAGE_UPDATEs of the reply, got {len(edits)}: {edits}"
    prev = reply["content"]
    for i, e in enumerate(edits):
        assert e["author_id"] == reply["author_id"]
        assert e["reference_id"] == reply["reference_id"], f"edit {i} lost message_reference"
        assert e["type"] == discord.MessageType.reply, f"edit {i} has type {e['type']!r}"
        assert e["content"].startswith(prev), (
            f"edit {i} is not cumulative: previous content {prev!r}, edit content {e['content']!r}")
        prev = e["content"]
    final = edits[-1]
    assert final["components"], "the last edit has no components"
    for i, e in enumerate(edits[:-1]):
        assert not e["components"], f"edit {i} (not the last) already carries components: {e['components']}"
    assert len(final["components"]) == 1, f"want one action row, got {final['components']}"
    row = final["components"][0]
    assert row["type"] == "ActionRow", f"top-level component is {row['type']}"
    assert len(row["children"]) == 3, f"want 3 suggestion buttons, got {row['children']}"
    for b in row["children"]:
        assert b["type"] == "Button", f"action row child is {b['type']}"
        assert b["label"], f"button without a label: {b}"
    assert final["content"], "final content is empty"
    return final["content"]


def test_coze_reply_edits_and_buttons(emulator):
    info = emulator.info
    coze_id = sid(info["coze_bot_user_id"])
    prompt = f"<@{coze_id}> hello there"

    async def body(client: RecordingClient):
        ch1 = await new_channel(client, info, "pytest-coze")
        first = await ask_coze(client, info, ch1, prompt)
        text1 = check_plain_answer(first)

        # Deterministic: the same prompt as the first message of a fresh channel gives the same text.
        ch2 = await new_channel(client, info, "pytest-coze")
        second = await ask_coze(client, info, ch2, prompt)
        text2 = check_plain_answer(second)
        assert text2 == text1, f"same prompt, same (empty) history, different answers:\n{text1!r}\n{text2!r}"
        labels1 = [b["label"] for b in first["edits"][-1]["components"][0]["children"]]
        labels2 = [b["label"] for b in second["edits"][-1]["components"][0]["children"]]
        assert labels1 == labels2

        # The reply is a real message: REST returns its final state.
        fetched = await asyncio.wait_for(ch1.fetch_message(first["reply"]["id"]), 10)
        assert fetched.content == text1
        assert fetched.type == discord.MessageType.reply
        assert fetched.reference is not None and fetched.reference.message_id == first["sent"].id
        assert fetched.edited_at is not None
        assert len(fetched.components) == 1 and len(fetched.components[0].children) == 3

        # TYPING_START comes first (docs/emulator.md).
        assert first["typing_before_reply"], "no TYPING_START from the Coze bot before its reply"

    run_client(emulator, body)


def test_one_event_loop_serves_a_coze_reply(emulator):
    """`--event-loops 1` (what bench/overhead runs): REST, the gateway and the simulated Coze bot
    all on one thread still give discord.py a whole reply."""
    single = Emulator(emulator.binary, scenario=FAST_SCENARIO, extra_args=("--event-loops", "1"))
    try:
        info = single.info
        prompt = f"<@{sid(info['coze_bot_user_id'])}> hello there"

        async def body(client: RecordingClient):
            channel = await new_channel(client, info, "pytest-one-loop")
            answer = await ask_coze(client, info, channel, prompt)
            text = check_plain_answer(answer)
            fetched = await asyncio.wait_for(channel.fetch_message(answer["reply"]["id"]), 10)
            assert fetched.content == text

        run_client(single, body)
    finally:
        single.stop()
        single.cleanup()


def test_event_loops_out_of_range_is_refused(emulator):
    for value in ("0", "257", "many"):
        result = subprocess.run([str(emulator.binary), "--port", "0", "--event-loops", value],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode != 0, f"--event-loops {value} started an emulator"
        assert "--event-loops" in result.stderr, result.stderr


# ---------------------------------------------------------------------------
# d. attachments: multipart upload, served URL, fetch_message
# ---------------------------------------------------------------------------


def test_file_upload_and_read_back(emulator):
    info = emulator.info
    data = ("cozebridge attachment test\nünïcödé ✓\n".encode() + bytes(range(256)) + b"\r\n--not-a-boundary--\r\n") * 3

    async def body(client: RecordingClient):
        _, _, general = get_guild_parts(client, info)
        mark = client.mark()
        msg = await asyncio.wait_for(
            general.send("here is a file", file=discord.File(io.BytesIO(data), "note.txt")), 20)
        assert msg.content == "here is a file"
        assert len(msg.attachments) == 1, f"attachments: {msg.attachments}"
        att = msg.attachments[0]
        assert att.filename == "note.txt"
        assert att.size == len(data)
        assert att.url.startswith("http://127.0.0.1"), f"attachment URL is not the emulator's: {att.url}"
        got = await asyncio.wait_for(att.read(), 10)
        assert got == data, f"attachment.read() returned {len(got)} bytes, not the {len(data)} uploaded"

        fetched = await asyncio.wait_for(general.fetch_message(msg.id), 10)
        assert fetched.id == msg.id
        assert fetched.content == "here is a file"
        assert [(a.id, a.filename, a.size) for a in fetched.attachments] == [(att.id, "note.txt", len(data))]
        assert await asyncio.wait_for(fetched.attachments[0].read(), 10) == data

        # The gateway copy (MESSAGE_CREATE) carries the same attachment.
        ev = await client.wait_event("message", lambda m: m.id == msg.id, since=mark, timeout=10,
                                     what="MESSAGE_CREATE of the upload")
        assert ev.snap["attachments"] == [(att.id, "note.txt", len(data))]

    run_client(emulator, body)


# ---------------------------------------------------------------------------
# e. rate limits: a burst is paced by the headers, no exception
# ---------------------------------------------------------------------------


def test_burst_is_paced_by_rate_limits(emulator):
    info = emulator.info
    n = 10

    async def body(client: RecordingClient):
        ch = await new_channel(client, info, "pytest-burst")
        before = await asyncio.to_thread(control, info, "GET", "/counters")
        t0 = time.monotonic()
        msgs = await asyncio.wait_for(
            asyncio.gather(*(ch.send(f"burst {i}") for i in range(n))), 60)
        elapsed = time.monotonic() - t0
        after = await asyncio.to_thread(control, info, "GET", "/counters")

        assert len(msgs) == n
        assert sorted(m.content for m in msgs) == sorted(f"burst {i}" for i in range(n))
        ids = {m.id for m in msgs}
        assert len(ids) == n, "duplicate message ids"
        # 5 messages per 5 s per channel: the second five must wait for the window to reset.
        assert elapsed >= 4.0, f"{n} sends took only {elapsed:.2f} s; the 5-per-5-s limit was not applied"
        assert elapsed < 30.0, f"{n} sends took {elapsed:.2f} s"

        history = [m async for m in ch.history(limit=50)]
        assert {m.id for m in history} == ids, "history does not hold exactly the burst"
        assert [m.id for m in history] == sorted(ids, reverse=True), "history is not newest-first"

        tok = info["spare_bot_token"]
        by_before = before.get("by_token", {}).get(tok, {}).get("requests", 0)
        by_after = after.get("by_token", {}).get(tok, {}).get("requests", 0)
        assert by_after - by_before >= n, f"counters.by_token[spare].requests grew by {by_after - by_before}"
        assert after["requests"] - before["requests"] >= n

    run_client(emulator, body)


# ---------------------------------------------------------------------------
# f. forced disconnect: RESUME replays the missed messages
# ---------------------------------------------------------------------------


def test_drop_gateway_then_resume_replays_missed_messages(emulator):
    info = emulator.info
    user_id = sid(info["user_id"])

    async def body(client: RecordingClient):
        ch = await new_channel(client, info, "pytest-resume")
        await asyncio.sleep(0.3)
        before = await asyncio.to_thread(control, info, "GET", "/counters")
        mark = client.mark()

        await asyncio.to_thread(control, info, "POST", "/faults/drop-gateway",
                                {"token": info["spare_bot_token"], "refuse_ms": 1500})
        posted = []
        for i in range(3):
            m = await asyncio.to_thread(rest, info, "POST", f"/channels/{ch.id}/messages",
                                        info["user_token"], {"content": f"missed {i}"})
            assert isinstance(m, dict) and "id" in m, f"POST message as user returned {m!r}"
            assert sid(m["author"]["id"]) == user_id
            posted.append(sid(m["id"]))

        await client.wait_event("resumed", since=mark, timeout=30, what="on_resumed after the drop")

        def got_all() -> bool:
            return len(client.find("message", lambda m: m.channel.id == ch.id, since=mark)) >= 3

        await client.wait_until(got_all, timeout=10, what="the 3 missed messages via on_message")
        await asyncio.sleep(1.0)  # any duplicate would arrive by now

        msgs = [e.snap for e in client.find("message", lambda m: m.channel.id == ch.id, since=mark)]
        assert [m["id"] for m in msgs] == posted, (
            f"on_message ids {[m['id'] for m in msgs]} != posted ids {posted} (order, exactly once)")
        assert [m["content"] for m in msgs] == [f"missed {i}" for i in range(3)]
        assert all(m["author_id"] == user_id for m in msgs)

        assert client.find("ready", since=mark) == [], "on_ready fired again: the client re-IDENTIFIED instead of resuming"
        assert len(client.find("disconnect", since=mark)) >= 1, "discord.py never noticed the drop"

        after = await asyncio.to_thread(control, info, "GET", "/counters")
        assert after["resumes"] - before["resumes"] >= 1, f"counters: resumes {before['resumes']} -> {after['resumes']}"
        assert after["identifies"] == before["identifies"], (
            f"counters: identifies {before['identifies']} -> {after['identifies']}")

        # The resumed session still works live.
        mark = client.mark()
        live = await asyncio.to_thread(rest, info, "POST", f"/channels/{ch.id}/messages",
                                       info["user_token"], {"content": "live again"})
        await client.wait_event("message", lambda m: m.id == sid(live["id"]), since=mark, timeout=10,
                                what="a live MESSAGE_CREATE after the resume")

    run_client(emulator, body)
