"""Crash safety of the conversation store: `kill -9` of the host at random moments under load.

The host (`cozebridge-host` with the HTTP plugin) runs against the Discord emulator on one store
file. Worker threads drive load through the plugin: conversation creations (`/api/CreateConversation`),
non-streamed and streamed `/v1/chat/completions` turns and the seed's `/api/Chat`, all with explicit
conversation names. The main thread SIGKILLs the host after a seeded random time, then, before
restarting it on the same file:

- `PRAGMA integrity_check` (Python's sqlite3, read-only) is `ok`;
- every conversation whose creation the client saw acknowledged exists, on the same channel;
- every turn whose complete answer the client received is stored once, as done, with that answer;
- nothing is duplicated or invented: each prompt (all are unique) is stored at most once and only
  if it was sent, turn sequences and completed indexes have no gaps, the per-conversation counters
  match the rows, no two conversations share a channel.

The restarted host must start cleanly on the file and list every acknowledged conversation with its
channel; after the last round, new turns in old conversations must get the emulator's exact answers
(coze_answers.py). The same checks are finally run on sabotaged copies of the store (a turn deleted,
a conversation deleted, a turn duplicated) to show they catch what they look for.

Binaries: as test_http_plugin.py ($COZEBRIDGE_HOST_BIN, $COZEBRIDGE_HTTP_PLUGIN or
$COZEBRIDGE_PLUGIN_DIR, $COZEBRIDGE_LIBRARY, $DISCORD_EMULATOR_BIN). $CRASH_SEED and $CRASH_ROUNDS
change the seed of the kill schedule and the number of kills under load.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import sqlite3
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pytest

import coze_answers as ca
from emu import (HostSubprocess, bridge_config_yaml, free_port, host_binary, http_plugin_path, rest,
                 running_emulator)

KEY = "k"
SEED = 1
MODEL = "coze"
# Fast answers in a few edits, so that a kill finds turns at every stage; no rate limits, so that
# the load is bounded by the bridge rather than by Discord's windows.
SCENARIO = {
    "seed": SEED,
    "coze": {"start_delay_ms": 40, "edit_interval_ms": 40, "chunks": 3},
    "rate_limits": {"enabled": False},
}
RNG_SEED = int(os.environ.get("CRASH_SEED", "20261125"))
ROUNDS = int(os.environ.get("CRASH_ROUNDS", "8"))
WORKERS = 8
# Well below ChannelCap_maxChannels (450): eviction would delete acknowledged conversations.
MAX_CONVERSATIONS = 200
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0
TOPICS = ["lighthouses", "tea", "bridges", "bees", "clocks", "maps", "kites", "glaciers"]

HOST = host_binary()


# ---------------------------------------------------------------------------------------------
# What the client was told
# ---------------------------------------------------------------------------------------------


@dataclass
class Ledger:
    """Acknowledgements the clients received, and every prompt they sent. Thread-safe."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    # name -> channel id (None until a listing told us, for conversations created by a chat turn)
    conversations: dict = field(default_factory=dict)
    # prompt -> (conversation name, answer text the client received)
    turns: dict = field(default_factory=dict)
    sent: set = field(default_factory=set)
    problems: list = field(default_factory=list)
    counts: dict = field(default_factory=lambda: {"created": 0, "turns": 0, "streamed": 0, "failed_requests": 0})
    acks: int = 0
    ack_signal: threading.Condition = field(default=None)

    def __post_init__(self) -> None:
        self.ack_signal = threading.Condition(self.lock)

    def _acked(self) -> None:
        # Called with the lock held.
        self.acks += 1
        self.ack_signal.notify_all()

    def wait_acks(self, count: int, timeout: float) -> bool:
        """Until `count` acknowledgements in all have been received (False on timeout)."""
        with self.ack_signal:
            return self.ack_signal.wait_for(lambda: self.acks >= count, timeout)

    def names(self) -> list:
        with self.lock:
            return sorted(self.conversations)

    def conversation_acknowledged(self, name: str, channel: Optional[str]) -> None:
        with self.lock:
            known = self.conversations.get(name)
            if known is not None and channel is not None and known != channel:
                self.problems.append(f"conversation {name!r} answered channel {channel} after {known}")
            if known is None:
                self.conversations[name] = channel
            self._acked()

    def turn_acknowledged(self, name: str, prompt: str, answer: str, streamed: bool) -> None:
        want = ca.answer(prompt, None, SEED)
        with self.lock:
            if answer != want:
                self.problems.append(f"turn {prompt!r} in {name!r} answered {answer[:200]!r}, want {want[:200]!r}")
            self.turns[prompt] = (name, answer)
            self.conversations.setdefault(name, None)
            self.counts["streamed" if streamed else "turns"] += 1
            self._acked()


# ---------------------------------------------------------------------------------------------
# The host
# ---------------------------------------------------------------------------------------------


class HostProcess(HostSubprocess):
    """The host on the test's store, reached on `port` (0: no plugin port to wait for)."""

    def __init__(self, workdir: Path, config: Path, port: int, tag: str):
        super().__init__(HOST, workdir, config, f"host-{tag}.stderr")
        self.port = port

    def wait_ready(self) -> float:
        """Until the plugin answers `/health?ready=1` with 200 (a bot is connected); returns the time taken."""
        started = time.monotonic()
        deadline = started + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"the host exited while starting on the store\n{self.describe()}")
            try:
                status, _, _ = request(self.port, "GET", "/health?ready=1", timeout=5)
                if status == 200:
                    return time.monotonic() - started
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the host was not ready within {START_TIMEOUT:.0f} s\n{self.describe()}")
            time.sleep(0.05)


def write_config(workdir: Path, info: dict, store: Path, port: int) -> Path:
    settings = {"Port": port, "Models": [MODEL], "LogLevel": "warning"}
    text = bridge_config_yaml(info, store, KEY) + textwrap.dedent(f"""\
        Plugins:
          - Name: http
            Path: {json.dumps(str(http_plugin_path(HOST)))}
            Settings: {json.dumps(settings)}
        """)
    path = workdir / "Config.yml"
    path.write_text(text)
    return path


def request(port: int, method: str, path: str, body=None, headers=None, timeout: float = REQUEST_TIMEOUT):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        hdrs = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        hdrs.update(headers or {})
        connection.request(method, path, body=json.dumps(body).encode() if body is not None else None, headers=hdrs)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


# ---------------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------------


class Worker(threading.Thread):
    """Sends requests until `stop` is set; records only what the client saw acknowledged."""

    def __init__(self, index: int, round_number: int, port: int, ledger: Ledger, stop: threading.Event, seed: int):
        super().__init__(name=f"load-{round_number}-{index}", daemon=True)
        self.index, self.round, self.port, self.ledger, self.stop_event = index, round_number, port, ledger, stop
        self.rng = random.Random(seed)
        self.serial = 0

    def fresh(self, what: str) -> str:
        self.serial += 1
        return f"{what}-r{self.round}w{self.index}n{self.serial}"

    def prompt(self) -> str:
        text = f"{self.fresh('p')}: tell me about {self.rng.choice(TOPICS)}"
        with self.ledger.lock:
            self.ledger.sent.add(text)
        return text

    def target(self) -> str:
        """An acknowledged conversation, or now and then a new name (created by the turn)."""
        names = self.ledger.names()
        if not names or self.rng.random() < 0.15:
            if len(names) < MAX_CONVERSATIONS:
                return self.fresh("chat")
        return self.rng.choice(names) if names else self.fresh("chat")

    def run(self) -> None:
        while not self.stop_event.is_set():
            roll = self.rng.random()
            try:
                if roll < 0.25 and len(self.ledger.names()) < MAX_CONVERSATIONS:
                    self.create()
                elif roll < 0.55:
                    self.chat(stream=False)
                elif roll < 0.9:
                    self.chat(stream=True)
                else:
                    self.seed_chat()
            except (OSError, http.client.HTTPException, ValueError):
                # The host died under the request: nothing was acknowledged.
                with self.ledger.lock:
                    self.ledger.counts["failed_requests"] += 1
                if self.stop_event.wait(0.05):
                    return

    def create(self) -> None:
        name = self.fresh("conv")
        status, _, raw = request(self.port, "POST", "/api/CreateConversation", {"name": name})
        if status == 200:
            data = json.loads(raw)["data"]
            assert data["conversation_name"] == name
            self.ledger.conversation_acknowledged(name, data["conversation_id"])
            with self.ledger.lock:
                self.ledger.counts["created"] += 1

    def chat(self, stream: bool) -> None:
        name, prompt = self.target(), self.prompt()
        body = {"model": MODEL, "stream": stream, "messages": [{"role": "user", "content": prompt}]}
        # Both ways of naming the conversation explicitly.
        headers = {"X-Conversation-Id": name} if self.rng.random() < 0.5 else None
        if headers is None:
            body["user"] = name
        if not stream:
            status, hdrs, raw = request(self.port, "POST", "/v1/chat/completions", body, headers)
            if status != 200:
                return
            completion = json.loads(raw)
            if completion["choices"][0]["finish_reason"] == "stop" and hdrs.get("x-conversation-id") == name:
                self.ledger.turn_acknowledged(name, prompt, completion["choices"][0]["message"]["content"], False)
            return
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            hdrs = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json", **(headers or {})}
            connection.request("POST", "/v1/chat/completions", body=json.dumps(body).encode(), headers=hdrs)
            response = connection.getresponse()
            if response.status != 200 or response.getheader("X-Conversation-Id") != name:
                response.read()
                return
            text, finished, done = [], False, False
            while True:
                line = response.readline()
                if not line:
                    break
                line = line.decode().rstrip("\r\n")
                if not line.startswith("data: "):
                    continue
                payload = line[len("data: "):]
                if payload == "[DONE]":
                    done = True
                    break
                event = json.loads(payload)
                if "error" in event:
                    return
                for choice in event.get("choices") or []:
                    text.append((choice.get("delta") or {}).get("content") or "")
                    finished = finished or choice.get("finish_reason") == "stop"
            # Complete only with both the stop chunk and [DONE]; a stream cut by the kill is not.
            if finished and done:
                self.ledger.turn_acknowledged(name, prompt, "".join(text), True)
        finally:
            connection.close()

    def seed_chat(self) -> None:
        name, prompt = self.target(), self.prompt()
        status, _, raw = request(self.port, "POST", "/api/Chat", {"name": name, "prompt": prompt})
        if status == 200:
            data = json.loads(raw)["data"]
            if data.get("done") is True:
                self.ledger.turn_acknowledged(name, prompt, data["prompt"], False)


# ---------------------------------------------------------------------------------------------
# The store, read directly
# ---------------------------------------------------------------------------------------------


def open_read_only(store: Path) -> sqlite3.Connection:
    # mode=ro: nothing here may checkpoint or repair the file; the restarted host must do that.
    return sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=10)


def integrity(store: Path) -> list:
    with open_read_only(store) as db:
        return [row[0] for row in db.execute("PRAGMA integrity_check")]


def store_problems(store: Path, ledger: Ledger) -> list:
    """Everything about the store file that contradicts what the clients were told (empty: sound)."""
    problems = []
    with ledger.lock:
        acknowledged = dict(ledger.conversations)
        turns = dict(ledger.turns)
        sent = set(ledger.sent)
    db = open_read_only(store)
    try:
        rows = db.execute(
            "SELECT id, name, channel_id, turn_count, completed_turn_count FROM conversations WHERE access_key = ?",
            (KEY,)).fetchall()
        by_name = {name: (cid, str(channel), count, completed) for cid, name, channel, count, completed in rows}
        channels = [channel for _, channel, _, _ in by_name.values()]
        for channel in {c for c in channels if channels.count(c) > 1}:
            problems.append(f"channel {channel} is mapped by several conversations")
        for name, channel in sorted(acknowledged.items()):
            if name not in by_name:
                problems.append(f"acknowledged conversation {name!r} is missing")
            elif channel is not None and by_name[name][1] != channel:
                problems.append(f"conversation {name!r} moved from channel {channel} to {by_name[name][1]}")

        all_turns = db.execute(
            "SELECT conversation_id, sequence, completed_index, prompt, answer, outcome FROM turns "
            "ORDER BY conversation_id, sequence").fetchall()
        by_prompt: dict = {}
        per_conversation: dict = {}
        for conversation_id, sequence, completed_index, prompt, answer, outcome in all_turns:
            by_prompt.setdefault(prompt, []).append((conversation_id, answer, outcome))
            per_conversation.setdefault(conversation_id, []).append((sequence, completed_index, outcome))
        for prompt, stored in by_prompt.items():
            if len(stored) > 1:
                problems.append(f"prompt {prompt!r} is stored {len(stored)} times")
            if prompt not in sent:
                problems.append(f"a turn nobody sent is stored: {prompt!r}")
        ids = {cid: name for name, (cid, _, _, _) in by_name.items()}
        for prompt, (name, answer) in sorted(turns.items()):
            stored = by_prompt.get(prompt)
            if not stored:
                problems.append(f"acknowledged turn {prompt!r} of {name!r} is not stored")
                continue
            conversation_id, stored_answer, outcome = stored[0]
            if ids.get(conversation_id) != name:
                problems.append(f"turn {prompt!r} is stored in {ids.get(conversation_id)!r}, not {name!r}")
            if outcome != "done" or stored_answer != answer:
                problems.append(f"turn {prompt!r} is stored as {outcome} {stored_answer[:100]!r}, "
                                f"the client got {answer[:100]!r}")
        for name, (cid, _, count, completed) in by_name.items():
            listed = per_conversation.get(cid, [])
            if [s for s, _, _ in listed] != list(range(1, len(listed) + 1)) or count != len(listed):
                problems.append(f"conversation {name!r}: sequences {[s for s, _, _ in listed]}, turn_count {count}")
            done = [index for _, index, outcome in listed if outcome == "done"]
            if done != list(range(1, len(done) + 1)) or completed != len(done):
                problems.append(f"conversation {name!r}: completed indexes {done}, completed_turn_count {completed}")
        stranded = set(per_conversation) - set(ids)
        if stranded:
            problems.append(f"turns of conversations that do not exist: {sorted(stranded)}")
    finally:
        db.close()
    return problems


# ---------------------------------------------------------------------------------------------
# The test
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emulator():
    yield from running_emulator(SCENARIO)


def start_host(workdir: Path, info: dict, store: Path, tag: str) -> tuple[HostProcess, float]:
    port = free_port()
    host = HostProcess(workdir, write_config(workdir, info, store, port), port, tag)
    try:
        return host, host.wait_ready()
    except BaseException:
        host.stop()
        raise


STORE_TROUBLE = re.compile(r"(?i)(store|sqlite|database|corrupt|malformed).*(error|fail|refus|cannot)")


def assert_clean_start(host: HostProcess) -> None:
    trouble = [line for line in host.log().splitlines() if STORE_TROUBLE.search(line)]
    assert not trouble, f"the host logged store trouble when starting on the killed store: {trouble}\n{host.describe()}"


def assert_listing(host: HostProcess, ledger: Ledger) -> None:
    """The restarted host lists every acknowledged conversation on its channel (and pins channels
    of conversations created by a turn, so that later rounds check they never move)."""
    status, _, raw = request(host.port, "POST", "/api/GetConversations")
    assert status == 200, raw
    listed = json.loads(raw)["data"]
    with ledger.lock:
        for name, channel in list(ledger.conversations.items()):
            assert name in listed, f"the restarted host does not list acknowledged conversation {name!r}"
            if channel is None:
                ledger.conversations[name] = listed[name]
            else:
                assert listed[name] == channel, f"{name!r}: channel {listed[name]} after restart, was {channel}"


def test_kill_9_under_load_keeps_the_store_intact(emulator, tmp_path):
    info = emulator.info
    store = tmp_path / "conversations.sqlite"
    rng = random.Random(RNG_SEED)
    ledger = Ledger()
    report = []

    # A kill while the host is still starting, before anything is stored: the file may be new,
    # half-created or absent, and the next start must cope.
    host = HostProcess(tmp_path, write_config(tmp_path, info, store, free_port()), 0, "startup")
    time.sleep(rng.uniform(0.05, 0.4))
    host.kill()
    if store.exists():
        assert integrity(store) == ["ok"]

    # On a failure, nothing may keep running: the workers would hammer a dead port and the host
    # would outlive the test.
    stops: list = []
    host = None
    try:
        host, ready_after = start_host(tmp_path, info, store, "0")
        assert_clean_start(host)
        for round_number in range(ROUNDS):
            stop = threading.Event()
            stops.append(stop)
            workers = [Worker(i, round_number, host.port, ledger, stop, rng.randrange(1 << 30)) for i in range(WORKERS)]
            for worker in workers:
                worker.start()
            started = time.monotonic()
            if round_number % 2 == 0:
                # A random moment: early (turns just posted, channels being created) to well into the load.
                time.sleep(rng.uniform(0.2, 4.0))
                trigger = "time"
            else:
                # Right after the client got its Nth acknowledgement of the round: an answer sent
                # before its turn was committed would be caught here, the kill coming within a
                # millisecond of the acknowledgement while other turns are being recorded.
                wanted = rng.randint(5, 60)
                with ledger.lock:
                    target = ledger.acks + wanted
                assert ledger.wait_acks(target, 30), f"round {round_number}: no {wanted} acknowledgements in 30 s"
                trigger = f"acknowledgement #{wanted}"
            under_load = time.monotonic() - started
            before = dict(ledger.counts)
            host.kill()
            stop.set()
            for worker in workers:
                worker.join(timeout=REQUEST_TIMEOUT + 5)
                assert not worker.is_alive(), f"{worker.name} still hangs on a dead host"

            assert integrity(store) == ["ok"], f"round {round_number}: integrity_check after kill -9"
            problems = store_problems(store, ledger)
            assert not problems, (f"round {round_number}, after kill -9 {under_load:.2f} s into the load ({trigger}):\n"
                                  + "\n".join(problems[:40]))

            restart_killed = ""
            if rng.random() < 0.35:
                # Killed again while opening the store it was just killed on (WAL recovery, start-up).
                early = HostProcess(tmp_path, write_config(tmp_path, info, store, free_port()), 0, f"{round_number}-early")
                delay = rng.uniform(0.02, 0.3)
                time.sleep(delay)
                early.kill()
                assert integrity(store) == ["ok"], f"round {round_number}: integrity_check after a kill during start-up"
                restart_killed = f", killed again {delay:.2f} s into the restart"
            host, ready_after = start_host(tmp_path, info, store, str(round_number + 1))
            assert_clean_start(host)
            assert_listing(host, ledger)
            report.append(f"round {round_number}: killed {under_load:.2f} s into the load ({trigger}; acknowledged "
                          f"so far: {before}){restart_killed}; restarted ready in {ready_after:.2f} s")

        with ledger.lock:
            assert not ledger.problems, "\n".join(ledger.problems[:40])
            assert ledger.counts["created"] > 0 and ledger.counts["turns"] > 0 and ledger.counts["streamed"] > 0, (
                f"the load acknowledged too little to prove anything: {ledger.counts}")

        # Old conversations keep working after the last restart: new turns, exact answers, stored.
        final_rng = random.Random(RNG_SEED + 1)
        old = final_rng.sample(ledger.names(), min(8, len(ledger.names())))
        finisher = Worker(99, ROUNDS, host.port, ledger, threading.Event(), RNG_SEED + 2)
        for index, name in enumerate(old):
            prompt = finisher.prompt()
            body = {"model": MODEL, "user": name, "stream": index % 2 == 1,
                    "messages": [{"role": "user", "content": prompt}]}
            status, headers, raw = request(host.port, "POST", "/v1/chat/completions", body)
            assert status == 200, f"a new turn in old conversation {name!r}: {status} {raw[:300]!r}"
            assert headers.get("x-conversation-id") == name
            if body["stream"]:
                events = [line[6:] for line in raw.decode().split("\n") if line.startswith("data: ")]
                assert events[-1] == "[DONE]", events[-3:]
                answer = "".join((choice.get("delta") or {}).get("content") or ""
                                 for event in events[:-1] for choice in json.loads(event).get("choices") or [])
            else:
                answer = json.loads(raw)["choices"][0]["message"]["content"]
            assert answer == ca.answer(prompt, None, SEED), f"{name!r}: {answer[:200]!r}"
            ledger.turn_acknowledged(name, prompt, answer, bool(body["stream"]))
        assert_listing(host, ledger)
        status = host.stop()
    finally:
        for stop in stops:
            stop.set()
        if host is not None and host.proc.poll() is None:
            host.stop()
    assert status == 0, f"the host exited with {status} on SIGTERM\n{host.describe()}"
    assert integrity(store) == ["ok"]
    problems = store_problems(store, ledger)
    assert not problems, "after the last restart:\n" + "\n".join(problems[:40])

    with ledger.lock:
        summary = (f"{ROUNDS} kills under load, seed {RNG_SEED}: "
                   f"{len(ledger.conversations)} conversations, {len(ledger.turns)} acknowledged turns, "
                   f"counts {ledger.counts}")
    channels = rest(info, "GET", f"/guilds/{info['guild_id']}/channels", "Bot " + info["bridge_bot_token"])
    in_category = [c for c in channels if str(c.get("parent_id")) == str(info["category_id"])]
    with open_read_only(store) as db:
        stored = db.execute("SELECT count(*) FROM conversations").fetchone()[0]
        stored_channels = {str(row[0]) for row in db.execute("SELECT channel_id FROM conversations")}
        pending = db.execute("SELECT count(*) FROM pending_channels").fetchone()[0]
    assert_prompts_posted_once(info, ledger)
    print("\n" + "\n".join(report) + f"\n{summary}\nDiscord channels under the category: {len(in_category)}, "
          f"conversations stored: {stored}, pending channel records left: {pending}")
    # A kill between Discord's channel creation and the store's insert leaves a channel no
    # conversation maps; each start deletes those (the pending-channel records), so after the
    # last restart every channel under the category is a stored conversation's.
    leftovers = [c["name"] for c in in_category if str(c["id"]) not in stored_channels]
    assert not leftovers, f"channels without a conversation after the last restart: {leftovers}"
    assert pending == 0

    assert_checks_catch_damage(store, tmp_path, ledger)


def assert_prompts_posted_once(info: dict, ledger: Ledger) -> None:
    """On Discord too nothing is repeated: no restart re-posts a prompt, and every acknowledged
    turn's prompt is in its conversation's channel exactly once."""
    with ledger.lock:
        channels = {name: channel for name, channel in ledger.conversations.items() if channel is not None}
        turns = dict(ledger.turns)
        sent = set(ledger.sent)
    posted: dict = {}
    for name, channel in channels.items():
        messages = rest(info, "GET", f"/channels/{channel}/messages?limit=100", "Bot " + info["bridge_bot_token"])
        assert len(messages) < 100, f"{name!r}: too many messages to check in one page"
        for message in messages:
            if str(message["author"]["id"]) == str(info["coze_bot_user_id"]):
                continue
            for prompt in sent:
                if prompt in message["content"]:
                    posted.setdefault(prompt, []).append(name)
    repeated = {prompt: names for prompt, names in posted.items() if len(names) > 1}
    assert not repeated, f"prompts posted more than once: {repeated}"
    for prompt, (name, _) in turns.items():
        assert posted.get(prompt) == [name], f"acknowledged turn {prompt!r} of {name!r} is posted in {posted.get(prompt)}"


def assert_checks_catch_damage(store: Path, workdir: Path, ledger: Ledger) -> None:
    """The checks above fail on a store that lost or duplicated what a client was told."""
    with ledger.lock:
        prompt, (name, _) = sorted(ledger.turns.items())[0]
        created = sorted(n for n, c in ledger.conversations.items() if c is not None)[0]

    def damaged(statement: str, *parameters) -> list:
        copy = workdir / "damaged.sqlite"
        for path in workdir.glob("damaged.sqlite*"):
            path.unlink()
        with open_read_only(store) as source, sqlite3.connect(copy) as target:
            source.backup(target)
            target.execute("PRAGMA foreign_keys = ON")
            target.execute(statement, parameters)
        return store_problems(copy, ledger)

    lost_turn = damaged("DELETE FROM turns WHERE prompt = ?", prompt)
    assert any("is not stored" in p for p in lost_turn), lost_turn
    lost_conversation = damaged("DELETE FROM conversations WHERE access_key = ? AND name = ?", KEY, created)
    assert any(f"conversation {created!r} is missing" in p for p in lost_conversation), lost_conversation
    duplicated = damaged(
        "INSERT INTO turns (conversation_id, sequence, completed_index, history_digest, prompt, answer, image_urls, "
        "suggestions, started_at_ms, finished_at_ms, outcome, error_code) "
        "SELECT conversation_id, sequence + 1000, NULL, NULL, prompt, answer, image_urls, suggestions, started_at_ms, "
        "finished_at_ms, 'error', 'duplicate' FROM turns WHERE prompt = ?", prompt)
    assert any("stored 2 times" in p for p in duplicated), duplicated
