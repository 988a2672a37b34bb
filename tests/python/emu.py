"""Helpers for running the real discord.py against discord-emulator.

Nothing here changes discord.py beyond pointing it at loopback: Route.BASE and
DiscordWebSocket.DEFAULT_GATEWAY are set before Client.start(), exactly as
docs/emulator.md describes.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import os
import select
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional

import discord
import yarl

REPO_ROOT = Path(__file__).resolve().parents[2]

# Fast Coze so that the suite stays quick; everything else keeps the defaults
# (rate limits on, as a real Discord would have them).
FAST_SCENARIO = {"coze": {"start_delay_ms": 100, "edit_interval_ms": 100}}


# --------------------------------------------------------------------------
# The emulator process
# --------------------------------------------------------------------------


def find_emulator_binary() -> Path:
    """$DISCORD_EMULATOR_BIN, or `swift build --show-bin-path`/discord-emulator."""
    env = os.environ.get("DISCORD_EMULATOR_BIN")
    if env:
        return Path(env)
    try:
        out = subprocess.run(
            ["swift", "build", "--show-bin-path"],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        raise RuntimeError(f"cannot locate discord-emulator: `swift build --show-bin-path` failed: {e}") from e
    return Path(out) / "discord-emulator"


class Emulator:
    """A running discord-emulator subprocess and its ready-line info."""

    def __init__(self, binary: Path, scenario: Optional[dict] = None, ready_timeout: float = 60.0,
                 extra_args: tuple[str, ...] = ()):
        self.binary = binary
        self._tmp = tempfile.TemporaryDirectory(prefix="discord-emulator-")
        self.stderr_path = Path(self._tmp.name) / "stderr.log"
        self._stderr = open(self.stderr_path, "wb")
        args = [str(binary), "--port", "0"]
        if scenario is not None:
            scen_path = Path(self._tmp.name) / "scenario.json"
            scen_path.write_text(json.dumps(scenario))
            args += ["--scenario", str(scen_path)]
        args += extra_args
        self.args = args
        self.proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr,
        )
        self.extra_stdout: list[bytes] = []
        try:
            line = self._read_ready_line(ready_timeout)
            try:
                info = json.loads(line)
            except ValueError as e:
                raise RuntimeError(f"ready line is not JSON: {line!r} ({e})") from None
            if not isinstance(info, dict):
                raise RuntimeError(f"ready line is not a JSON object: {line!r}")
            missing = [k for k in REQUIRED_INFO_KEYS if k not in info]
            if missing:
                raise RuntimeError(f"ready line lacks keys {missing}: {line!r}")
            self.info: dict[str, Any] = info
        except Exception as e:
            self.stop()
            msg = (f"discord-emulator did not start properly ({' '.join(args)}): {e}\n"
                   f"--- emulator stderr ---\n{self.stderr_tail()}")
            self.cleanup()
            raise RuntimeError(msg) from None
        # Keep draining stdout so a chatty emulator can never block on a full pipe.
        threading.Thread(target=self._drain_stdout, daemon=True).start()

    def _read_ready_line(self, timeout: float) -> str:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        buf = b""
        deadline = time.monotonic() + timeout
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"no ready line on stdout within {timeout:.0f} s (got {buf!r})")
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if not ready:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"exited with status {self.proc.returncode} before its ready line (stdout {buf!r})")
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                self.proc.wait(timeout=5)
                raise RuntimeError(f"closed stdout before a full ready line (status {self.proc.returncode}, stdout {buf!r})")
            buf += chunk
        line, _, rest = buf.partition(b"\n")
        if rest.strip():
            self.extra_stdout.append(rest)
        return line.decode("utf-8", "replace")

    def _drain_stdout(self) -> None:
        assert self.proc.stdout is not None
        try:
            while True:
                chunk = self.proc.stdout.read1(65536)
                if not chunk:
                    return
                self.extra_stdout.append(chunk)
        except (OSError, ValueError):
            return

    def stderr_tail(self, limit: int = 6000) -> str:
        try:
            if not self._stderr.closed:
                self._stderr.flush()
            data = self.stderr_path.read_bytes()
        except (OSError, ValueError):
            return "(stderr unavailable)"
        text = data.decode("utf-8", "replace")
        if len(text) > limit:
            text = "...\n" + text[-limit:]
        return text or "(empty)"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> Optional[int]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        try:
            self._stderr.close()
        except OSError:
            pass
        return self.proc.returncode

    def cleanup(self) -> None:
        self._tmp.cleanup()


REQUIRED_INFO_KEYS = (
    "api", "gateway", "control", "guild_id", "category_id", "general_channel_id",
    "coze_bot_user_id", "bridge_bot_token", "bridge_bot_user_id", "user_token", "user_id",
    "spare_bot_token", "spare_bot_user_id",
)


def sid(value: Any) -> int:
    """A snowflake from the ready line (string or number) as an int."""
    return int(value)


# --------------------------------------------------------------------------
# Plain HTTP: control endpoint and raw REST (urllib, blocking)
# --------------------------------------------------------------------------


class HTTPFailure(AssertionError):
    pass


def _http(method: str, url: str, body: Any = None, headers: Optional[dict] = None, timeout: float = 15.0):
    data = None
    hdrs = {"User-Agent": "cozebridge-tests (urllib)"}
    if headers:
        hdrs.update(headers)
    if body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            status = resp.status
            ctype = resp.headers.get("Content-Type")
    except urllib.error.HTTPError as e:
        raw = e.read()
        raise HTTPFailure(f"{method} {url} -> HTTP {e.code}: {raw[:2000]!r}") from None
    except (urllib.error.URLError, OSError) as e:
        raise HTTPFailure(f"{method} {url} failed: {e}") from None
    if status == 204 or not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise HTTPFailure(f"{method} {url} -> HTTP {status} ({ctype}), body is not JSON: {raw[:2000]!r}") from None


def control(info: dict, method: str, path: str, body: Any = None) -> Any:
    """Call the emulator's control endpoint, e.g. control(info, "GET", "/counters")."""
    return _http(method, info["control"].rstrip("/") + path, body)


def rest(info: dict, method: str, path: str, token: str, body: Any = None) -> Any:
    """Plain REST call with a raw Authorization header (user tokens have no `Bot ` prefix)."""
    return _http(method, info["api"].rstrip("/") + path, body, headers={"Authorization": token})


# --------------------------------------------------------------------------
# discord.py client harness
# --------------------------------------------------------------------------


@dataclass
class Event:
    t: float
    name: str
    args: tuple
    snap: dict = field(default_factory=dict)


def snapshot_message(m: discord.Message) -> dict:
    """The parts of a Message the tests look at, frozen at dispatch time."""
    rows = []
    for row in m.components:
        children = getattr(row, "children", None)
        if children is None:
            rows.append({"type": type(row).__name__})
            continue
        rows.append({
            "type": type(row).__name__,
            "children": [
                {"type": type(c).__name__, "label": getattr(c, "label", None)} for c in children
            ],
        })
    return {
        "id": m.id,
        "channel_id": m.channel.id,
        "author_id": m.author.id,
        "content": m.content,
        "type": m.type,
        "reference_id": m.reference.message_id if m.reference else None,
        "components": rows,
        "attachments": [(a.id, a.filename, a.size) for a in m.attachments],
        "embeds": len(m.embeds),
    }


class RecordingClient(discord.Client):
    """discord.Client that records every dispatched event for the tests to await."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.events: list[Event] = []
        self.raw = collections.deque(maxlen=40)
        self._changed = asyncio.Event()
        self.start_task: Optional[asyncio.Task] = None
        self.log_problems: collections.deque = collections.deque(maxlen=10)

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        if event == "socket_raw_receive":
            self.raw.append(args[0] if args else None)
        elif event not in ("socket_event_type", "socket_raw_send"):
            snap: dict = {}
            try:
                if event == "message":
                    snap = snapshot_message(args[0])
                elif event == "message_edit":
                    snap = {"before": snapshot_message(args[0]), "after": snapshot_message(args[1])}
            except Exception as e:  # keep recording; the test will see the problem
                snap = {"error": repr(e)}
            self.events.append(Event(time.monotonic(), event, args, snap))
            self._changed.set()
        super().dispatch(event, *args, **kwargs)

    # -- diagnostics -------------------------------------------------------

    def diagnostics(self) -> str:
        names = collections.Counter(e.name for e in self.events)
        lines = [f"events so far: {dict(names)}"]
        if self.log_problems:
            lines.append("discord.py logged (last 3 warnings/errors):")
            for rec in list(self.log_problems)[-3:]:
                lines.append("  " + rec.replace("\n", "\n  ")[-1500:])
        lines.append("last gateway payloads received (newest last):")
        for raw in list(self.raw)[-12:]:
            s = raw if isinstance(raw, str) else repr(raw)
            lines.append("  " + (s if len(s) <= 700 else s[:700] + "...(truncated)"))
        return "\n".join(lines)

    def check_alive(self) -> None:
        """Raise if Client.start() has ended (discord.py choked on something)."""
        t = self.start_task
        if t is not None and t.done():
            exc = None if t.cancelled() else t.exception()
            raise AssertionError(
                f"discord.py's Client.start() ended early with {exc!r}\n{self.diagnostics()}"
            ) from exc

    # -- waiting -----------------------------------------------------------

    def mark(self) -> int:
        """A cursor: wait_event(..., since=mark) only looks at later events."""
        return len(self.events)

    def find(self, name: str, pred: Callable[..., bool] = lambda *a: True, since: int = 0) -> list[Event]:
        return [e for e in self.events[since:] if e.name == name and pred(*e.args)]

    async def wait_event(
        self,
        name: str,
        pred: Callable[..., bool] = lambda *a: True,
        *,
        timeout: float = 15.0,
        since: int = 0,
        what: str = "",
    ) -> Event:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for e in self.events[since:]:
                if e.name == name and pred(*e.args):
                    return e
            self.check_alive()
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(
                    f"timed out after {timeout:.1f} s waiting for discord.py event {name!r}"
                    f"{' (' + what + ')' if what else ''}\n{self.diagnostics()}"
                )
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(left, 0.5))
            except asyncio.TimeoutError:
                pass

    async def wait_until(self, cond: Callable[[], bool], *, timeout: float, what: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not cond():
            self.check_alive()
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout:.1f} s waiting for {what}\n{self.diagnostics()}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(left, 0.5))
            except asyncio.TimeoutError:
                pass


def point_discord_py_at(info: dict) -> None:
    discord.http.Route.BASE = info["api"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(info["gateway"])


def make_intents() -> discord.Intents:
    intents = discord.Intents.default()
    intents.message_content = True
    return intents


class _ProblemLog(logging.Handler):
    """Keeps discord.py's warnings and errors (with tracebacks) for failure messages."""

    def __init__(self, sink: collections.deque):
        super().__init__(level=logging.WARNING)
        self.sink = sink
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if "is not installed, voice will NOT be supported" in record.getMessage():
            return
        try:
            self.sink.append(self.format(record))
        except Exception:
            pass


async def _with_client(emu: Emulator, body: Callable[[RecordingClient], Awaitable[Any]], ready_timeout: float) -> Any:
    info = emu.info
    point_discord_py_at(info)
    client = RecordingClient(intents=make_intents(), guild_ready_timeout=0.1, enable_debug_events=True)
    handler = _ProblemLog(client.log_problems)
    logging.getLogger("discord").addHandler(handler)
    try:
        return await _drive(emu, client, body, ready_timeout)
    finally:
        logging.getLogger("discord").removeHandler(handler)


async def _drive(emu: Emulator, client: RecordingClient, body: Callable[[RecordingClient], Awaitable[Any]],
                 ready_timeout: float) -> Any:
    info = emu.info
    client.start_task = asyncio.create_task(client.start(info["spare_bot_token"]), name="discord.py Client.start")
    try:
        try:
            await client.wait_event("ready", timeout=ready_timeout, what="login + IDENTIFY + READY + GUILD_CREATE")
        except AssertionError as e:
            raise AssertionError(f"{e}\n--- emulator stderr ---\n{emu.stderr_tail()}") from e.__cause__
        result = await body(client)
        client.check_alive()
        return result
    finally:
        try:
            await asyncio.wait_for(client.close(), 10)
        except Exception:
            pass
        t = client.start_task
        if not t.done():
            t.cancel()
        try:
            await asyncio.wait_for(asyncio.shield(t), 10)
        except BaseException:
            pass


def run_client(emu: Emulator, body: Callable[[RecordingClient], Awaitable[Any]], *, ready_timeout: float = 20.0) -> Any:
    """Log the spare bot in with discord.py, wait for on_ready, run `await body(client)`, close."""
    if not emu.alive():
        raise AssertionError(f"discord-emulator is not running (status {emu.proc.returncode})\n{emu.stderr_tail()}")
    return asyncio.run(_with_client(emu, body, ready_timeout))


# --------------------------------------------------------------------------
# Shared by the suites that run the bridge (bindings, host, HTTP plugin)
# --------------------------------------------------------------------------


def running_emulator(scenario: Optional[dict]):
    """A pytest fixture body: a started emulator (failing the test clearly if it cannot start),
    stopped and cleaned up afterwards. Use as `yield from running_emulator(SCENARIO)`."""
    import pytest

    try:
        emu = Emulator(find_emulator_binary(), scenario=scenario,
                       ready_timeout=float(os.environ.get("EMULATOR_READY_TIMEOUT", "60")))
    except RuntimeError as e:
        pytest.fail(f"cannot start discord-emulator: {e}", pytrace=False)
    try:
        yield emu
    finally:
        emu.stop()
        emu.cleanup()


def bridge_config_yaml(info: dict, store: Path, key: str = "k", idle_timeout_ms: Optional[int] = 3000) -> str:
    """A Config.yml with one bot of access key `key` on the emulator of `info` (its ready line),
    the store at `store`, and the reply idle timeout `generate_timeout` (None: the default)."""
    return (
        "Bots:\n"
        f"  - Key: \"{key}\"\n"
        f"    Discord_Bot_Token: \"{info['bridge_bot_token']}\"\n"
        f"    Server_id: \"{info['guild_id']}\"\n"
        f"    CreateChannel_Category: \"{info['category_id']}\"\n"
        f"    CozeBot_id: \"{info['coze_bot_user_id']}\"\n"
        f"Discord_API: \"{info['api']}\"\n"
        f"Discord_Gateway: \"{info['gateway']}\"\n"
        f"Store_path: \"{store}\"\n"
        "Disable_ENV_Read: true\n"
        + (f"generate_timeout: {idle_timeout_ms}\n" if idle_timeout_ms is not None else "")
    )


def host_binary() -> Path:
    """The cozebridge host to test: $COZEBRIDGE_HOST_BIN (which must exist), else the build
    directory's `cozebridge-host`; skips the calling module when neither is built."""
    import pytest

    configured = os.environ.get("COZEBRIDGE_HOST_BIN")
    if configured:
        path = Path(configured)
        if not (path.is_file() and os.access(path, os.X_OK)):
            pytest.fail(f"COZEBRIDGE_HOST_BIN={path} is not an executable file", pytrace=False)
        return path
    try:
        out = subprocess.run(["swift", "build", "--show-bin-path"], cwd=REPO_ROOT, capture_output=True,
                             text=True, timeout=300, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        pytest.skip(f"cannot locate cozebridge-host: `swift build --show-bin-path` failed ({e})",
                    allow_module_level=True)
    path = Path(out) / "cozebridge-host"
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.skip(f"cozebridge-host not built (looked at {path}); build it with "
                    "`swift build --product cozebridge-host` or set COZEBRIDGE_HOST_BIN", allow_module_level=True)
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_plugin_path(host: Path) -> Path:
    """The http plugin to load: $COZEBRIDGE_HTTP_PLUGIN, else `libcozebridge-http.so` in
    $COZEBRIDGE_PLUGIN_DIR, else next to `host`; fails the test when it is not built."""
    import pytest

    env = os.environ.get("COZEBRIDGE_HTTP_PLUGIN")
    if env:
        path = Path(env)
    elif os.environ.get("COZEBRIDGE_PLUGIN_DIR"):
        path = Path(os.environ["COZEBRIDGE_PLUGIN_DIR"]) / "libcozebridge-http.so"
    else:
        path = host.parent / "libcozebridge-http.so"
    if not path.is_file():
        pytest.fail(f"the http plugin is not built at {path}; build it with `swift build --product cozebridge-http` "
                    "or set COZEBRIDGE_HTTP_PLUGIN", pytrace=False)
    return path


def stop_process(proc: subprocess.Popen, timeout: float = 30.0) -> int:
    """SIGTERM, then SIGKILL if `proc` has not exited within `timeout`; its exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    return proc.returncode


class HostSubprocess:
    """A cozebridge host on `config`, started in `workdir`; its log (stderr) goes to
    `workdir/log_name`. Subclasses add the readiness wait their test needs."""

    def __init__(self, host: Path, workdir: Path, config: Path, log_name: str = "host.stderr"):
        self.log_path = workdir / log_name
        self._log = open(self.log_path, "wb")
        self.args = [str(host), "--config", str(config)]
        self.proc = subprocess.Popen(self.args, cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self._log, env=dict(os.environ))

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def describe(self, limit: int = 12000) -> str:
        """The command, its status and the end of its log, for assertion messages."""
        text = self.log()
        if len(text) > limit:
            text = "...\n" + text[-limit:]
        return f"host {' '.join(self.args)} (status {self.proc.poll()})\n--- host log ---\n{text or '(empty)'}"

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._log.close()

    def stop(self) -> int:
        status = stop_process(self.proc)
        self._log.close()
        return status
