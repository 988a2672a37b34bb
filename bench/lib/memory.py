"""Host memory: RSS with every plugin idle, and RSS added per open conversation.

The host runs the http plugin and the turnlog plugin (C). Conversations are created through the
http plugin's seed API (`/api/CreateConversation`), so each one is a real Discord channel or thread
on the emulator and a row in the store. Bytes per conversation = (RSS after - RSS before) / count,
with the baseline taken after 100 warm-up creations (so one-time allocations are not counted).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as B  # noqa: E402


async def create(port: int, names: list[str], concurrency: int) -> int:
    failures = 0
    queue = list(reversed(names))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     timeout=aiohttp.ClientTimeout(total=120)) as session:
        async def worker():
            nonlocal failures
            while queue:
                name = queue.pop()
                status = await B.create_conversation(session, port, name)
                if status != 200:
                    failures += 1
                    if failures <= 3:
                        print(f"  CreateConversation {name}: HTTP {status}", file=sys.stderr)
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return failures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    B.build("discord-emulator", "cozebridge", "cozebridge-host", "cozebridge-http")
    work = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    turnlog = work / "libcozebridge-turnlog.so"
    subprocess.run(["cc", "-std=c11", "-O2", "-fPIC", "-shared", "-I", str(B.REPO / "include"),
                    f"-Wl,--version-script={B.REPO / 'plugins-example/turnlog/exports.map'}",
                    "-o", str(turnlog), str(B.REPO / "plugins-example/turnlog/turnlog.c")], check=True)
    emulator = B.Emulator({"rate_limits": {"enabled": False}, "max_guild_channels": 500})
    port = B.free_port()
    plugins = B.http_plugin_yaml(port) + (
        f"  - Name: turnlog\n    Path: {json.dumps(str(turnlog))}\n"
        f"    Settings: {{Path: {json.dumps(str(work / 'turns.log'))}}}\n")
    text = B.config_yaml(emulator.info, work / "store.sqlite",
                         [B.bot_yaml(emulator.info, "bench", emulator.info["bridge_bot_token"])],
                         extra="ChannelCap_Strategy: threads\nChannelCap_maxChannels: 450\n", plugins=plugins)
    host = B.Host(work, text, port)
    try:
        time.sleep(3)
        idle = B.rss_bytes(host.pid)
        print(f"host RSS, http + turnlog plugins idle, 0 conversations: {idle / 2**20:.1f} MiB", flush=True)
        failures = asyncio.run(create(port, [f"warm-{i}" for i in range(100)], args.concurrency))
        time.sleep(1)
        before = B.rss_bytes(host.pid)
        t0 = time.monotonic()
        failures += asyncio.run(create(port, [f"conv-{i}" for i in range(args.count)], args.concurrency))
        seconds = time.monotonic() - t0
        time.sleep(2)
        after = B.rss_bytes(host.pid)
        per = (after - before) / args.count
        store_bytes = sum(p.stat().st_size for p in work.glob("store.sqlite*"))
        print(f"after 100 warm-up conversations: {before / 2**20:.1f} MiB", flush=True)
        print(f"after {args.count} more conversations ({seconds:.1f} s, {args.count / seconds:.0f} creations/s, "
              f"{failures} failures): {after / 2**20:.1f} MiB", flush=True)
        print(f"RSS per conversation: {per:.0f} B = {per / 1024:.2f} KiB (target < 16 KiB); "
              f"store on disk {store_bytes / 2**20:.1f} MiB", flush=True)
        emu_rss = B.rss_bytes(emulator.proc.pid)
    finally:
        status = host.stop()
        emulator.stop()
    out = Path(__file__).resolve().parents[1] / "out"
    out.mkdir(exist_ok=True)
    (out / "memory.json").write_text(json.dumps({
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(), "count": args.count, "idle_rss": idle,
        "rss_before": before, "rss_after": after, "bytes_per_conversation": per, "failures": failures,
        "creation_seconds": seconds, "emulator_rss": emu_rss}, indent=1))
    print(f"summary: memory idle host RSS {idle / 2**20:.1f} MiB; {per / 1024:.2f} KiB per conversation at "
          f"{args.count} ({'met' if per < 16384 else 'NOT met'}, target < 16 KiB); {failures} failures; "
          f"host exit {status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
