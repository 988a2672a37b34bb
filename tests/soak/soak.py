#!/usr/bin/env python3
"""A bounded soak of the staged host + HTTP plugin against the Discord emulator, with faults.

    tests/soak/soak.py [--duration SECONDS] [--workers N] [--fault-every SECONDS] [--seed N]

Mixed traffic through the OpenAI-compatible API (streamed and non-streamed new conversations,
continuations of finished dialogues with the emulator's memory question, Coze's `slow` and `silent`
scenarios) while a fault thread injects, through the emulator's control endpoint
(docs/emulator.md): gateway drops (with and without refused reconnects), RECONNECT,
INVALID_SESSION (resumable or not), 5xx bursts, forced 429s (per route and global), REST latency.

Checks:
- every request ends in exactly one of: a complete answer whose text is exactly the emulator's
  (tests/python/coze_answers.py), or a typed error (an HTTP error status with
  `{"error": {"message", "type", "param", "code"}}`, or for a stream an `data: {"error": …}` event
  and no `[DONE]`), where the text a stream showed before its error is a prefix of the answer (no
  text duplicated); `silent` prompts must end in a typed error;
- the host stays up and exits 0 on SIGTERM;
- RSS and open file descriptors of the host (sampled from /proc) are flat: after the load stops and
  the bridge is idle, descriptors are back to the level they had after warm-up (small slack) and
  RSS of the last third of the run grew by less than the allowed slack over the first third.

Binaries (never built here): $COZEBRIDGE_HOST_BIN (default .build/stage/bin/cozebridge), the plugin
$COZEBRIDGE_HTTP_PLUGIN (default .build/stage/lib/cozebridge/plugins/libcozebridge-http.so),
$DISCORD_EMULATOR_BIN (default .build/debug/discord-emulator; copied to a temporary directory first
so a concurrent rebuild cannot swap it mid-run). Runs with the repository's .venv python (needs
discord.py for tests/python/emu.py). Exit status 0 when every check passed.

Crashes are not among the faults here, since the soak's checks need the host to live through the
run: `kill -9` of the host under load and restarts on the same store are
tests/python/test_crash_safety.py (part of `make test-python`, about 20 s), which checks the
store's integrity and that every conversation and turn a client saw acknowledged survives.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "python"))

import coze_answers as ca  # noqa: E402
from emu import Emulator, bridge_config_yaml, control, free_port, stop_process  # noqa: E402

KEY = "soak"
MODEL = "coze"
SEED = 1
MEMORY = "what did I say before?"
REQUEST_TIMEOUT = 120.0
IDLE_TIMEOUT_MS = 4000  # generate_timeout: Coze silent this long ends a turn (slow_start is below)
SCENARIO = {
    "seed": SEED,
    "coze": {"start_delay_ms": 100, "edit_interval_ms": 80, "chunks": 5, "slow_start_ms": 1500},
    "rate_limits": {"enabled": True},
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------------------------------------
# processes
# ---------------------------------------------------------------------------------------------


def binaries() -> tuple[Path, Path, Path]:
    host = Path(os.environ.get("COZEBRIDGE_HOST_BIN", ROOT / ".build/stage/bin/cozebridge"))
    plugin = Path(os.environ.get("COZEBRIDGE_HTTP_PLUGIN",
                                 ROOT / ".build/stage/lib/cozebridge/plugins/libcozebridge-http.so"))
    emulator = Path(os.environ.get("DISCORD_EMULATOR_BIN", ROOT / ".build/debug/discord-emulator"))
    for path in (host, plugin, emulator):
        if not path.is_file():
            sys.exit(f"soak: {path} does not exist (make stage / swift build first, or set the variables)")
    return host, plugin, emulator


class Host:
    def __init__(self, binary: Path, workdir: Path, config: Path, port: int):
        self.log_path = workdir / "host.stderr"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([str(binary), "--config", str(config)], cwd=workdir,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log)
        self.port = port
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the host exited while starting:\n{self.tail()}")
            try:
                status, _, body = request(port, "GET", "/health?ready=1", timeout=5)
                if status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the host did not become ready:\n{self.tail()}")
            time.sleep(0.2)

    def tail(self, limit: int = 6000) -> str:
        return self.log_path.read_text(errors="replace")[-limit:]

    def sample(self) -> tuple[int, int]:
        """(RSS in KiB, open file descriptors)."""
        rss = 0
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
        return rss, len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def stop(self) -> int:
        status = stop_process(self.proc)
        self._log.close()
        return status


def request(port: int, method: str, path: str, body=None, timeout: float = REQUEST_TIMEOUT):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


# ---------------------------------------------------------------------------------------------
# one request and its outcome
# ---------------------------------------------------------------------------------------------


class Outcome:
    def __init__(self, kind: str, expected: str | None, stream: bool):
        self.kind = kind              # plain, continuation, slow, silent
        self.expected = expected      # None: a typed error is required
        self.stream = stream
        self.result = None            # "done" / "error:<code>" / "FAIL"
        self.problem = ""
        self.text = ""
        self.conversation = None


def typed_error(payload) -> str | None:
    """The code of an OpenAI error object, or None when `payload` is not one."""
    if not isinstance(payload, dict) or not isinstance(payload.get("error"), dict):
        return None
    error = payload["error"]
    if not {"message", "type", "param", "code"} <= set(error) or not error["message"]:
        return None
    return str(error["code"] or error["type"])


def run_chat(port: int, messages: list[dict], outcome: Outcome) -> None:
    body = {"model": MODEL, "messages": messages, "stream": outcome.stream}
    try:
        status, headers, raw = request(port, "POST", "/v1/chat/completions", body)
    except Exception as e:  # noqa: BLE001  a hung or broken connection is the failure we look for
        outcome.result, outcome.problem = "FAIL", f"transport: {type(e).__name__}: {e}"
        return
    outcome.conversation = headers.get("x-conversation-id")
    if status != 200:
        try:
            code = typed_error(json.loads(raw))
        except ValueError:
            code = None
        if code is None:
            outcome.result, outcome.problem = "FAIL", f"HTTP {status} without a typed error: {raw[:300]!r}"
        else:
            outcome.result = f"error:{status}:{code}"
        return
    if not outcome.stream:
        try:
            completion = json.loads(raw)
            outcome.text = completion["choices"][0]["message"]["content"]
            finish = completion["choices"][0]["finish_reason"]
        except (ValueError, KeyError, IndexError, TypeError) as e:
            outcome.result, outcome.problem = "FAIL", f"malformed completion ({e}): {raw[:300]!r}"
            return
        outcome.result = "done" if finish == "stop" else "FAIL"
        if finish != "stop":
            outcome.problem = f"finish_reason {finish!r}"
        return
    events = [line[len("data: "):] for line in raw.decode(errors="replace").split("\n") if line.startswith("data: ")]
    text, done, error, finished, after_finish = [], False, None, False, False
    for index, event in enumerate(events):
        if event == "[DONE]":
            if index != len(events) - 1:
                outcome.result, outcome.problem = "FAIL", "events after [DONE]"
                return
            done = True
            continue
        try:
            payload = json.loads(event)
        except ValueError:
            outcome.result, outcome.problem = "FAIL", f"an event is not JSON: {event[:200]!r}"
            return
        if "error" in payload:
            error = typed_error(payload) or "UNTYPED"
            if index != len(events) - 1:
                outcome.result, outcome.problem = "FAIL", "events after an error event"
                return
            continue
        for choice in payload.get("choices") or []:
            delta = (choice.get("delta") or {}).get("content")
            if delta:
                if finished:
                    after_finish = True
                text.append(delta)
            if choice.get("finish_reason"):
                finished = True
    outcome.text = "".join(text)
    if done and error:
        outcome.result, outcome.problem = "FAIL", "both [DONE] and an error"
    elif after_finish:
        outcome.result, outcome.problem = "FAIL", "content after finish_reason"
    elif done and finished:
        outcome.result = "done"
    elif error == "UNTYPED":
        outcome.result, outcome.problem = "FAIL", f"untyped error event: {events[-1][:300]}"
    elif error:
        outcome.result = f"error:stream:{error}"
    else:
        outcome.result, outcome.problem = "FAIL", f"stream ended with neither [DONE] nor an error ({len(events)} events)"


def judge(outcome: Outcome) -> None:
    """Turns a done answer with the wrong text, or an error that lost/duplicated text, into FAIL."""
    if outcome.result == "done":
        if outcome.expected is None:
            outcome.result, outcome.problem = "FAIL", f"a {outcome.kind} prompt was answered: {outcome.text[:120]!r}"
        elif outcome.text != outcome.expected:
            outcome.result = "FAIL"
            outcome.problem = f"wrong text:\n   got  {outcome.text[:300]!r}\n   want {outcome.expected[:300]!r}"
    elif outcome.result and outcome.result.startswith("error:stream") and outcome.expected is not None:
        if not outcome.expected.startswith(outcome.text):
            outcome.result = "FAIL"
            outcome.problem = f"text shown before the error is not a prefix of the answer: {outcome.text[:200]!r}"


# ---------------------------------------------------------------------------------------------
# the soak
# ---------------------------------------------------------------------------------------------


class Soak:
    def __init__(self, args):
        self.args = args
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.outcomes: list[Outcome] = []
        self.finished_dialogues: collections.deque = collections.deque(maxlen=200)
        self.faults = collections.Counter()
        self.fault_kinds: list[str] = []
        self.fault_rounds = 0
        self.samples: list[tuple[float, int, int]] = []
        self.serial = 0

    def unique(self, prefix: str) -> str:
        with self.lock:
            self.serial += 1
            return f"{prefix}{os.getpid()}n{self.serial}"

    def worker(self, port: int, seed: int) -> None:
        rng = random.Random(seed)
        while not self.stop.is_set():
            roll = rng.random()
            stream = rng.random() < 0.6
            previous = None
            if roll < 0.2:
                with self.lock:
                    previous = self.finished_dialogues.popleft() if self.finished_dialogues else None
            if previous is not None:
                first, answer = previous
                messages = [{"role": "user", "content": first}, {"role": "assistant", "content": answer},
                            {"role": "user", "content": MEMORY}]
                outcome = Outcome("continuation", ca.answer(MEMORY, first, SEED), stream)
            elif roll < 0.27:
                prompt = f"Plan the reading list slowly [scenario:slow] ({self.unique('slow')})"
                messages = [{"role": "user", "content": prompt}]
                outcome = Outcome("slow", ca.answer(prompt, None, SEED), stream)
            elif roll < 0.31:
                prompt = f"Say nothing [scenario:silent] ({self.unique('silent')})"
                messages = [{"role": "user", "content": prompt}]
                outcome = Outcome("silent", None, stream)
            else:
                prompt = f"Help me with {rng.choice(ca.TOPICS)} ({self.unique('p')})"
                messages = [{"role": "user", "content": prompt}]
                outcome = Outcome("plain", ca.answer(prompt, None, SEED), stream)
            run_chat(port, messages, outcome)
            judge(outcome)
            with self.lock:
                self.outcomes.append(outcome)
                if outcome.result == "done" and outcome.kind == "plain":
                    self.finished_dialogues.append((messages[0]["content"], outcome.text))
            if outcome.result == "FAIL":
                log(f"FAIL ({outcome.kind}, stream={outcome.stream}, conversation {outcome.conversation}): "
                    f"{outcome.problem}")

    def faulter(self, info: dict, seed: int) -> None:
        rng = random.Random(seed)
        token = info["bridge_bot_token"]
        faults = [
            ("drop-gateway", lambda: control(info, "POST", "/faults/drop-gateway", {"token": token})),
            ("drop-gateway+refuse", lambda: control(info, "POST", "/faults/drop-gateway",
                                                    {"token": token, "refuse_ms": rng.choice([500, 2000])})),
            ("reconnect", lambda: control(info, "POST", "/faults/reconnect", {"token": token})),
            ("invalid-session-resumable", lambda: control(info, "POST", "/faults/invalid-session",
                                                          {"token": token, "resumable": True})),
            ("invalid-session", lambda: control(info, "POST", "/faults/invalid-session",
                                                {"token": token, "resumable": False})),
            ("5xx-burst", lambda: control(info, "POST", "/faults/http-errors",
                                          {"count": rng.randint(2, 6), "status": rng.choice([500, 502, 503])})),
            ("429-burst", lambda: control(info, "POST", "/faults/rate-limit",
                                          {"count": rng.randint(2, 8), "retry_after": 0.3})),
            ("429-global", lambda: control(info, "POST", "/faults/rate-limit",
                                           {"count": 3, "retry_after": 0.5, "global": True})),
            ("latency", lambda: control(info, "POST", "/faults/latency", {"ms": rng.choice([200, 800])})),
        ]
        self.fault_kinds = [name for name, _ in faults]
        # Shuffled rounds rather than independent draws: every finished round has injected every
        # kind (independent draws with seed 1 never picked RECONNECT or a 5xx burst in 180 s).
        round_: list = []
        while not self.stop.wait(self.args.fault_every * rng.uniform(0.5, 1.5)):
            if not round_:
                round_ = rng.sample(faults, len(faults))
            name, inject = round_.pop()
            try:
                inject()
                self.faults[name] += 1
                log(f"fault: {name}")
            except Exception as e:  # noqa: BLE001
                log(f"fault {name} could not be injected: {e}")
            if not round_:
                self.fault_rounds += 1
            if self.stop.wait(rng.uniform(1.0, 4.0)):
                break
            try:
                control(info, "POST", "/faults/clear", {})
            except Exception as e:  # noqa: BLE001
                log(f"faults/clear failed: {e}")

    def sampler(self, host: Host) -> None:
        start = time.monotonic()
        while not self.stop.wait(2.0):
            try:
                rss, fds = host.sample()
            except OSError:
                return
            self.samples.append((time.monotonic() - start, rss, fds))


def wait_idle(port: int, timeout: float = 90.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _, _, body = request(port, "GET", "/health", timeout=10)
            if all(bot["in_flight_turns"] == 0 for bot in json.loads(body)["bots"]):
                return True
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.5)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=180.0, help="seconds of traffic (default 180)")
    parser.add_argument("--workers", type=int, default=6, help="concurrent clients (default 6)")
    parser.add_argument("--fault-every", type=float, default=6.0, help="mean seconds between faults")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rss-slack-kib", type=int, default=16 * 1024,
                        help="allowed RSS growth, last third over first third of the run (KiB)")
    parser.add_argument("--fd-slack", type=int, default=8, help="allowed extra descriptors once idle")
    args = parser.parse_args()

    host_bin, plugin, emulator_bin = binaries()
    workdir = Path(tempfile.mkdtemp(prefix="cozebridge-soak-"))
    emulator_copy = workdir / "discord-emulator"
    shutil.copy2(emulator_bin, emulator_copy)
    emulator = Emulator(emulator_copy, scenario=SCENARIO)
    info = emulator.info
    port = free_port()
    settings = {"Port": port, "Models": [MODEL]}
    ranks = plugin.parent / "cl100k_base.tiktoken"
    if ranks.is_file():
        settings["TokenizerRanks"] = str(ranks)
    config = workdir / "Config.yml"
    config.write_text(bridge_config_yaml(info, workdir / "conversations.sqlite", KEY, IDLE_TIMEOUT_MS)
                      + textwrap.dedent(f"""\
                          Plugins:
                            - Name: http
                              Path: {json.dumps(str(plugin))}
                              Settings: {json.dumps(settings)}
                          """))
    soak = Soak(args)
    failures: list[str] = []
    host = None
    try:
        host = Host(host_bin, workdir, config, port)
        log(f"host pid {host.proc.pid} on :{port}, emulator {info['api']}, workdir {workdir}")
        threads = [threading.Thread(target=soak.worker, args=(port, args.seed * 1000 + n), daemon=True)
                   for n in range(args.workers)]
        threads.append(threading.Thread(target=soak.faulter, args=(info, args.seed), daemon=True))
        sampler = threading.Thread(target=soak.sampler, args=(host,), daemon=True)
        sampler.start()
        for thread in threads:
            thread.start()
        end = time.monotonic() + args.duration
        while time.monotonic() < end:
            time.sleep(min(15.0, max(0.1, end - time.monotonic())))
            with soak.lock:
                counts = collections.Counter(o.result.split(":")[0] for o in soak.outcomes)
            last = soak.samples[-1] if soak.samples else (0, 0, 0)
            log(f"{len(soak.outcomes)} requests {dict(counts)}; RSS {last[1] // 1024} MiB, {last[2]} fds")
            if host.proc.poll() is not None:
                failures.append(f"the host died (status {host.proc.returncode})")
                break
        soak.stop.set()
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT + 10)
            if thread.is_alive():
                failures.append("a client thread did not finish (a request hung)")
        control(info, "POST", "/faults/clear", {})
        if host.proc.poll() is None and not wait_idle(port):
            failures.append("turns still in flight 90 s after the load stopped")
        time.sleep(3)
        if host.proc.poll() is None:
            idle_rss, idle_fds = host.sample()
        else:
            idle_rss, idle_fds = 0, 0

        # --- report
        outcomes = soak.outcomes
        results = collections.Counter(o.result for o in outcomes)
        by_kind = collections.defaultdict(collections.Counter)
        for o in outcomes:
            by_kind[f"{o.kind}/{'stream' if o.stream else 'plain'}"][o.result.split(":")[0]] += 1
        print("\n== soak summary")
        print(f"duration {args.duration:.0f} s, {args.workers} workers, {len(outcomes)} requests")
        print(f"faults injected ({soak.fault_rounds} whole rounds): "
              + ", ".join(f"{k} {v}" for k, v in sorted(soak.faults.items())))
        print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(results.items())))
        for kind, counter in sorted(by_kind.items()):
            print(f"  {kind:22} " + ", ".join(f"{k} {v}" for k, v in sorted(counter.items())))
        fails = [o for o in outcomes if o.result == "FAIL"]
        for o in fails[:20]:
            print(f"  FAIL {o.kind} stream={o.stream} conversation={o.conversation}: {o.problem}")
        if fails:
            failures.append(f"{len(fails)} requests failed the exactly-one-outcome check")
        if not any(o.result == "done" for o in outcomes):
            failures.append("no request completed")
        missed = [kind for kind in soak.fault_kinds if soak.faults[kind] == 0]
        if missed and soak.fault_rounds:
            failures.append("faults never injected: " + ", ".join(missed))
        elif missed:
            print("too short for a whole round of faults; not injected: " + ", ".join(missed))
        try:
            counters = control(info, "GET", "/counters")
            print(f"emulator counters: {json.dumps({k: v for k, v in counters.items() if k != 'by_token'})}")
        except Exception as e:  # noqa: BLE001
            print(f"emulator counters unavailable: {e}")

        samples = soak.samples
        if len(samples) >= 9:
            warm = samples[len(samples) // 10:]
            third = max(1, len(warm) // 3)
            first_rss = statistics.median(s[1] for s in warm[:third])
            last_rss = statistics.median(s[1] for s in warm[-third:])
            base_fds = statistics.median(s[2] for s in warm[:third])
            peak_fds = max(s[2] for s in samples)
            print(f"RSS KiB: first third median {first_rss:.0f}, last third median {last_rss:.0f}, "
                  f"max {max(s[1] for s in samples)}, idle {idle_rss}")
            print(f"fds: after warm-up median {base_fds:.0f}, peak {peak_fds}, idle {idle_fds}")
            if last_rss - first_rss > args.rss_slack_kib:
                failures.append(f"RSS grew by {(last_rss - first_rss) / 1024:.1f} MiB over the run")
            if idle_fds and idle_fds > base_fds + args.fd_slack:
                failures.append(f"open descriptors idle {idle_fds} > {base_fds:.0f} + {args.fd_slack}")
        else:
            failures.append("too few /proc samples to judge RSS and descriptors")
    finally:
        if host is not None:
            status = host.stop()
            if status != 0:
                failures.append(f"the host exited with {status} on SIGTERM")
            problems = [line for line in host.tail(200_000).splitlines()
                        if "fatal" in line.lower() or "crash" in line.lower()]
            for line in problems[:10]:
                print(f"host log: {line}")
        emulator.stop()
        emulator.cleanup()
    if failures:
        print("\n== SOAK FAILED\n" + "\n".join(f"- {f}" for f in failures))
        print(f"(host log kept in {workdir / 'host.stderr'})")
        return 1
    print("\n== soak passed")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
