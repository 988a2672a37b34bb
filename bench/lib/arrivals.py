"""When each marked edit reached the client machine, by the kernel's receive timestamps.

`bench/overhead --kernel-timestamps` drives its streams with these plain sockets instead of
aiohttp. Every socket has SO_TIMESTAMPNS on, and every recvmsg() returns the time the kernel
received the bytes it hands over (CLOCK_REALTIME, the clock of the emulator's markers). So the
arrival of an edit is taken where the network delivered it, before any Python code ran: the
client's own scheduling (one asyncio loop reading a hundred streams and a gateway) no longer
counts as latency, on the SSE side nor on the direct gateway client's.

An edit's arrival on a connection is the first time its marker `[t=NS]` shows up there. An SSE
chunk carries only the new text; a gateway MESSAGE_UPDATE repeats the whole message, so its
older markers are seen again and ignored.
"""

from __future__ import annotations

import base64
import json
import os
import re
import selectors
import socket
import struct
import threading
import time

MARK = re.compile(rb"\[t=(\d+)\]")
SESSION_ID = re.compile(rb'"session_id":"([^"]+)"')
# Linux's values (asm-generic/socket.h); Python's socket module does not name them.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
SCM_TIMESTAMPNS = SO_TIMESTAMPNS
# struct timespec of SCM_TIMESTAMPNS.
TIMESPEC = struct.Struct("@qq")
# A marker split over two reads is found in the carried tail of the previous one.
CARRY = 40


class Connection:
    """One socket whose marked bytes are timed."""

    def __init__(self, sock: socket.socket):
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.setblocking(False)
        self.sock = sock
        self.tail = b""
        self.arrivals: dict[int, int] = {}
        self.head = b""
        self.closed = False
        # When an SSE stream's `data: [DONE]` arrived: the end of the answer.
        self.done_at: int | None = None
        # An SSE stream's request, until the connection is up and it has been sent.
        self.request: bytes | None = None
        # A gateway connection's session, from its READY (the emulator's write log is by session).
        self.session_id: str | None = None
        self.wants_session_id = False

    def send_request(self) -> None:
        """The socket became writable, so the connect is over: sends the request, or raises the
        connect's error."""
        error = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if error:
            raise OSError(error, f"cannot connect to the http plugin: {os.strerror(error)}")
        request, self.request = self.request, None
        self.sock.setblocking(True)
        self.sock.sendall(request)
        self.sock.setblocking(False)

    def read(self) -> bytes | None:
        """Reads what is there and notes the first arrival of each marker: the bytes, b"" at the
        end, None when there was nothing after all."""
        try:
            data, ancillary, _, _ = self.sock.recvmsg(1 << 16, socket.CMSG_SPACE(TIMESPEC.size))
        except BlockingIOError:
            return None
        if not data:
            self.closed = True
            return b""
        stamp = None
        for level, kind, value in ancillary:
            if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS:
                seconds, nanoseconds = TIMESPEC.unpack(value[:TIMESPEC.size])
                stamp = seconds * 1_000_000_000 + nanoseconds
        if stamp is None:  # not expected on Linux; fall back to now
            stamp = time.time_ns()
        window = self.tail + data
        for found in MARK.finditer(window):
            self.arrivals.setdefault(int(found.group(1)), stamp)
        if self.wants_session_id and self.session_id is None:
            found = SESSION_ID.search(window)
            if found:
                self.session_id = found.group(1).decode()
        if self.done_at is None and b"data: [DONE]" in window:
            self.done_at = stamp
        self.tail = window[-CARRY:]
        return data


def open_sse(port: int, body: dict) -> Connection:
    """Starts a streaming chat completion's connection without waiting for it: the request goes
    out once the socket is writable (``Connection.send_request``). A blocking connect would stop
    the whole client, and its reading of every other socket, for the second a dropped SYN takes
    to be sent again (the server's listen queue overflows when a thousand streams open at once).
    The server closes the connection after the stream."""
    payload = json.dumps(body).encode()
    request = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               f"Authorization: Bearer bench\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n").encode() + payload
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    connection = Connection(sock)
    connection.request = request
    sock.connect_ex(("127.0.0.1", port))
    return connection


def _ws_frame(payload: dict) -> bytes:
    """One masked TEXT frame, as a client must send."""
    data = json.dumps(payload).encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    if len(data) < 126:
        header = struct.pack("!BB", 0x81, 0x80 | len(data))
    else:
        header = struct.pack("!BBH", 0x81, 0x80 | 126, len(data))
    return header + mask + masked


class Gateway:
    """A direct gateway client (plain JSON, no compression) logged in as the spare bot; it only
    identifies and beats, and times the markers of the frames it receives."""

    def __init__(self, info: dict):
        url = info["gateway"].rstrip("/")
        host_port = url.split("://", 1)[1].split("/", 1)[0]
        host, port = host_port.rsplit(":", 1)
        sock = socket.create_connection((host, int(port)))
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall((f"GET /?v=10&encoding=json HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = sock.recv(4096)
            if not chunk:
                raise RuntimeError("the gateway closed during the WebSocket upgrade")
            response += chunk
        if b" 101 " not in response.split(b"\r\n", 1)[0]:
            raise RuntimeError(f"the gateway refused the upgrade: {response[:80]!r}")
        sock.sendall(_ws_frame({"op": 2, "d": {"token": info["spare_bot_token"], "intents": 1 | 512 | 32768,
                                               "properties": {"os": "linux", "browser": "bench", "device": "bench"}}}))
        self.connection = Connection(sock)
        self.connection.wants_session_id = True
        self.sock = sock
        self.lock = threading.Lock()

    def beat(self) -> None:
        with self.lock:
            self.sock.setblocking(True)
            self.sock.sendall(_ws_frame({"op": 1, "d": None}))
            self.sock.setblocking(False)


def run(port: int, streams: list[tuple[float, dict]], gateways: list[Gateway], settle_s: float = 0.5):
    """Opens each stream at its offset (seconds from now) and reads every socket, the gateways'
    too, until each stream has ended. Returns ({marker: arrival} over all streams, the
    per-stream arrival maps, the count of streams that did not answer 200, and per stream when
    its `[DONE]` arrived, or None)."""
    selector = selectors.DefaultSelector()
    watching = {id(gateway.connection) for gateway in gateways}
    for gateway in gateways:
        selector.register(gateway.connection.sock, selectors.EVENT_READ, gateway.connection)
    pending = sorted(streams, key=lambda item: item[0])
    start = time.monotonic()
    opened: list[Connection] = []
    open_count = 0
    next_beat = time.monotonic() + 5
    while pending or open_count:
        now = time.monotonic()
        while pending and now - start >= pending[0][0]:
            _, body = pending.pop(0)
            connection = open_sse(port, body)
            selector.register(connection.sock, selectors.EVENT_WRITE, connection)
            opened.append(connection)
            open_count += 1
        if now >= next_beat:
            for gateway in gateways:
                gateway.beat()
            next_beat = now + 5
        timeout = max(0.0, pending[0][0] - (now - start)) if pending else 1.0
        for key, events in selector.select(min(timeout, 1.0)):
            connection = key.data
            if connection.request is not None:
                if events & selectors.EVENT_WRITE:
                    connection.send_request()
                    selector.modify(connection.sock, selectors.EVENT_READ, connection)
                continue
            data = connection.read()
            if data == b"":
                selector.unregister(connection.sock)
                connection.sock.close()
                if id(connection) not in watching:
                    open_count -= 1
            elif data is not None and id(connection) not in watching and len(connection.head) < 16:
                connection.head += data[:16]
    deadline = time.monotonic() + settle_s
    while gateways and time.monotonic() < deadline:
        for key, _ in selector.select(0.05):
            key.data.read()
    for gateway in gateways:
        selector.unregister(gateway.connection.sock)
        gateway.sock.close()
    failures = sum(1 for connection in opened if not connection.head.startswith(b"HTTP/1.1 200"))
    merged: dict[int, int] = {}
    for connection in opened:
        merged.update(connection.arrivals)
    return merged, [connection.arrivals for connection in opened], failures, [c.done_at for c in opened]
