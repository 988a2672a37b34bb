"""Turns per second with 1, 2, 3, 4 bots behind one key, Discord's limits enforced (default scenario).

The emulator offers four identities besides the Coze bot: the bridge bot, the two spare bots (all
three used in sender mode `bot`) and a user account (sender mode `user`, listening as itself). N
bots are the first N of that list, so 1-3 are bot tokens only and the 4th adds the user account.
(Before the second spare bot existed, 3 meant bridge + spare + user; compare older figures with
that in mind.) `--bots` takes any of 1-4, comma-separated.

Each configuration gets a fresh emulator and host. C conversations are created first (with the
guild-channel limit relaxed, so they spread over the pool's bots), then every conversation sends
turns in a row for a fixed time; Coze answers at once, so each bot's Discord limits (the token's
global 50 requests/s, 5 messages per 5 s per channel) bound the rate.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as B  # noqa: E402

RELAXED = {"rate_limits": {"guild_channels": {"limit": 10000, "window_ms": 1000}}}
DEFAULT = {"rate_limits": {"guild_channels": {"limit": 5, "window_ms": 5000}}}


async def loop_turns(session, port, name, stop_at, done, errors):
    i = 0
    while time.monotonic() < stop_at:
        status = await B.chat_turn(session, port, name, f"scale {name} #{i}")
        i += 1
        if status == 200:
            done.append(time.monotonic())
        else:
            errors.append(status)




async def measure(port, names, seconds, warmup):
    done: list[float] = []
    errors: list[int] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     timeout=aiohttp.ClientTimeout(total=600)) as session:
        start = time.monotonic()
        stop_at = start + warmup + seconds
        await asyncio.gather(*(loop_turns(session, port, n, stop_at, done, errors) for n in names))
    counted = [t for t in done if start + warmup <= t <= start + warmup + seconds]
    return len(counted) / seconds, len(errors)


async def create_all(port, names):
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session:
        async def chunk(part):
            for name in part:
                await B.create_conversation(session, port, name)
        await asyncio.gather(*(chunk(names[i::8]) for i in range(8)))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bots", default="1,2,3,4")
    # Discord lets one channel take about 1 message/s: N bots at 50 requests/s each need more
    # than 50·N conversations, or the channels and not the bots are what is measured.
    parser.add_argument("--conversations", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    args = parser.parse_args()
    B.build("discord-emulator", "cozebridge", "cozebridge-host", "cozebridge-http")
    rows = []
    unmeasured: list[int] = []
    for count in [int(x) for x in args.bots.split(",")]:
        emulator = B.Emulator({"max_guild_channels": 500,
                               "coze": {"start_delay_ms": 0, "edit_interval_ms": 0, "chunks": 1}})
        info = emulator.info
        identities = [B.bot_yaml(info, "bench", info["bridge_bot_token"]),
                      B.bot_yaml(info, "bench", info["spare_bot_token"])]
        # An emulator built before the second spare bot has no such key: it then offers 3.
        if "spare_bot_2_token" in info:
            identities.append(B.bot_yaml(info, "bench", info["spare_bot_2_token"]))
        identities.append(B.bot_yaml(info, "bench", info["user_token"], mode="user"))
        if count > len(identities):
            print(f"{count} bots: not measured, the emulator has {len(identities)} identities")
            unmeasured.append(count)
            emulator.stop()
            continue
        work = Path(tempfile.mkdtemp(prefix="bench-bots-"))
        port = B.free_port()
        host = B.Host(work, B.config_yaml(info, work / "store.sqlite", identities[:count],
                                          plugins=B.http_plugin_yaml(port)), port)
        try:
            emulator.control("PUT", "/scenario", RELAXED)
            names = [f"c{i}" for i in range(args.conversations)]
            asyncio.run(create_all(port, names))
            emulator.control("PUT", "/scenario", DEFAULT)
            time.sleep(5.5)
            before = emulator.counters()
            cpu0 = B.cpu_seconds(host.pid)
            rate, errors = asyncio.run(measure(port, names, args.seconds, args.warmup))
            cpu = B.cpu_seconds(host.pid) - cpu0
            after = emulator.counters()
            r429 = after["rate_limited"] - before["rate_limited"]
        finally:
            host.stop()
            emulator.stop()
        rows.append({"bots": count, "turns_per_s": rate, "errors": errors, "rate_limited_429": r429,
                     "host_cpu_s": cpu})
        print(f"{count} bot(s): {rate:.1f} turns/s over {args.seconds:.0f} s ({args.conversations} conversations), "
              f"{errors} errors, {r429} 429s, host CPU {cpu:.1f} s", flush=True)
    out = Path(__file__).resolve().parents[1] / "out"
    out.mkdir(exist_ok=True)
    (out / "bots-scaling.json").write_text(json.dumps({"date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                                                        "args": vars(args), "rows": rows}, indent=1))
    # A first configuration that completed nothing (a tiny smoke run) has no ratio to offer.
    base = rows[0]["turns_per_s"] if rows and rows[0]["turns_per_s"] > 0 else float("nan")
    print("summary: bots-scaling " + ", ".join(
        f"{r['bots']} bot(s) {r['turns_per_s']:.1f} turns/s (x{r['turns_per_s'] / base:.2f})" for r in rows)
        + "".join(f"; {n} bots not measured (too few emulator identities)" for n in unmeasured))
    return 0


if __name__ == "__main__":
    sys.exit(main())
