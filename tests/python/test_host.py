"""The plugin host (`cozebridge-host`, Sources/host) with C plugins, against the Discord emulator.

The host runs as a subprocess, as an operator would run it; every plugin here is plain C compiled
by this module (tests/plugins/*.c, the turnlog example in plugins-example/turnlog), so the tests
need no HTTP plugin: the `driver` test plugin runs turns through the host's function table and
writes what it got to a JSONL file. Expected answers come from coze_answers.py.

Binaries: $COZEBRIDGE_HOST_BIN (else `swift build --show-bin-path`/cozebridge-host; the module is
skipped when that does not exist), $COZEBRIDGE_LIBRARY (else the host finds libcozebridge itself),
$DISCORD_EMULATOR_BIN, $CC (else cc). $COZEBRIDGE_TURNLOG_PLUGIN names a turnlog built by make;
without it the test builds its own.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path
from typing import Optional

import pytest

import coze_answers as ca
from emu import bridge_config_yaml, free_port, host_binary, running_emulator

REPO_ROOT = Path(__file__).resolve().parents[2]
PLUGIN_SOURCES = REPO_ROOT / "tests" / "plugins"
TURNLOG_SOURCE = REPO_ROOT / "plugins-example" / "turnlog"
CHECK_PROCESS_LINKAGE = REPO_ROOT / "scripts" / "check-process-linkage"

KEY = "k"
SEED = 1
# Fast answers; `[scenario:slow]` prompts start answering after 3 s (the in-flight shutdown tests).
SCENARIO = {
    "coze": {"start_delay_ms": 50, "edit_interval_ms": 50, "slow_start_ms": 3000},
    "rate_limits": {"enabled": False},
}
START_TIMEOUT = 60.0


HOST = host_binary()

_names = itertools.count(1)


def conv_name(prefix: str) -> str:
    return f"host-{prefix}-{os.getpid()}-{next(_names)}"


def core_library() -> Optional[Path]:
    """The libcozebridge the host is told to use (None: the host looks next to itself)."""
    env = os.environ.get("COZEBRIDGE_LIBRARY")
    return Path(env) if env else None


def host_env(**overrides: str) -> dict:
    env = dict(os.environ)
    env.update(overrides)
    return env


# ---------------------------------------------------------------------------------------------
# Building the C plugins
# ---------------------------------------------------------------------------------------------


def _compile(source: Path, output: Path, extra: list[str] = ()) -> None:
    cc = os.environ.get("CC", "cc")
    if not shutil.which(cc):
        pytest.fail(f"no C compiler ({cc}) to build the test plugins; install gcc or set CC", pytrace=False)
    cmd = [cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared", "-pthread",
           "-I", str(REPO_ROOT / "include"), "-I", str(PLUGIN_SOURCES), *extra, "-o", str(output), str(source)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        pytest.fail(f"cannot build {source.name}: {' '.join(cmd)}\n{result.stdout}{result.stderr}", pytrace=False)


@pytest.fixture(scope="module")
def plugins(tmp_path_factory) -> dict[str, Path]:
    """name -> path of every test plugin, the turnlog example, and `notelf` (a text file named .so)."""
    out = tmp_path_factory.mktemp("plugins")
    built: dict[str, Path] = {}
    for source in sorted(PLUGIN_SOURCES.glob("*.c")):
        path = out / f"lib{source.stem}.so"
        _compile(source, path)
        built[source.stem] = path
    made = os.environ.get("COZEBRIDGE_TURNLOG_PLUGIN")
    if made:
        built["turnlog"] = Path(made)
        assert built["turnlog"].is_file(), f"COZEBRIDGE_TURNLOG_PLUGIN={made} does not exist"
    else:
        built["turnlog"] = out / "libcozebridge-turnlog.so"
        _compile(TURNLOG_SOURCE / "turnlog.c", built["turnlog"],
                 [f"-Wl,--version-script={TURNLOG_SOURCE / 'exports.map'}"])
    notelf = out / "libnotelf.so"
    notelf.write_text("This is a text file, not a shared object.\n")
    built["notelf"] = notelf
    return built


# ---------------------------------------------------------------------------------------------
# The emulator, Config.yml, the host process
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emulator():
    yield from running_emulator(SCENARIO)


def plugin_entry(name: str, path: Optional[Path] = None, settings: Optional[dict] = None) -> str:
    """One `Plugins:` item; settings are written as a JSON flow mapping (JSON is YAML)."""
    lines = [f"  - Name: {name}"]
    if path is not None:
        lines.append(f"    Path: {json.dumps(str(path))}")
    if settings is not None:
        lines.append(f"    Settings: {json.dumps(settings)}")
    return "\n".join(lines) + "\n"


def write_config(directory: Path, info: dict, store: Path, plugin_entries: list[str], extra: str = "") -> Path:
    text = bridge_config_yaml(info, store, KEY, idle_timeout_ms=None) + extra
    if plugin_entries:
        text += "Plugins:\n" + "".join(plugin_entries)
    path = directory / "Config.yml"
    path.write_text(text)
    return path


class Host:
    """A cozebridge-host subprocess; stderr (its log) goes to a file the test reads."""

    def __init__(self, workdir: Path, args: list[str], env: Optional[dict] = None):
        self.workdir = workdir
        self.stderr_path = workdir / f"host-{next(_names)}.stderr"
        self._stderr = open(self.stderr_path, "wb")
        environment = env if env is not None else host_env()
        if core_library() is not None and "COZEBRIDGE_LIBRARY" not in (env or {}):
            environment["COZEBRIDGE_LIBRARY"] = str(core_library())
        self.args = [str(HOST), *args]
        self.proc = subprocess.Popen(self.args, cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self._stderr, env=environment)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def describe(self) -> str:
        status = self.proc.poll()
        log = self.log()
        if len(log) > 12000:
            log = "...\n" + log[-12000:]
        return f"host {' '.join(self.args)} (status {status})\n--- host stderr ---\n{log or '(empty)'}"

    def wait_log(self, pattern: str, timeout: float = START_TIMEOUT) -> re.Match:
        deadline = time.monotonic() + timeout
        while True:
            match = re.search(pattern, self.log(), re.MULTILINE)
            if match:
                return match
            if self.proc.poll() is not None:
                raise AssertionError(f"the host exited before logging /{pattern}/\n{self.describe()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no /{pattern}/ in the host's log within {timeout:.0f} s\n{self.describe()}")
            time.sleep(0.05)

    def wait_running(self) -> None:
        self.wait_log(r"cozebridge is running")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> tuple[int, float]:
        """Sends `sig`; returns the exit status and how long the host took to exit."""
        started = time.monotonic()
        self.proc.send_signal(sig)
        try:
            status = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the host did not exit within {timeout:.0f} s of signal {sig}\n{self.describe()}"
                                 f"\n{self.stacks()}")
        return status, time.monotonic() - started

    def stacks(self) -> str:
        """Every thread's stack of a stuck host (with gdb, when installed), for the failure message."""
        gdb = shutil.which("gdb")
        if not gdb or self.proc.poll() is not None:
            return "(no thread stacks: gdb not installed)" if not gdb else ""
        try:
            out = subprocess.run([gdb, "-p", str(self.pid), "-batch", "-ex", "thread apply all bt 25"],
                                 capture_output=True, text=True, timeout=60).stdout
        except (OSError, subprocess.SubprocessError) as e:
            return f"(no thread stacks: {e})"
        frames = [line for line in out.splitlines() if line.startswith(("Thread ", "#"))]
        return "--- thread stacks (gdb) ---\n" + "\n".join(frames)[-20000:]

    def wait_exit(self, timeout: float = 60.0) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the host did not exit within {timeout:.0f} s\n{self.describe()}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._stderr.close()


@pytest.fixture
def hosts():
    """Hosts started by a test; any still running at its end are killed."""
    started: list[Host] = []
    yield started
    for host in started:
        host.kill()


def start_host(hosts: list, workdir: Path, args: list[str], env: Optional[dict] = None) -> Host:
    host = Host(workdir, args, env)
    hosts.append(host)
    return host


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        if line.strip():
            records.append(json.loads(line))
    return records


def wait_records(path: Path, host: Host, predicate, what: str, timeout: float = 60.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        records = read_jsonl(path)
        if predicate(records):
            return records
        if host.proc.poll() is not None:
            raise AssertionError(f"the host exited before {what}; {path.name}: {records}\n{host.describe()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; {path.name}: {records}\n"
                                 f"{host.describe()}")
        time.sleep(0.05)


def driver_done(path: Path, host: Host, timeout: float = 60.0) -> list[dict]:
    records = wait_records(path, host, lambda rs: any(r.get("event") in ("done", "stopped") for r in rs),
                           "the driver plugin's last turn", timeout)
    return [r for r in records if r.get("event") == "turn"]


def turn(mode: str, conversation: str, prompt: str, key: str = KEY, **extra) -> dict:
    spec = {"Mode": mode, "Key": key, "Conversation": conversation, "Prompt": prompt}
    spec.update(extra)
    return spec


def expected(prompt: str, previous: Optional[str] = None) -> str:
    return ca.answer(prompt, previous, SEED)


def assert_exits_zero(host: Host, sig: int = signal.SIGTERM, timeout: float = 30.0) -> float:
    status, took = host.stop(sig, timeout)
    assert status == 0, f"exit status {status} after signal {sig}\n{host.describe()}"
    return took


# ---------------------------------------------------------------------------------------------
# Refused plugins: each named with its file and reason; the good plugin keeps working
# ---------------------------------------------------------------------------------------------

# case -> (how it is loaded, patterns the refusal's reason must contain)
REFUSALS = {
    "badabi": ("--plugin", [r"\bABI\b", r"99"]),
    "newerminor": ("--plugin", [r"\bABI\b", r"1\.99", r"newer"]),
    "failinit": ("--plugin", [r"init", r"deliberate failure"]),
    "dup": ("--plugin", [r'"?driver"?', r"already loaded"]),
    "noentry": ("--plugin", [r"coze_plugin_entry_v1"]),
    "nulldesc": ("--plugin", [r"no descriptor"]),
    "shortdesc": ("--plugin", [r"struct_size"]),
    "notelf": ("--plugin", [r"not a loadable shared object|ELF"]),
    "missing": ("--plugin", [r"no such file"]),
    "turnlog-without-path": ("config", [r"Settings\.Path is required"]),
    "unknown-name": ("config", [r"no file for it"]),
}


@pytest.fixture(scope="module")
def refusal_run(emulator, plugins, tmp_path_factory):
    """One host run with every bad plugin and the driver; returns (host log, paths, driver turns, exit)."""
    workdir = tmp_path_factory.mktemp("refusals")
    results = workdir / "driver.jsonl"
    conversation = conv_name("refusals")
    first = "Which plugins were refused today?"
    entries = [
        plugin_entry("driver", plugins["driver"], {"Results": str(results), "Turns": [
            turn("send", conversation, first),
            turn("stream", conversation, ca.MEMORY_QUESTION),
        ]}),
        plugin_entry("turnlog", plugins["turnlog"], {}),
        plugin_entry("nosuchplugin"),
    ]
    config = write_config(workdir, emulator.info, workdir / "store.sqlite", entries)
    paths = {
        "badabi": plugins["badabi"], "newerminor": plugins["newerminor"], "failinit": plugins["failinit"],
        "dup": plugins["dup"], "noentry": plugins["noentry"], "nulldesc": plugins["nulldesc"],
        "shortdesc": plugins["shortdesc"], "notelf": plugins["notelf"], "missing": workdir / "libmissing.so",
        "turnlog-without-path": plugins["turnlog"], "unknown-name": "nosuchplugin",
    }
    args = ["--config", str(config), "--plugin-dir", str(workdir)]
    for case, (how, _) in REFUSALS.items():
        if how == "--plugin":
            args += ["--plugin", str(paths[case])]
    host = Host(workdir, args)
    try:
        host.wait_running()
        turns = driver_done(results, host)
        time.sleep(0.2)
        status, _ = host.stop(signal.SIGTERM)
        log = host.log()
    finally:
        host.kill()
    return {"log": log, "paths": paths, "turns": turns, "status": status, "first": first,
            "conversation": conversation, "describe": host.describe()}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refused_plugin_is_named_with_its_reason(refusal_run, case):
    log = refusal_run["log"]
    target = str(refusal_run["paths"][case])
    lines = [line for line in log.splitlines() if "refused" in line and target in line]
    assert lines, f"no refusal line names {target}\n{refusal_run['describe']}"
    assert len(lines) == 1, f"{target} refused more than once: {lines}"
    line = lines[0]
    assert re.search(r"\berror\b|\bcritical\b", line), f"a refusal is logged as an error: {line}"
    reason = line.split("refused", 1)[1]
    for pattern in REFUSALS[case][1]:
        assert re.search(pattern, reason), f"the reason of {case} lacks /{pattern}/: {line}"


def test_good_plugin_keeps_working_next_to_refused_ones(refusal_run):
    log = refusal_run["log"]
    running = re.search(r"plugins=(\S*).*cozebridge is running", log)
    assert running, refusal_run["describe"]
    assert running.group(1).split(",") == ["driver"], f"only the driver is loaded: {running.group(0)}"
    turns = refusal_run["turns"]
    assert [t["mode"] for t in turns] == ["send", "stream"], turns
    first = refusal_run["first"]
    assert turns[0]["status"] == 0 and turns[0]["answer"] == expected(first), turns[0]
    assert turns[1]["status"] == 0, turns[1]
    assert turns[1]["answer"] == ca.memory_answer(first), turns[1]
    assert turns[1]["deltas"] == turns[1]["answer"], "the deltas add up to the answer"
    # A refused plugin is never shut down (failinit and the never-initialised ones abort if it is).
    assert refusal_run["status"] == 0, refusal_run["describe"]
    assert "must refuse this plugin" not in log and "shutdown called" not in log


# ---------------------------------------------------------------------------------------------
# turnlog: one line per completed turn
# ---------------------------------------------------------------------------------------------

_LOGFMT = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def parse_turnlog_line(line: str, fmt: str) -> dict:
    if fmt == "jsonl":
        return json.loads(line)
    fields = {}
    for name, value in _LOGFMT.findall(line):
        fields[name] = json.loads(value) if value.startswith('"') else value
    # The same names as the jsonl format.
    return {
        "time": fields.get("time"), "access_key": fields.get("key"), "conversation": fields.get("conversation"),
        "prompt": fields.get("prompt"), "status": int(fields["code"]), "status_name": fields.get("status"),
        "answer": fields.get("answer"), "error": fields.get("error"), "duration_ms": int(fields["duration_ms"]),
    }


def test_turnlog_alone_refusals_threads_and_late_calls(plugins, tmp_path):
    """turnlog under a fake host table (tests/plugins/harness): init's refusals, 8 threads calling
    the observer at once (whole lines, nothing lost), escaping, and an observer call after shutdown."""
    harness = tmp_path / "turnlog_harness"
    cc = os.environ.get("CC", "cc")
    build = subprocess.run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-pthread", "-I", str(REPO_ROOT / "include"),
                            "-o", str(harness), str(PLUGIN_SOURCES / "harness" / "turnlog_harness.c"), "-ldl"],
                           capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stdout + build.stderr
    run = subprocess.run([str(harness), str(plugins["turnlog"]), str(tmp_path)], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stdout + run.stderr
    prompt = 'say "hi"\\ \ttab\nnewline \x01 ctrl \u2028 ls \x85 nel \u00fc \u2713'
    answer = 'line one\nline two "quoted" \U0001F600'
    for fmt, name in (("jsonl", "turns.jsonl"), ("text", "turns.txt")):
        raw = (tmp_path / name).read_bytes().decode("utf-8")
        lines = raw.split("\n")
        assert lines[-1] == "", "the file ends with a complete line"
        records = [parse_turnlog_line(line, fmt) for line in lines[:-1]]
        assert len(records) == 8 * 200, f"{fmt}: {len(records)} lines"
        assert sorted(r["conversation"] for r in records) == sorted(f"t{t}-{i}" for t in range(8) for i in range(200))
        for r in records:
            i = int(r["conversation"].split("-")[1])
            assert r["prompt"] == prompt and r["access_key"] == "k" and r["duration_ms"] == i, r
            if i % 5 == 0:
                assert (r["status"], r["status_name"], r["answer"], r["error"]) == \
                    (3, "COZE_ENOKEY", None, "No bot has this key."), r
            else:
                assert (r["status"], r["status_name"], r["answer"], r["error"]) == (0, "COZE_OK", answer, None), r
        assert "after-shutdown" not in raw


@pytest.mark.parametrize("fmt", ["text", "jsonl"])
def test_turnlog_writes_one_line_per_completed_turn(emulator, plugins, tmp_path, hosts, fmt):
    logfile = tmp_path / "turns.log"
    results = tmp_path / "driver.jsonl"
    a, b = conv_name("log-a"), conv_name("log-b")
    first = f'Plan "the garden" for me\twith tabs, quotes and a newline\nand ünïcödé ✓ ({fmt})'
    second = f"How do I keep a morning routine? ({fmt})"
    turns = [
        turn("send", a, first),
        turn("stream", a, ca.MEMORY_QUESTION),
        turn("stream", b, second),
        turn("exists", b, ""),  # not a turn: no line
        turn("send", b, "Nobody has this key", key="no-such-key"),
        turn("stream", a, "Nobody has this key either", key="no-such-key"),
    ]
    settings = {"Path": str(logfile)}
    if fmt != "text":
        settings["Format"] = fmt
    config = write_config(tmp_path, emulator.info, tmp_path / "store.sqlite", [
        plugin_entry("turnlog", plugins["turnlog"], settings),
        plugin_entry("driver", plugins["driver"], {"Results": str(results), "Turns": turns}),
    ])
    host = start_host(hosts, tmp_path, ["--config", str(config)])
    host.wait_running()
    done = driver_done(results, host)
    assert len(done) == len(turns), done
    # Observers run on a host thread after the callers got their answers: wait for the 5th line.
    # Each line is flushed as it is written: all five are in the file while the host still runs.
    deadline = time.monotonic() + 15
    while len(logfile.read_text().splitlines()) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    visible = logfile.read_text()
    assert len(visible.splitlines()) == 5, f"lines written before shutdown:\n{visible}\n{host.describe()}"
    assert_exits_zero(host)

    raw = logfile.read_text()
    assert raw.endswith("\n"), "every line is complete"
    lines = raw.splitlines()
    records = [parse_turnlog_line(line, fmt) for line in lines]
    want = [
        (KEY, a, first, 0, expected(first), None),
        (KEY, a, ca.MEMORY_QUESTION, 0, ca.memory_answer(first), None),
        (KEY, b, second, 0, expected(second), None),
        ("no-such-key", b, "Nobody has this key", 3, None, "no-such-key"),
        ("no-such-key", a, "Nobody has this key either", 3, None, "no-such-key"),
    ]
    assert len(records) == len(want), f"one line per completed turn, got {len(lines)}:\n{raw}"
    for record, (key, conversation, prompt, status, answer, error_mentions) in zip(records, want):
        assert record["access_key"] == key, record
        assert record["conversation"] == conversation, record
        assert record["prompt"] == prompt, record
        assert record["status"] == status, record
        assert record["duration_ms"] >= 0, record
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["time"]), record
        if status == 0:
            assert record["status_name"] == "COZE_OK", record
            assert record["answer"] == answer, record
            assert record["error"] is None, record
        else:
            assert record["status_name"] == "COZE_ENOKEY", record
            assert record["answer"] is None, record
            assert error_mentions in record["error"], record
    # What the driver itself got is what turnlog recorded.
    for record, got in zip(records, [t for t in done if t["mode"] != "exists"]):
        assert record["answer"] == got["answer"], (record, got)
    assert "turnlog: appending completed turns to" in host.log()


def test_turnlog_refuses_a_bad_format(emulator, plugins, tmp_path, hosts):
    config = write_config(tmp_path, emulator.info, tmp_path / "store.sqlite", [
        plugin_entry("turnlog", plugins["turnlog"], {"Path": str(tmp_path / "t.log"), "Format": "xml"}),
    ])
    host = start_host(hosts, tmp_path, ["--config", str(config)])
    host.wait_running()
    line = host.wait_log(r"^.*refused.*$").group(0)
    assert str(plugins["turnlog"]) in line and 'Settings.Format must be "text" or "jsonl", not "xml"' in line, line
    assert_exits_zero(host)


# ---------------------------------------------------------------------------------------------
# SIGTERM / SIGINT: turns in flight finish, the host exits 0
# ---------------------------------------------------------------------------------------------


def stored_turns(store: Path, conversation: str) -> list[tuple]:
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        return db.execute(
            "SELECT t.prompt, t.answer, t.outcome FROM turns t JOIN conversations c ON c.id = t.conversation_id"
            " WHERE c.name = ? AND c.access_key = ? ORDER BY t.sequence", (conversation, KEY)).fetchall()
    finally:
        db.close()


def test_sigterm_waits_for_the_turn_in_flight_then_sigint_after_restart(emulator, plugins, tmp_path, hosts):
    store = tmp_path / "store.sqlite"
    results = tmp_path / "driver.jsonl"
    conversation = conv_name("sigterm")
    # The slow scenario answers 3 s after the prompt; the driver cancels its stream at shutdown,
    # so only the host's own wait keeps the turn alive until its answer is stored.
    prompt = "[scenario:slow] Remember this across the restart, please."
    config = write_config(tmp_path, emulator.info, store, [
        plugin_entry("driver", plugins["driver"], {
            "Results": str(results), "OnShutdown": "cancel", "Turns": [turn("stream", conversation, prompt)]}),
    ])
    host = start_host(hosts, tmp_path, ["--config", str(config), "--shutdown-timeout", "20"])
    host.wait_running()
    wait_records(results, host, lambda rs: any(r.get("event") == "start" for r in rs), "the turn to start")
    time.sleep(1.0)  # the prompt is on Discord; the answer is ~2 s away
    took = assert_exits_zero(host, signal.SIGTERM, timeout=30)
    assert took < 25, f"took {took:.1f} s"
    turns = [r for r in read_jsonl(results) if r.get("event") == "turn"]
    assert len(turns) == 1 and turns[0]["status"] == 14, turns  # COZE_ECANCELLED: the plugin gave up its stream
    stored = stored_turns(store, conversation)
    assert stored == [(prompt, expected(prompt), "done")], \
        f"the turn in flight at SIGTERM is stored with its answer: {stored}\n{host.describe()}"

    # Restart on the same store: the conversation is there and Coze remembers the prompt.
    results2 = tmp_path / "driver2.jsonl"
    config = write_config(tmp_path, emulator.info, store, [
        plugin_entry("driver", plugins["driver"], {"Results": str(results2), "Turns": [
            turn("exists", conversation, ""),
            turn("send", conversation, ca.MEMORY_QUESTION),
        ]}),
    ])
    host = start_host(hosts, tmp_path, ["--config", str(config)])
    host.wait_running()
    turns = driver_done(results2, host)
    assert turns[0]["status"] == 0 and turns[0]["exists"] == 1, turns
    assert turns[1]["status"] == 0 and turns[1]["answer"] == ca.memory_answer(prompt), turns
    assert_exits_zero(host, signal.SIGINT)
    assert [row[0] for row in stored_turns(store, conversation)] == [prompt, ca.MEMORY_QUESTION]


def test_shutdown_deadline_stops_a_turn_that_never_ends(emulator, plugins, tmp_path, hosts):
    results = tmp_path / "driver.jsonl"
    conversation = conv_name("deadline")
    config = write_config(tmp_path, emulator.info, tmp_path / "store.sqlite", [
        plugin_entry("driver", plugins["driver"], {
            "Results": str(results), "OnShutdown": "cancel",
            "Turns": [turn("stream", conversation, "[scenario:silent] Nobody will answer this.")]}),
    ])
    host = start_host(hosts, tmp_path, ["--config", str(config), "--shutdown-timeout", "1"])
    host.wait_running()
    wait_records(results, host, lambda rs: any(r.get("event") == "start" for r in rs), "the turn to start")
    time.sleep(0.5)
    took = assert_exits_zero(host, signal.SIGTERM, timeout=20)
    assert 0.8 <= took < 10, f"the 1 s shutdown deadline held the host {took:.1f} s\n{host.describe()}"


def test_sigint_exits_zero(emulator, plugins, tmp_path, hosts):
    """SIGINT right after "cozebridge is running": the host must already be listening for it."""
    logfile = tmp_path / "turns.log"
    config = write_config(tmp_path, emulator.info, tmp_path / "store.sqlite", [
        plugin_entry("turnlog", plugins["turnlog"], {"Path": str(logfile)}),
    ])
    host = start_host(hosts, tmp_path, ["--config", str(config)])
    host.wait_running()
    assert_exits_zero(host, signal.SIGINT)
    assert logfile.exists() and logfile.read_text() == "", "turnlog created its file and wrote no turn"


# ---------------------------------------------------------------------------------------------
# Start-up failures
# ---------------------------------------------------------------------------------------------


def test_broken_config_exits_78_naming_line_column_and_key(emulator, tmp_path, hosts):
    config = write_config(tmp_path, emulator.info, tmp_path / "store.sqlite", [], extra="APIPort: abc\n")
    line = config.read_text().splitlines().index("APIPort: abc") + 1
    host = start_host(hosts, tmp_path, ["--config", str(config)])
    status = host.wait_exit(60)
    assert status == 78, f"EX_CONFIG expected\n{host.describe()}"
    log = host.log()
    assert re.search(rf"Config\.yml:{line}:10\b.*APIPort", log), f"file:line:col and the key\n{host.describe()}"
    assert "cozebridge is running" not in log


def test_missing_core_library_is_a_clear_error(emulator, tmp_path, hosts):
    config = write_config(tmp_path, emulator.info, tmp_path / "store.sqlite", [])
    nowhere = tmp_path / "nowhere" / "libcozebridge.so.1"
    host = start_host(hosts, tmp_path, ["--config", str(config)],
                      env=host_env(COZEBRIDGE_LIBRARY=str(nowhere)))
    status = host.wait_exit(60)
    assert status != 0, host.describe()
    log = host.log()
    assert re.search(r"cannot load libcozebridge", log, re.IGNORECASE), host.describe()
    assert str(nowhere) in log, f"the message names the path it tried\n{host.describe()}"
    assert "COZEBRIDGE_LIBRARY" in log, f"and how to point at the library\n{host.describe()}"
    assert "cozebridge is running" not in log


# ---------------------------------------------------------------------------------------------
# Linkage: one CozeCore in a host process with every plugin loaded
# ---------------------------------------------------------------------------------------------


def mapped_files(pid: int) -> set[str]:
    paths = set()
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        parts = line.split(None, 5)
        if len(parts) == 6 and parts[5].startswith("/"):
            paths.add(parts[5])
    return paths


def test_one_copy_of_cozecore_in_the_host_process(emulator, plugins, tmp_path, hosts):
    """turnlog, driver and (when built) the HTTP plugin in one host: CozeCore only in libcozebridge."""
    results = tmp_path / "driver.jsonl"
    logfile = tmp_path / "turns.log"
    conversation = conv_name("linkage")
    entries = [
        plugin_entry("turnlog", plugins["turnlog"], {"Path": str(logfile), "Format": "jsonl"}),
        plugin_entry("driver", plugins["driver"], {
            "Results": str(results), "Turns": [turn("send", conversation, "Is the core loaded once?")]}),
    ]
    plugin_dir = os.environ.get("COZEBRIDGE_PLUGIN_DIR")
    http = (Path(plugin_dir) if plugin_dir else HOST.parent) / "libcozebridge-http.so"
    # Under `make test` the staged HTTP plugin must be in the process too.
    assert http.is_file() or not plugin_dir, f"{http} missing"
    port = free_port()
    if http.is_file():
        entries.append(plugin_entry("http", http, {"Port": port, "Models": ["coze"]}))
    config = write_config(tmp_path, emulator.info, tmp_path / "store.sqlite", entries)
    host = start_host(hosts, tmp_path, ["--config", str(config)])
    host.wait_running()
    loaded = host.wait_log(r"plugins=(\S*).*cozebridge is running").group(1).split(",")
    assert loaded == ["turnlog", "driver"] + (["http"] if http.is_file() else []), host.describe()
    turns = driver_done(results, host)
    assert turns[0]["answer"] == expected("Is the core loaded once?"), turns

    if http.is_file():
        # A turn of the Swift plugin reaches the C plugin's observer: both use the one core.
        http_conversation = conv_name("linkage-http")
        prompt = "Which plugin answered this one?"
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/chat/completions", method="POST",
            data=json.dumps({"model": "coze", "messages": [{"role": "user", "content": prompt}]}).encode(),
            headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json",
                     "X-Conversation-Id": http_conversation})
        with urllib.request.urlopen(request, timeout=60) as response:
            content = json.loads(response.read())["choices"][0]["message"]["content"]
        assert content == expected(prompt)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            logged = [json.loads(line) for line in logfile.read_text().splitlines()]
            if any(r["conversation"] == http_conversation for r in logged):
                break
            time.sleep(0.05)
        mine = [r for r in logged if r["conversation"] == http_conversation]
        assert len(mine) == 1 and mine[0]["status"] == 0 and mine[0]["answer"] == content, logged

    mapped = mapped_files(host.pid)
    for path in [plugins["turnlog"], plugins["driver"]] + ([http] if http.is_file() else []):
        assert str(path.resolve()) in mapped, f"{path} is mapped in the host"
    assert any(re.search(r"/libcozebridge\.so(\.\d+)*$", p) for p in mapped), sorted(mapped)

    check = subprocess.run([str(CHECK_PROCESS_LINKAGE), str(host.pid)], capture_output=True, text=True, timeout=300)
    report = check.stdout + check.stderr
    assert check.returncode == 0, f"check-process-linkage failed:\n{report}\n{host.describe()}"
    for path in [plugins["turnlog"], plugins["driver"]] + ([http] if http.is_file() else []):
        assert str(path.resolve()) in report, f"{path} is among the images checked:\n{report}"
    assert re.search(r"CozeCore only in libcozebridge\.so", report), report
    print(report)
    assert_exits_zero(host)


def test_check_process_linkage_catches_a_second_copy(tmp_path):
    """The checker is not vacuous: a process with two libcozebridge copies fails it."""
    library = core_library() or (HOST.parent / "libcozebridge.so")
    if not library.is_file():
        pytest.skip(f"no libcozebridge at {library} (set COZEBRIDGE_LIBRARY)")
    copy = tmp_path / "copy" / "libcozebridge.so.1"
    copy.parent.mkdir()
    shutil.copyfile(library, copy)
    code = ("import ctypes, sys, time\n"
            f"ctypes.CDLL({str(library)!r}); ctypes.CDLL({str(copy)!r})\n"
            "print('loaded', flush=True)\n"
            "time.sleep(120)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "loaded"
        check = subprocess.run([str(CHECK_PROCESS_LINKAGE), str(proc.pid)], capture_output=True, text=True,
                               timeout=300)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "CozeCore is in 2 images" in check.stderr and str(copy) in check.stderr, check.stderr
