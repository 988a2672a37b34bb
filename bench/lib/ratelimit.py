"""Rate-limit efficiency with the emulator enforcing Discord's limits (its default scenario).

One channel: N prompts in a row into one conversation; the binding limit is message_create,
5 per 5 s per channel. Across channels: C conversations each sending K prompts in a row, all at
once; the binding limit is the token's global 50 requests/s. Achieved rate = (prompts - the
first window's burst) / (last completion - first completion), divided by the limit's maximum, so
the free first window does not inflate it. The REST requests of the bridge's token per second
(all routes, from /_emulator/counters) are reported against the global limit as well.
Coze answers at once in one message, so turns are bounded by Discord's limits only.
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


def token_requests(counters: dict, token: str) -> int:
    return counters["by_token"].get(token, {}).get("requests", 0)


async def turns(port: int, name: str, count: int, tag: str, done: list, errors: list, session) -> None:
    for i in range(count):
        status = await B.chat_turn(session, port, name, f"{tag} {name} #{i}")
        if status == 200:
            done.append(time.monotonic())
        else:
            errors.append(status)


async def create(port: int, names: list[str], session) -> None:
    for name in names:
        await B.create_conversation(session, port, name)


async def phase(port: int, names: list[str], per: int, tag: str):
    done: list[float] = []
    errors: list[int] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     timeout=aiohttp.ClientTimeout(total=600)) as session:
        await asyncio.gather(*(turns(port, n, per, tag, done, errors, session) for n in names))
    done.sort()
    return done, errors


async def setup(port: int, names: list[str]) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session:
        chunks = [names[i::8] for i in range(8)]
        await asyncio.gather(*(create(port, c, session) for c in chunks))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--one-channel", type=int, default=25, help="prompts into one channel")
    parser.add_argument("--channels", type=int, default=100)
    parser.add_argument("--per-channel", type=int, default=5)
    args = parser.parse_args()
    B.build("discord-emulator", "cozebridge", "cozebridge-host", "cozebridge-http")
    emulator = B.Emulator({"coze": {"start_delay_ms": 0, "edit_interval_ms": 0, "chunks": 1}})
    # The limits the emulator enforces, from its live scenario (Discord's by default).
    limits = emulator.control("GET", "/scenario")["rate_limits"]
    guild_channels = {"rate_limits": {"guild_channels": limits["guild_channels"]}}
    work = Path(tempfile.mkdtemp(prefix="bench-ratelimit-"))
    port = B.free_port()
    token = emulator.info["bridge_bot_token"]
    text = B.config_yaml(emulator.info, work / "store.sqlite", [B.bot_yaml(emulator.info, "bench", token)],
                         plugins=B.http_plugin_yaml(port))
    host = B.Host(work, text, port)
    results = {}
    try:
        # Conversations (channels) are created with the guild-channel limit relaxed: channel
        # creation is not what this measures.
        emulator.control("PUT", "/scenario", RELAXED)
        names = ["one"] + [f"across-{i}" for i in range(args.channels)]
        asyncio.run(setup(port, names))
        emulator.control("PUT", "/scenario", guild_channels)
        time.sleep(5.5)  # let every window from the setup expire

        create_limit = limits["message_create"]["limit"] / (limits["message_create"]["window_ms"] / 1000)
        before = emulator.counters()
        t0 = time.monotonic()
        done, errors = asyncio.run(phase(port, ["one"], args.one_channel, "one"))
        elapsed = time.monotonic() - t0
        after = emulator.counters()
        burst = limits["message_create"]["limit"]
        rate = (len(done) - burst) / (done[-1] - done[burst - 1]) if len(done) > burst + 1 else float("nan")
        r429 = after["rate_limited"] - before["rate_limited"]
        reqs = token_requests(after, token) - token_requests(before, token)
        results["one_channel"] = {"prompts": len(done), "errors": len(errors), "seconds": elapsed,
                                  "rate": rate, "limit": create_limit, "ratio": rate / create_limit,
                                  "rate_limited_429": r429, "rest_requests": reqs}
        print(f"one channel: {len(done)} prompts in {elapsed:.1f} s, {len(errors)} errors; steady rate "
              f"{rate:.3f} prompts/s vs limit {create_limit:.3f}/s = {rate / create_limit:.3f}; "
              f"429s {r429}; {reqs} REST requests ({reqs / max(len(done), 1):.1f} per prompt)", flush=True)

        time.sleep(5.5)
        global_limit = limits["global_per_second"]
        before = emulator.counters()
        t0 = time.monotonic()
        done, errors = asyncio.run(phase(port, [f"across-{i}" for i in range(args.channels)], args.per_channel,
                                         "across"))
        elapsed = time.monotonic() - t0
        after = emulator.counters()
        reqs = token_requests(after, token) - token_requests(before, token)
        r429 = after["rate_limited"] - before["rate_limited"]
        # As for one channel: the first window's burst (global_limit requests) is not counted.
        first = global_limit - 1
        prompt_rate = (len(done) - global_limit) / (done[-1] - done[first]) if len(done) > global_limit + 1 \
            else float("nan")
        per_prompt = reqs / max(len(done), 1)
        # The global limit counts every request; a prompt costs per_prompt requests.
        request_rate = reqs / elapsed
        max_prompt_rate = min(global_limit / per_prompt,
                              args.channels * create_limit)
        results["across_channels"] = {"channels": args.channels, "prompts": len(done), "errors": len(errors),
                                      "seconds": elapsed, "prompt_rate": prompt_rate,
                                      "max_prompt_rate": max_prompt_rate, "ratio": prompt_rate / max_prompt_rate,
                                      "rest_requests": reqs, "requests_per_prompt": per_prompt,
                                      "request_rate": request_rate, "global_limit": global_limit,
                                      "rate_limited_429": r429}
        print(f"across {args.channels} channels: {len(done)} prompts in {elapsed:.1f} s, {len(errors)} errors; "
              f"{prompt_rate:.1f} prompts/s; {reqs} REST requests = {per_prompt:.2f}/prompt, {request_rate:.1f} req/s "
              f"vs global {global_limit}/s; prompt rate / max ({max_prompt_rate:.1f}/s) = "
              f"{prompt_rate / max_prompt_rate:.3f}; 429s {r429}", flush=True)
        total429 = emulator.counters()["rate_limited"]
    finally:
        status = host.stop()
        emulator.stop()
    out = Path(__file__).resolve().parents[1] / "out"
    out.mkdir(exist_ok=True)
    (out / "ratelimit.json").write_text(json.dumps({"date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                                                     "args": vars(args), "results": results,
                                                     "total_429": total429}, indent=1))
    one, across = results["one_channel"], results["across_channels"]
    ok = one["ratio"] >= 0.95 and across["ratio"] >= 0.95 and total429 == 0
    print(f"summary: ratelimit one channel {one['ratio']:.3f} of max, across {args.channels} channels "
          f"{across['ratio']:.3f} of max, 429s {total429} ({'met' if ok else 'NOT met'}: target >= 0.95 and 0); "
          f"host exit {status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
