"""Cost of a streamed chunk delivered to a C callback and to a Python callback.

Against the emulator (rate limits off, Coze `long` answers of 3 messages, each streamed in
--chunks renderings with no pause between edits), bench/lib/c_abi.c (linked to libcozebridge.so)
and bench/lib/c_abi_py.py (bindings/python) each run STREAMS concurrent streamed turns for ROUNDS
rounds after a warm-up round. Each prints delivered chunks (on_delta calls / Delta events) and the
whole process's CPU time; CPU per chunk includes the core's own work for that edit (gateway
decode, reply tracking), identical in both, so Python minus C is what the Python delivery adds.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as B  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chunks", type=int, default=100)
    args = parser.parse_args()
    B.build("discord-emulator", "cozebridge")
    work = Path(tempfile.mkdtemp(prefix="bench-cabi-"))
    program = work / "c_abi"
    # The library's SONAME is libcozebridge.so.1; the build directory has only libcozebridge.so.
    (work / "libcozebridge.so.1").symlink_to(B.BIN / "libcozebridge.so")
    subprocess.run(["cc", "-std=c11", "-O2", "-Wall", "-Wextra", "-I", str(B.REPO / "include"), "-o", str(program),
                    str(B.REPO / "bench/lib/c_abi.c"), "-L", str(B.BIN), "-lcozebridge",
                    f"-Wl,-rpath,{work}"], check=True)
    emulator = B.Emulator({"rate_limits": {"enabled": False},
                           "coze": {"start_delay_ms": 0, "edit_interval_ms": 0, "chunks": args.chunks,
                                    "long_answer_messages": 3}})
    results = {}
    try:
        for side, command in (("c", [str(program)]),
                              ("python", [sys.executable, str(B.REPO / "bench/lib/c_abi_py.py")])):
            config = work / f"{side}.yml"
            config.write_text(B.config_yaml(emulator.info, work / f"{side}.sqlite",
                                            [B.bot_yaml(emulator.info, "bench", emulator.info["bridge_bot_token"])],
                                            extra="generate_timeout: 60000\n"))
            env = dict(os.environ, COZEBRIDGE_LIBRARY=str(B.BIN / "libcozebridge.so"))
            out = subprocess.run(command + [str(config), "bench", str(args.streams), str(args.rounds)],
                                 env=env, check=True, capture_output=True, text=True, timeout=900)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            row["cpu_ns_per_chunk"] = row["cpu_seconds"] / row["chunks"] * 1e9 if row["chunks"] else float("nan")
            row["chunks_per_s"] = row["chunks"] / row["seconds"]
            results[side] = row
            extra = (f", {row['callback_ns'] / row['chunks']:.0f} ns inside the callback" if "callback_ns" in row else "")
            print(f"{side:6s}: {row['chunks']} chunks ({row['bytes']} bytes) in {row['seconds']:.2f} s = "
                  f"{row['chunks_per_s']:.0f} chunks/s; process CPU {row['cpu_seconds']:.2f} s = "
                  f"{row['cpu_ns_per_chunk']:.0f} ns/chunk{extra}; {row['failures']} failures", flush=True)
    finally:
        emulator.stop()
    c, py = results["c"], results["python"]
    added = py["cpu_ns_per_chunk"] - c["cpu_ns_per_chunk"]
    outdir = Path(__file__).resolve().parents[1] / "out"
    outdir.mkdir(exist_ok=True)
    (outdir / "c-abi.json").write_text(json.dumps({"date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                                                    "args": vars(args), "results": results}, indent=1))
    print(f"summary: c-abi C callback {c['cpu_ns_per_chunk']:.0f} ns CPU/chunk (whole process, "
          f"{c['callback_ns'] / max(c['chunks'], 1):.0f} ns in the callback), Python {py['cpu_ns_per_chunk']:.0f} "
          f"ns CPU/chunk: Python delivery adds {added:.0f} ns/chunk")
    return 0


if __name__ == "__main__":
    sys.exit(main())
