"""discord.py must ask for zlib-stream, the transport compression the emulator speaks.

discord.py picks zstd-stream when `zstandard` is importable (or on Python >= 3.14),
so the test venv must not contain it; and the emulator must really have agreed to
zlib-stream for the discord.py session.
"""

from __future__ import annotations

import asyncio
import importlib
import sys

import discord
import pytest

from emu import RecordingClient, control, make_intents, run_client, sid


def test_zstandard_is_not_installed():
    with pytest.raises(ImportError):
        importlib.import_module("zstandard")
    assert sys.version_info < (3, 14), "Python >= 3.14 ships compression.zstd; discord.py would ask for zstd-stream"
    assert discord.utils._ActiveDecompressionContext.COMPRESSION_TYPE == "zlib-stream"


def test_discord_py_session_uses_zlib_stream(emulator):
    info = emulator.info

    async def body(client: RecordingClient):
        sessions = await asyncio.to_thread(control, info, "GET", "/sessions")
        assert isinstance(sessions, list), f"/sessions returned {sessions!r}"
        mine = [s for s in sessions
                if sid(s["user_id"]) == sid(info["spare_bot_user_id"]) and s["connected"]]
        assert len(mine) == 1, f"want exactly one connected spare-bot session, got {mine} (all: {sessions})"
        s = mine[0]
        assert s["compress"] == "zlib-stream", f"session compress is {s['compress']!r}"
        assert s["session_id"] == client.ws.session_id
        assert s["intents"] == make_intents().value
        assert s["seq"] >= 2, f"session seq {s['seq']} (READY + GUILD_CREATE at least)"

        # And the frames really are binary zlib-stream: count what discord.py's own zlib
        # context decompresses while one MESSAGE_CREATE comes in (instrumentation only).
        ws = client.ws
        assert ws._decompressor.COMPRESSION_TYPE == "zlib-stream"
        inflated = []

        class Counting:
            COMPRESSION_TYPE = "zlib-stream"

            def __init__(self, real):
                self.real = real

            def decompress(self, data):
                out = self.real.decompress(data)
                inflated.append(out)
                return out

        ws._decompressor = Counting(ws._decompressor)
        general = client.get_channel(sid(info["general_channel_id"]))
        mark = client.mark()
        msg = await asyncio.wait_for(general.send("zlib check"), 15)
        await client.wait_event("message", lambda m: m.id == msg.id, since=mark, timeout=10,
                                what="MESSAGE_CREATE of our message")
        assert any(out and '"MESSAGE_CREATE"' in out for out in inflated), (
            f"MESSAGE_CREATE did not arrive as a binary zlib-stream frame (inflated: {inflated[:3]!r})")

    run_client(emulator, body)
