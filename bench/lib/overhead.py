"""Bridge-added latency: emulator edit send time -> SSE chunk received by the client.

The emulator (scenario coze.timestamp_markers) ends the text each create/edit adds with
`[t=<unix ns>]`, stamped just before the edit is handed to its gateway dispatch. The bridge passes
text through, so each SSE content chunk carries the marker of the edit it came from; the client
takes time.time_ns() when the SSE line arrives. Latency = receive - stamp, per marker. It includes
the emulator's own gateway encode and send, the host (core + http plugin) and the client's read.

A direct gateway client in the same asyncio loop receives the very same edits with no bridge in
between. Two estimates of what the bridge adds come from it: the end-to-end percentile minus the
direct client's percentile, and, per edit, the SSE arrival minus the direct client's arrival of
that same edit (its marker), whose percentiles are the bridge's own: a stall of the emulator or of
the Python loop delays both arrivals of an edit alike and cancels out.

The stamp is taken before the emulator encodes the edit, compresses it and writes it to each
session. The emulator also notes when each marked edit's frame is handed to each session's socket
(`/_emulator/marker-writes`), so the SSE arrival minus the write to the bridge's session times the
edit from the moment the emulator sent it: what the bridge and loopback take, and nothing of the
emulator's own work.

Each level is measured in two rounds. The first has no direct client: the emulator, the host and
the SSE client alone share the two CPUs, and its end-to-end and from-the-write figures are the
ones judged against the targets. The second streams the same conversations again with the direct
client(s) listening, for the figures that need them (per edit, the floor, the calibration); their
load shows in that round's own end-to-end figure, printed beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import sys
import tempfile
import time
import zlib
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import arrivals as kernel  # noqa: E402
import benchlib as B  # noqa: E402

# The marker the emulator appends to each create/edit (one definition, in arrivals).
MARK = kernel.MARK


async def one_stream(session, url, name, prompt, counts, delay, spans, arrivals):
    await asyncio.sleep(delay)
    body = {"model": "coze", "stream": True, "user": name, "messages": [{"role": "user", "content": prompt}]}
    chunks = 0
    first = last = None
    async with session.post(url, json=body, headers={"Authorization": "Bearer bench"}) as response:
        if response.status != 200:
            counts["errors"] += 1
            await response.read()
            return
        while True:
            line = await response.content.readline()
            if not line:
                break
            now = time.time_ns()
            if line.startswith(b"data: {"):
                found = MARK.findall(line)
                if found:
                    chunks += 1
                    first = first or now
                    last = now
                    for stamp in found:
                        arrivals.setdefault(int(stamp), now)
    counts["chunks"] += chunks
    counts["streams"] += 1
    if first is not None:
        spans.append((first, last))


PLACES = ("first", "middle", "last")


def per_edit_by_place(per_stream, control) -> dict:
    """The per-edit figure split by the chunk's place in its answer. The first chunk (the reply's
    MESSAGE_CREATE, which also starts the response) and the last (the edit with the suggestion
    buttons, which ends the turn) take other paths than the rest, and were once most of the tail."""
    by_place: dict[str, list[float]] = {place: [] for place in PLACES}
    every: list[tuple[float, str]] = []
    for arrivals in per_stream:
        stamps = sorted(arrivals)
        for index, stamp in enumerate(stamps):
            if stamp not in control:
                continue
            place = "first" if index == 0 else "last" if index == len(stamps) - 1 else "middle"
            added = (arrivals[stamp] - control[stamp]) / 1e6
            by_place[place].append(added)
            every.append((added, place))
    figures: dict = {}
    for place, values in by_place.items():
        values.sort()
        figures[f"place_{place}_p50_ms"] = B.percentile(values, 50)
        figures[f"place_{place}_p99_ms"] = B.percentile(values, 99)
    slowest = sorted(every, reverse=True)[:max(1, len(every) // 100)]
    figures.update({"slowest_edits": len(slowest),
                    "slowest_first": sum(1 for _, place in slowest if place == "first"),
                    "slowest_last": sum(1 for _, place in slowest if place == "last")})
    return figures


def written_by_session(log: dict) -> dict[str, tuple[str, dict[int, int]]]:
    """`/_emulator/marker-writes` as {session: (user, {marker: first write ns})}."""
    by_session = {}
    for session in log["sessions"]:
        writes: dict[int, int] = {}
        for marker, at in session["writes"]:
            writes.setdefault(marker, at)
        by_session[session["session_id"]] = (session["user_id"], writes)
    if log.get("dropped"):
        print(f"       (the emulator dropped {log['dropped']} marker writes beyond its log's capacity)", flush=True)
    return by_session


def first_writes(by_session: dict[str, tuple[str, dict[int, int]]], user_id: str) -> dict[int, int]:
    """{marker: first write ns} over the sessions of `user_id` (the bridge's, one unless it resumed
    or reconnected during the run)."""
    writes: dict[int, int] = {}
    for user, own in by_session.values():
        if user == user_id:
            for marker, at in own.items():
                writes[marker] = min(at, writes.get(marker, at))
    return writes


def peak_concurrency(spans) -> int:
    """Most streams between their first and last content chunk at one moment."""
    edges = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    peak = current = 0
    for _, step in edges:
        current += step
        peak = max(peak, current)
    return peak


class GatewayControl:
    """A gateway client logged in as the spare bot (JSON; zlib-stream, as the bridge connects,
    when `compressed`): the same marked edits reach it straight from the emulator, so its
    latencies are the floor that the emulator's dispatch, loopback and a Python reader cost
    without any bridge in between."""

    def __init__(self, info: dict, compressed: bool = False):
        self.compressed = compressed
        self.url = info["gateway"].rstrip("/") + "/?v=10&encoding=json" + ("&compress=zlib-stream" if compressed else "")
        self.token = info["spare_bot_token"]
        self.arrivals: dict[int, int] = {}
        self.recording = False
        self.ready = asyncio.Event()

    async def run(self) -> None:
        async with aiohttp.ClientSession() as session, session.ws_connect(self.url, max_msg_size=0) as ws:
            inflater = zlib.decompressobj()
            pending = b""

            async def payloads():
                """(arrival ns, payload) per gateway message; zlib-stream shares one context, and a
                message ends with Z_SYNC_FLUSH's suffix."""
                nonlocal pending
                async for frame in ws:
                    now = time.time_ns()
                    if frame.type == aiohttp.WSMsgType.BINARY and self.compressed:
                        pending += frame.data
                        if not pending.endswith(b"\x00\x00\xff\xff"):
                            continue
                        text, pending = inflater.decompress(pending), b""
                    elif frame.type == aiohttp.WSMsgType.TEXT:
                        text = frame.data
                    else:
                        return
                    yield now, json.loads(text)

            messages = payloads()
            _, hello = await anext(messages)
            interval = hello["d"]["heartbeat_interval"] / 1000.0
            sequence = None

            async def beat():
                while True:
                    await asyncio.sleep(interval)
                    await ws.send_json({"op": 1, "d": sequence})

            # GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT
            await ws.send_json({"op": 2, "d": {"token": self.token, "intents": 1 | 512 | 32768,
                                                "properties": {"os": "linux", "browser": "bench", "device": "bench"}}})
            beating = asyncio.create_task(beat())
            try:
                async for now, payload in messages:
                    sequence = payload.get("s") or sequence
                    if payload.get("t") == "READY":
                        self.ready.set()
                    if self.recording and payload.get("t") in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
                        content = (payload.get("d") or {}).get("content") or ""
                        # Only the newest marker is this edit's; earlier ones repeat older edits.
                        found = MARK.findall(content.encode())
                        if found:
                            self.arrivals.setdefault(int(found[-1]), now)
            finally:
                beating.cancel()


async def round_(port, names, prompt_tag, spread_s, counts, spans, arrivals, *controls):
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=180)
    n = len(names)
    listening = [asyncio.create_task(control.run()) for control in controls]
    for control in controls:
        await asyncio.wait_for(control.ready.wait(), 30)
        control.recording = True
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(
            one_stream(session, url, name, f"{prompt_tag} {name}: tell me about lighthouses", counts,
                       spread_s * i / max(n, 1), spans, arrivals)
            for i, name in enumerate(names)))
    if listening:
        await asyncio.sleep(0.5)
        for task in listening:
            task.cancel()


# What the round with the direct clients adds to a level's figures (the rest come from the round
# without them).
COMPARISON_KEYS = ("control_", "bridge_added_", "paired_", "per_edit_", "place_", "slowest_", "twin_",
                   "direct_from_write_")


def measure(args, emulator, host, port: int, names: list[str], tag: str, direct_clients: int,
            arrivals_file: str | None = None) -> dict:
    """One measured round: every conversation streams one answer of `args.chunks` renderings while
    `direct_clients` gateway clients of their own receive the same edits; returns its figures, and
    writes every measured edit to `arrivals_file` (see `--arrivals`) when given."""
    n = len(names)
    counts = {"chunks": 0, "streams": 0, "errors": 0}
    spans: list[tuple[int, int]] = []
    # {marker: first arrival} of the SSE streams, and of each direct client (the second one,
    # with --calibrate, only to compare with the first).
    arrivals: dict[int, int] = {}
    if args.kernel_timestamps:
        gateways = [kernel.Gateway(emulator.info) for _ in range(direct_clients)]
        if gateways:
            time.sleep(1.0)  # HELLO, IDENTIFY, READY
    else:
        controls = [GatewayControl(emulator.info, args.control_compressed) for _ in range(direct_clients)]
    emulator.control("DELETE", "/marker-writes")
    cpu0 = B.cpu_seconds(host.pid)
    switches0 = B.context_switches(host.pid)
    emu_cpu0 = B.cpu_seconds(emulator.proc.pid)
    machine0 = B.machine_ticks()
    t0 = time.monotonic()
    client0 = time.process_time()
    if args.kernel_timestamps:
        bodies = [(args.interval / 1000.0 * i / max(n, 1),
                   {"model": "coze", "stream": True, "user": name,
                    "messages": [{"role": "user", "content": f"{tag} {name}: tell me about lighthouses"}]})
                  for i, name in enumerate(names)]
        arrivals, per_stream, failures, ends = kernel.run(port, bodies, gateways)
        counts.update(chunks=len(arrivals), streams=n - failures, errors=failures)
        spans.extend((min(a.values()), max(a.values())) for a in per_stream if a)
        direct = [gateway.connection.arrivals for gateway in gateways]
    else:
        asyncio.run(round_(port, names, tag, args.interval / 1000.0, counts, spans, arrivals, *controls))
        direct = [control.arrivals for control in controls]
    wall = time.monotonic() - t0
    client_cpu = time.process_time() - client0
    cpu = B.cpu_seconds(host.pid) - cpu0
    switches = B.context_switches(host.pid) - switches0
    emu_cpu = B.cpu_seconds(emulator.proc.pid) - emu_cpu0
    machine = B.machine_share(machine0, B.machine_ticks())
    written = written_by_session(emulator.control("GET", "/marker-writes"))
    to_bridge = first_writes(written, emulator.info["bridge_bot_user_id"])
    if arrivals_file and args.kernel_timestamps:
        Path(arrivals_file).write_text(json.dumps({
            "streams": n, "sse": [sorted(a.items()) for a in per_stream],
            "direct": [sorted(d.items()) for d in direct], "written_to_bridge": sorted(to_bridge.items()),
            "done": ends}))
    ms = sorted((seen - stamp) / 1e6 for stamp, seen in arrivals.items())
    chunks = counts["chunks"]
    row = {
        "completed": counts["streams"], "errors": counts["errors"],
        "chunks": chunks, "markers": len(ms), "peak_concurrent_streams": peak_concurrency(spans),
        "p50_ms": B.percentile(ms, 50), "p99_ms": B.percentile(ms, 99), "max_ms": ms[-1] if ms else float("nan"),
        "seconds": wall, "chunks_per_s": chunks / wall if wall else 0,
        "host_cpu_s": cpu, "host_cpu_us_per_chunk": cpu / chunks * 1e6 if chunks else float("nan"),
        "host_context_switches_per_chunk": switches / chunks if chunks else float("nan"),
        "emulator_cpu_s": emu_cpu, "client_cpu_s": client_cpu, **machine,
    }
    from_write = sorted((seen - to_bridge[stamp]) / 1e6 for stamp, seen in arrivals.items() if stamp in to_bridge)
    if from_write:
        row.update({"from_write_edits": len(from_write), "from_write_p50_ms": B.percentile(from_write, 50),
                    "from_write_p99_ms": B.percentile(from_write, 99), "from_write_max_ms": from_write[-1]})
        own = written.get(gateways[0].connection.session_id) if args.kernel_timestamps and gateways else None
        if own:
            direct_from_write = sorted((direct[0][stamp] - at) / 1e6 for stamp, at in own[1].items()
                                       if stamp in direct[0])
            row.update({"direct_from_write_p50_ms": B.percentile(direct_from_write, 50),
                        "direct_from_write_p99_ms": B.percentile(direct_from_write, 99)})
    if args.kernel_timestamps:
        # The first chunk of an answer takes another path than the rest (the handler waits
        # for the turn's first event before the response head goes out): its own figure.
        first_ms, later_ms = [], []
        for a in per_stream:
            first = min(a, default=None)
            for stamp, seen in a.items():
                (first_ms if stamp == first else later_ms).append((seen - stamp) / 1e6)
        first_ms.sort()
        later_ms.sort()
        # The answer's end: from its last chunk to `[DONE]`, which the bridge sends once the
        # turn is stored (the core's commit) and its done event has reached the plugin.
        end_ms = sorted((done - a[max(a)]) / 1e6 for a, done in zip(per_stream, ends) if a and done)
        row.update({"first_chunks": len(first_ms), "first_p50_ms": B.percentile(first_ms, 50),
                    "first_p99_ms": B.percentile(first_ms, 99),
                    "later_p50_ms": B.percentile(later_ms, 50), "later_p99_ms": B.percentile(later_ms, 99),
                    "done_answers": len(end_ms), "done_p50_ms": B.percentile(end_ms, 50),
                    "done_p99_ms": B.percentile(end_ms, 99)})
    control = direct[0] if direct else {}
    if control:
        floor = sorted((seen - stamp) / 1e6 for stamp, seen in control.items())
        row.update({"control_edits": len(floor), "control_p50_ms": B.percentile(floor, 50),
                    "control_p99_ms": B.percentile(floor, 99),
                    "bridge_added_p50_ms": row["p50_ms"] - B.percentile(floor, 50),
                    "bridge_added_p99_ms": row["p99_ms"] - B.percentile(floor, 99)})
        paired = sorted((arrivals[stamp] - seen) / 1e6 for stamp, seen in control.items() if stamp in arrivals)
        if paired:
            row.update({"paired_edits": len(paired), "per_edit_added_p50_ms": B.percentile(paired, 50),
                        "per_edit_added_p99_ms": B.percentile(paired, 99),
                        "per_edit_added_max_ms": paired[-1]})
        if args.kernel_timestamps and paired:
            row.update(per_edit_by_place(per_stream, control))
        if len(direct) > 1:
            twin = direct[1]
            apart = sorted(abs(twin[stamp] - seen) / 1e6 for stamp, seen in control.items() if stamp in twin)
            if apart:
                row.update({"twin_apart_p50_ms": B.percentile(apart, 50),
                            "twin_apart_p99_ms": B.percentile(apart, 99)})
    return row


def print_main_round(row: dict) -> None:
    """The figures of the round without direct clients, which the targets are judged on."""
    print(f"{row['streams']:5d} streams: {row['completed']} done, {row['errors']} errors, "
          f"at most {row['peak_concurrent_streams']} streaming at once, {row['chunks']} chunks "
          f"({row['markers']} edits) in {row['seconds']:.2f} s = {row['chunks_per_s']:.0f} chunks/s; "
          f"latency p50 {row['p50_ms']:.3f} ms, p99 {row['p99_ms']:.3f} ms, max {row['max_ms']:.3f} ms; "
          f"host CPU {row['host_cpu_s']:.2f} s = {row['host_cpu_us_per_chunk']:.1f} us/chunk, "
          f"{row['host_context_switches_per_chunk']:.1f} context switches/chunk (emulator CPU "
          f"{row['emulator_cpu_s']:.2f} s, client CPU {row['client_cpu_s']:.2f} s); "
          f"machine {row['busy_pct']:.0f}% busy, {row['steal_pct']:.1f}% stolen by the hypervisor",
          flush=True)
    if "first_chunks" in row:
        print(f"       first chunk of each answer ({row['first_chunks']}): p50 {row['first_p50_ms']:.3f} ms, "
              f"p99 {row['first_p99_ms']:.3f} ms; later chunks: p50 {row['later_p50_ms']:.3f} ms, "
              f"p99 {row['later_p99_ms']:.3f} ms (end to end); last chunk to [DONE] ({row['done_answers']}): "
              f"p50 {row['done_p50_ms']:.3f} ms, p99 {row['done_p99_ms']:.3f} ms", flush=True)
    if "from_write_edits" in row:
        print(f"       from the emulator's write to the bridge's gateway connection ({row['from_write_edits']} edits): "
              f"p50 {row['from_write_p50_ms']:.3f} ms, p99 {row['from_write_p99_ms']:.3f} ms, "
              f"max {row['from_write_max_ms']:.3f} ms", flush=True)


def print_comparison_round(compared: dict, direct_clients: int) -> None:
    """The second round's figures: the same answers again, with the direct client(s) listening."""
    clients = "a direct gateway client" if direct_clients == 1 else f"{direct_clients} direct gateway clients"
    print(f"       again with {clients} (their load included): end to end p50 {compared['p50_ms']:.3f} ms, "
          f"p99 {compared['p99_ms']:.3f} ms; from the write p50 {compared.get('from_write_p50_ms', float('nan')):.3f} ms, "
          f"p99 {compared.get('from_write_p99_ms', float('nan')):.3f} ms; host CPU "
          f"{compared['host_cpu_us_per_chunk']:.1f} us/chunk, emulator CPU {compared['emulator_cpu_s']:.2f} s; "
          f"{compared['steal_pct']:.1f}% stolen"
          + (f"; the direct client from its own write (loopback alone): p50 {compared['direct_from_write_p50_ms']:.3f} ms, "
             f"p99 {compared['direct_from_write_p99_ms']:.3f} ms" if "direct_from_write_p50_ms" in compared else ""), flush=True)
    if "control_edits" in compared:
        print(f"       direct gateway client (no bridge): {compared['control_edits']} edits, p50 "
              f"{compared['control_p50_ms']:.3f} ms, p99 {compared['control_p99_ms']:.3f} ms -> bridge adds "
              f"p50 {compared['bridge_added_p50_ms']:.3f} ms, p99 {compared['bridge_added_p99_ms']:.3f} ms", flush=True)
    if "paired_edits" in compared:
        print(f"       per edit, SSE arrival - direct client's arrival ({compared['paired_edits']} edits): bridge adds "
              f"p50 {compared['per_edit_added_p50_ms']:.3f} ms, p99 {compared['per_edit_added_p99_ms']:.3f} ms, "
              f"max {compared['per_edit_added_max_ms']:.3f} ms", flush=True)
    if "place_first_p50_ms" in compared:
        print("       per edit by place in the answer: " + ", ".join(
            f"{place} p50 {compared[f'place_{place}_p50_ms']:.3f} / p99 {compared[f'place_{place}_p99_ms']:.3f} ms"
            for place in PLACES) + f"; of the slowest 1% ({compared['slowest_edits']}): "
              f"{compared['slowest_first']} first and {compared['slowest_last']} last chunks", flush=True)
    if "twin_apart_p99_ms" in compared:
        print(f"       calibration: two identical direct clients get the same edit p50 {compared['twin_apart_p50_ms']:.3f} ms, "
              f"p99 {compared['twin_apart_p99_ms']:.3f} ms apart", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", default="1,100,1000")
    parser.add_argument("--chunks", type=int, default=20, help="renderings per answer")
    parser.add_argument("--interval", type=int, default=250, help="edit_interval_ms")
    parser.add_argument("--jitter", type=int, default=100, help="edit_jitter_ms")
    parser.add_argument("--no-control", dest="control", action="store_false",
                        help="skip the second round, with the direct gateway client that measures the latency floor "
                             "without the bridge")
    parser.add_argument("--zlib-control", dest="control_compressed", action="store_true",
                        help="the direct gateway client asks for zlib-stream as the bridge does (by default it "
                             "reads plain JSON: compressing every edit twice loads the emulator, and the "
                             "difference in the figures was within the noise at 100 streams)")
    parser.add_argument("--aiohttp", dest="kernel_timestamps", action="store_false",
                        help="drive the streams with aiohttp and time arrivals with time.time_ns() when Python reads "
                             "them (the method of the earlier figures); by default plain sockets are timed by the "
                             "kernel's receive timestamps (SO_TIMESTAMPNS), so the client's own scheduling does not "
                             "count as latency")
    parser.add_argument("--emulator-loops", type=int, default=1,
                        help="the emulator's event loop threads (0: its default, one per CPU). With one, each edit "
                             "is written to the bridge and then to the direct clients back to back on one thread "
                             "(sessions in the order they identified, the bridge first); with one loop per CPU "
                             "each connection's loop waits for a CPU of its own, which on two cores spreads two "
                             "identical direct clients about three times as far apart at p99 (bench/RESULTS.md)")
    parser.add_argument("--calibrate", action="store_true",
                        help="also run a second direct client: how far apart two identical clients get the same "
                             "edit is the noise floor of the per-edit figure (it adds their load)")
    parser.add_argument("--arrivals", metavar="FILE",
                        help="write every measured edit as JSON (per stream: marker stamp -> SSE arrival; per "
                             "direct client: stamp -> arrival; stamp -> the emulator's write to the bridge; per "
                             "stream: when [DONE] arrived; all in Unix ns) for a closer look at the tail "
                             "(not with --aiohttp)")
    args = parser.parse_args()
    levels = [int(x) for x in args.streams.split(",")]
    B.build("discord-emulator", "cozebridge", "cozebridge-host", "cozebridge-http")

    scenario = {"rate_limits": {"enabled": False}, "max_guild_channels": 5000,
                "coze": {"start_delay_ms": 50, "edit_interval_ms": args.interval, "edit_jitter_ms": args.jitter,
                         "chunks": 1, "timestamp_markers": True}}
    emulator = B.Emulator(scenario, ("--event-loops", str(args.emulator_loops)) if args.emulator_loops else ())
    work = Path(tempfile.mkdtemp(prefix="bench-overhead-"))
    port = B.free_port()
    text = B.config_yaml(emulator.info, work / "store.sqlite",
                         [B.bot_yaml(emulator.info, "bench", emulator.info["bridge_bot_token"])],
                         extra="ChannelCap_Strategy: threads\nChannelCap_maxChannels: 450\ngenerate_timeout: 60000\n",
                         plugins=B.http_plugin_yaml(port))
    host = B.Host(work, text, port)
    rows = []
    try:
        for n in levels:
            names = [f"ov{n}-{i}" for i in range(n)]
            # Warm-up: creates the channels/threads and opens the client paths; one chunk each.
            emulator.control("PUT", "/scenario", {"coze": {"chunks": 1}})
            warm = {"chunks": 0, "streams": 0, "errors": 0}
            asyncio.run(round_(port, names, "warm", min(5.0, n * 0.005), warm, [], {}))
            emulator.control("PUT", "/scenario", {"coze": {"chunks": args.chunks}})
            # The figures of the target come from a round with nothing but the bridge's own
            # traffic. A direct client makes the emulator write every edit once more (and its
            # reader wake once more) on the same two CPUs, which in alternating runs raised the
            # bridge's p99 by 10-30%: so it gets a round of its own, for the per-edit figures.
            # --arrivals: from the round with the direct clients when there is one (it holds
            # their arrivals too).
            row = {"streams": n, **measure(args, emulator, host, port, names, "measure", direct_clients=0,
                                           arrivals_file=None if args.control else args.arrivals)}
            row["errors"] += warm["errors"]
            print_main_round(row)
            if args.control:
                compared = measure(args, emulator, host, port, names, "compare",
                                   direct_clients=1 + args.calibrate, arrivals_file=args.arrivals)
                row["errors"] += compared["errors"]
                row.update({key: value for key, value in compared.items() if key.startswith(COMPARISON_KEYS)})
                row["with_direct_clients"] = {key: compared.get(key) for key in (
                    "chunks", "p50_ms", "p99_ms", "from_write_p50_ms", "from_write_p99_ms",
                    "host_cpu_us_per_chunk", "emulator_cpu_s", "steal_pct")}
                print_comparison_round(compared, direct_clients=1 + args.calibrate)
            rows.append(row)

    finally:
        status = host.stop()
        emulator.stop()
    out = Path(__file__).resolve().parents[1] / "out"
    out.mkdir(exist_ok=True)
    (out / "overhead.json").write_text(json.dumps({"date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                                                    "args": vars(args), "rows": rows}, indent=1))
    verdict = []
    for row in rows:
        target = 1.0 if row["streams"] <= 100 else 5.0
        if row["streams"] in (100, 1000):
            judged = [f"end to end p99 {row['p99_ms']:.2f} ms ({'met' if row['p99_ms'] < target else 'NOT met'})"]
            if "from_write_p99_ms" in row:
                sent = row["from_write_p99_ms"]
                judged.append(f"from the emulator's write p99 {sent:.2f} ms ({'met' if sent < target else 'NOT met'})")
            if "per_edit_added_p99_ms" in row:
                added = row["per_edit_added_p99_ms"]
                judged.append(f"bridge adds p99 {added:.2f} ms per edit ({'met' if added < target else 'NOT met'})")
            verdict.append(f"{row['streams']}: " + ", ".join(judged) + f", target < {target:g} ms")
    print("summary: overhead " + "; ".join(
        f"{r['streams']} streams p50/p99/max {r['p50_ms']:.2f}/{r['p99_ms']:.2f}/{r['max_ms']:.2f} ms, "
        f"{r['chunks_per_s']:.0f} chunks/s, {r['host_cpu_us_per_chunk']:.0f} us CPU/chunk" for r in rows)
        + (" — " + ", ".join(verdict) if verdict else "") + f" (host exit {status})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
