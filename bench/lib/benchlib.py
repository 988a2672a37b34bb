"""Shared plumbing for the bench/ scripts: release binaries, the emulator, the host, /proc figures.

Binaries come from the release scratch path `.build-release` (override with BENCH_BIN_DIR). Each
script builds what it needs first unless BENCH_NO_BUILD=1.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRATCH = os.environ.get("BENCH_SCRATCH", str(REPO / ".build-release"))
BIN = Path(os.environ.get("BENCH_BIN_DIR", str(Path(SCRATCH) / "release")))
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def build(*products: str) -> None:
    if os.environ.get("BENCH_NO_BUILD") == "1":
        return
    for product in products:
        subprocess.run(["swift", "build", "-c", "release", "--scratch-path", SCRATCH, "--product", product],
                       cwd=REPO, check=True, stdout=subprocess.DEVNULL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def context_switches(pid: int) -> int:
    """Voluntary and involuntary context switches of a process's live threads so far (each time a
    thread slept and was woken, or was preempted), from /proc/PID/task/*/status."""
    total = 0
    for status in Path(f"/proc/{pid}/task").glob("*/status"):
        try:
            lines = status.read_text().splitlines()
        except OSError:  # the thread ended meanwhile
            continue
        total += sum(int(line.split()[1]) for line in lines if "ctxt_switches:" in line)
    return total


def machine_ticks() -> dict[str, int]:
    """The whole machine's CPU time so far, in clock ticks, from /proc/stat's `cpu` line: all of it
    (`total`), the part other guests of the hypervisor took (`steal`) and the idle part (`idle`,
    with iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return {"total": user + nice + system + idle + iowait + irq + softirq + steal, "steal": steal,
            "idle": idle + iowait}


def machine_share(before: dict[str, int], after: dict[str, int]) -> dict[str, float]:
    """Percent of the machine's CPU time between two `machine_ticks()` readings that was stolen by
    the hypervisor and that was busy (neither idle nor stolen): a noisy neighbour shows as steal."""
    total = max(after["total"] - before["total"], 1)
    steal = after["steal"] - before["steal"]
    idle = after["idle"] - before["idle"]
    return {"steal_pct": 100.0 * steal / total, "busy_pct": 100.0 * (total - steal - idle) / total}


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def percentile(sorted_values, p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * (len(sorted_values) - 1)))))
    return sorted_values[k]


class Emulator:
    def __init__(self, scenario: dict | None = None, extra_args: tuple[str, ...] = ()):
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-emu-")
        args = [str(BIN / "discord-emulator"), "--port", "0", *extra_args]
        if scenario is not None:
            path = Path(self.tmp.name) / "scenario.json"
            path.write_text(json.dumps(scenario))
            args += ["--scenario", str(path)]
        self.stderr = open(Path(self.tmp.name) / "stderr.log", "wb")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.stderr, stdin=subprocess.DEVNULL)
        # A script that fails before its `finally` (a host that does not start) must not leave
        # the emulator running; stop() twice is harmless.
        atexit.register(self.stop)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("discord-emulator did not start: " + (Path(self.tmp.name) / "stderr.log").read_text())
        self.info = json.loads(line)

    def control(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.info["control"] + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def counters(self) -> dict:
        return self.control("GET", "/counters")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()
        self.tmp.cleanup()


def bot_yaml(info: dict, key: str, token: str, mode: str | None = None) -> str:
    """One Bots entry; mode "user": `token` is a user token that posts and listens."""
    text = f"  - Key: \"{key}\"\n"
    if mode == "user":
        text += f"    Sender_Mode: user\n    User_Token: \"{token}\"\n"
    else:
        text += f"    Discord_Bot_Token: \"{token}\"\n"
    return text + (
        f"    Server_id: \"{info['guild_id']}\"\n"
        f"    CreateChannel_Category: \"{info['category_id']}\"\n"
        f"    CozeBot_id: \"{info['coze_bot_user_id']}\"\n"
    )


def config_yaml(info: dict, store: Path, bots: list[str], extra: str = "", plugins: str = "") -> str:
    return ("Bots:\n" + "".join(bots)
            + f"Discord_API: \"{info['api']}\"\n"
            + f"Discord_Gateway: \"{info['gateway']}\"\n"
            + f"Store_path: \"{store}\"\n"
            + "Disable_ENV_Read: true\n" + extra + plugins)


def http_plugin_yaml(port: int, models=("coze",)) -> str:
    settings = {"Port": port, "Models": list(models), "LogLevel": "warning"}
    return ("Plugins:\n  - Name: http\n"
            f"    Path: {json.dumps(str(BIN / 'libcozebridge-http.so'))}\n"
            f"    Settings: {json.dumps(settings)}\n")


class Host:
    def __init__(self, workdir: Path, config_text: str, port: int | None, timeout: float = 60.0):
        self.workdir = workdir
        config = workdir / "Config.yml"
        config.write_text(config_text)
        self.log_path = workdir / "host.stderr"
        self.log = open(self.log_path, "wb")
        # BENCH_CORE_LIBRARY: another libcozebridge.so for the host (to compare a patched core).
        env = dict(os.environ, COZEBRIDGE_LIBRARY=os.environ.get("BENCH_CORE_LIBRARY", str(BIN / "libcozebridge.so")))
        self.proc = subprocess.Popen([str(BIN / "cozebridge-host"), "--config", str(config)],
                                     cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.log, env=env)
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        while "cozebridge is running" not in self.log_path.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("host did not start:\n" + self.log_path.read_text(errors="replace")[-4000:])
            time.sleep(0.05)
        if port:
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=2):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("http plugin not listening:\n" + self.log_path.read_text()[-4000:])
                    time.sleep(0.05)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


# The host's http plugin as the scripts configure it (key "bench"); `session` is an aiohttp one.

async def create_conversation(session, port: int, name: str) -> int:
    """`POST /api/CreateConversation` of `name`; the HTTP status."""
    async with session.post(f"http://127.0.0.1:{port}/api/CreateConversation", json={"name": name},
                            headers={"Authorization": "Bearer bench"}) as response:
        await response.read()
        return response.status


async def chat_turn(session, port: int, conversation: str, content: str) -> int:
    """One non-streamed `/v1/chat/completions` turn in `conversation`; the HTTP status."""
    body = {"model": "coze", "user": conversation, "messages": [{"role": "user", "content": content}]}
    async with session.post(f"http://127.0.0.1:{port}/v1/chat/completions", json=body,
                            headers={"Authorization": "Bearer bench"}) as response:
        await response.read()
        return response.status
