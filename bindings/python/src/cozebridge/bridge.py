"""Bridge, Stream and AsyncStream: the Python face of libcozebridge.

Threading and lifetime rules followed here (see include/cozebridge.h, "Threading" and "Lifetime"):

* Every call goes through ctypes.CDLL, which releases the GIL while the library runs: blocking
  calls never stall other Python threads, and the library's delivery threads can run callbacks.
* coze_last_error() is thread-local: it is read right after the failing call, on the same thread,
  before any other coze_ call.
* Stream callbacks are seven module-level CFUNCTYPE objects that live as long as the module (so no
  callback can ever jump into a freed thunk). The ``userdata`` of a stream is a small integer
  token naming its sink in ``_sinks``; userdata_free removes the sink. Callbacks never raise.
* coze_bridge_destroy() must not race with other calls on the same bridge: Bridge counts the
  calls in progress and close() waits for them before destroying.
* An atexit hook destroys the bridges still open, so that no callback can start while the
  interpreter finalizes (destroy waits until no callback runs or can start).
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import ctypes
import functools
import itertools
import json
import os
import queue
import sys
import threading
import time
import weakref
from ctypes import POINTER, byref, c_char_p, c_int, c_void_p, sizeof
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from . import _ffi
from .errors import (
    ClosedError,
    CozeError,
    CozeTimeoutError,
    InternalError,
    NotFoundError,
    error_for,
)
from .types import (
    Answer,
    BotStatus,
    Conversation,
    Correction,
    Delta,
    Done,
    Event,
    Image,
    ImageEvent,
    KeepaliveResult,
    Suggestions,
)

__all__ = ["Bridge", "Stream", "AsyncStream", "version", "version_number", "strerror"]

ImageInput = Union[str, bytes, bytearray, memoryview]
PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

# --------------------------------------------------------------------------------------------
# Small conversions
# --------------------------------------------------------------------------------------------


def _lib() -> ctypes.CDLL:
    return _ffi.library()


def _text(value: Optional[bytes]) -> str:
    """A borrowed C string (already copied by ctypes into bytes) as str; NULL gives ""."""
    if value is None:
        return ""
    return value.decode("utf-8", "replace")


def _opt_text(value: Optional[bytes]) -> Optional[str]:
    return None if value is None else value.decode("utf-8", "replace")


def _sized_text(pointer: Optional[int], length: int) -> str:
    if not pointer:
        return ""
    return ctypes.string_at(pointer, length).decode("utf-8", "replace")


def _encode(value: Union[str, bytes], what: str) -> bytes:
    if isinstance(value, str):
        data = value.encode("utf-8")
    elif isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    else:
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    if b"\0" in data:
        raise ValueError(f"{what} must not contain NUL characters")
    return data


def _encode_opt(value: Optional[Union[str, bytes]], what: str) -> Optional[bytes]:
    return None if value is None else _encode(value, what)


def _encode_path(value: Optional[PathLike], what: str) -> Optional[bytes]:
    if value is None:
        return None
    return _encode(os.fsencode(value), what)


def _milliseconds(seconds: Optional[float], what: str, none: int = 0) -> int:
    """Seconds (float) as the library's int milliseconds; None gives `none`."""
    if seconds is None:
        return none
    seconds = float(seconds)
    if seconds != seconds or seconds < 0:
        raise ValueError(f"{what} must be a non-negative number of seconds, got {seconds!r}")
    if seconds == 0:
        return 0
    return max(1, min(_ffi.INT_MAX, int(round(seconds * 1000))))


def _last_error(status: int) -> CozeError:
    """The exception for a failed call. Call right after the call, on the same thread: the
    library's last error is thread-local and replaced by the next coze_ call."""
    lib = _lib()
    message = _text(lib.coze_last_error())
    if not message:
        message = _text(lib.coze_strerror(status))
    return error_for(status, message)


def _check(status: int) -> None:
    if status != _ffi.COZE_OK:
        raise _last_error(status)


def _image(img: _ffi.coze_image) -> Image:
    return Image(
        url=_text(img.url),
        source=_text(img.source),
        filename=_opt_text(img.filename),
        content_type=_opt_text(img.content_type),
        width=int(img.width),
        height=int(img.height),
    )


def _strings(array, count: int) -> List[str]:
    if not array or not count:
        return []
    return [_text(array[i]) for i in range(count)]


def _answer(pointer) -> Answer:
    a = pointer.contents
    images = [_image(a.images[i]) for i in range(a.image_count)] if a.images else []
    return Answer(
        text=_sized_text(a.text, a.text_length),
        images=images,
        suggestions=_strings(a.suggestions, a.suggestion_count),
        completion=_text(a.completion),
    )


class _Prompt:
    """A coze_prompt and the buffers it points into (kept alive as long as this object)."""

    def __init__(self, text: str, conversation: str, key: Optional[str], images: Iterable[ImageInput]):
        if conversation is None:
            raise TypeError("conversation is required")
        encoded_images: List[bytes] = []
        for index, image in enumerate(images or ()):
            if isinstance(image, (bytes, bytearray, memoryview)):
                # Raw image bytes: the library takes bare base64.
                encoded_images.append(base64.b64encode(bytes(image)))
            else:
                encoded_images.append(_encode(image, f"images[{index}]"))
        self._images = (c_char_p * max(1, len(encoded_images)))(*encoded_images)
        self.struct = _ffi.coze_prompt(
            sizeof(_ffi.coze_prompt),
            _encode_opt(key, "key"),
            _encode(conversation, "conversation"),
            _encode(text, "prompt"),
            ctypes.cast(self._images, POINTER(c_char_p)) if encoded_images else None,
            len(encoded_images),
        )


# --------------------------------------------------------------------------------------------
# Callback dispatch: static CFUNCTYPE objects, userdata = token of a sink
# --------------------------------------------------------------------------------------------

Sink = Callable[[tuple], None]

_sinks: Dict[int, Sink] = {}
_tokens = itertools.count(1)
_sinks_lock = threading.Lock()


def _register(sink: Sink) -> int:
    with _sinks_lock:
        token = next(_tokens)
        _sinks[token] = sink
    return token


def _unregister(token: int) -> Optional[Sink]:
    with _sinks_lock:
        return _sinks.pop(token, None)


def _deliver(userdata: Optional[int], item: tuple) -> None:
    sink = _sinks.get(userdata or 0)
    if sink is not None:
        sink(item)


# Each callback copies what it was given (everything is borrowed until it returns) and never
# raises: an exception escaping a ctypes callback would only be printed, and a BaseException
# must not unwind into the library.


def _never_raises(callback):
    @functools.wraps(callback)
    def guarded(*args):
        try:
            callback(*args)
        except BaseException:  # noqa: BLE001 - see above
            pass
    return guarded


@_ffi.ON_DELTA
@_never_raises
def _on_delta(text, length, userdata):
    _deliver(userdata, ("delta", _sized_text(text, length)))


@_ffi.ON_CORRECTION
@_never_raises
def _on_correction(text, length, userdata):
    _deliver(userdata, ("correction", _sized_text(text, length)))


@_ffi.ON_IMAGE
@_never_raises
def _on_image(image, userdata):
    if image:
        _deliver(userdata, ("image", _image(image.contents)))


@_ffi.ON_SUGGESTIONS
@_never_raises
def _on_suggestions(suggestions, count, userdata):
    _deliver(userdata, ("suggestions", _strings(suggestions, count)))


@_ffi.ON_DONE
@_never_raises
def _on_done(answer, userdata):
    if answer:
        item = ("done", _answer(answer))
    else:
        item = ("error", _ffi.COZE_EINTERNAL, "on_done was called with a NULL answer")
    _deliver(userdata, item)


@_ffi.ON_ERROR
@_never_raises
def _on_error(status, message, userdata):
    _deliver(userdata, ("error", int(status), _text(message)))


@_ffi.USERDATA_FREE
@_never_raises
def _userdata_free(userdata):
    sink = _unregister(userdata or 0)
    if sink is not None:
        sink(("end",))


# Copied by coze_stream_start(); one instance serves every stream.
_CALLBACKS = _ffi.coze_stream_callbacks(
    sizeof(_ffi.coze_stream_callbacks),
    _on_delta, _on_correction, _on_image, _on_suggestions, _on_done, _on_error, _userdata_free,
)

# --------------------------------------------------------------------------------------------
# Module-level functions
# --------------------------------------------------------------------------------------------


def version() -> str:
    """The version of the loaded library, "MAJOR.MINOR.PATCH"."""
    return _text(_lib().coze_version())


def version_number() -> int:
    """The loaded library's version as MAJOR * 10000 + MINOR * 100 + PATCH."""
    return int(_lib().coze_version_number())


def strerror(status: int) -> str:
    """The library's short English name of a status code."""
    return _text(_lib().coze_strerror(int(status)))


# --------------------------------------------------------------------------------------------
# Bridge
# --------------------------------------------------------------------------------------------

_open_bridges: "weakref.WeakSet[Bridge]" = weakref.WeakSet()

#: How long the atexit hook waits for calls still running in other threads before giving up on
#: destroying their bridge (it must not race with them).
ATEXIT_CALL_WAIT = 30.0


class Bridge:
    """A running bridge: the configured bots, their Discord sessions and the conversation store.

    Give exactly one of ``config_path`` (a Config.yml) or ``yaml`` (its text). ``ready_timeout``
    (seconds) makes the constructor wait for every bot's Discord session; 0 does not wait (use
    :meth:`wait_ready`). Use it as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        config_path: Optional[PathLike] = None,
        yaml: Optional[str] = None,
        store_path: Optional[PathLike] = None,
        legacy_import_directory: Optional[PathLike] = None,
        ready_timeout: float = 0.0,
        first_reply_timeout: Optional[float] = None,
    ):
        self._handle: Optional[int] = None
        self._cond = threading.Condition()
        self._active = 0
        self._closed = True
        self._destroyed = threading.Event()
        self._destroyed.set()  # nothing to destroy until creation succeeds
        if (config_path is None) == (yaml is None):
            raise TypeError("Bridge() needs exactly one of config_path or yaml")
        lib = _lib()
        options = _ffi.coze_bridge_options(
            sizeof(_ffi.coze_bridge_options),
            _encode_path(store_path, "store_path"),
            _encode_path(legacy_import_directory, "legacy_import_directory"),
            _milliseconds(ready_timeout, "ready_timeout"),
            0 if first_reply_timeout is None else _milliseconds(first_reply_timeout, "first_reply_timeout"),
        )
        handle = c_void_p()
        if config_path is not None:
            status = lib.coze_bridge_create_from_file(
                byref(handle), _encode_path(config_path, "config_path"), byref(options))
        else:
            status = lib.coze_bridge_create_from_yaml(byref(handle), _encode(yaml, "yaml"), byref(options))
        _check(status)
        if not handle.value:
            raise InternalError(_ffi.COZE_EINTERNAL, "coze_bridge_create returned COZE_OK without a bridge")
        self._handle = handle.value
        self._destroyed.clear()
        self._closed = False
        _open_bridges.add(self)

    # -- lifetime ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _use(self) -> Iterator[int]:
        """Holds the bridge open for one call (close() waits for every such call to end)."""
        with self._cond:
            if self._closed or self._handle is None:
                raise ClosedError(_ffi.COZE_ECLOSED, "the bridge is closed; create a new Bridge")
            self._active += 1
            handle = self._handle
        try:
            yield handle
        finally:
            with self._cond:
                self._active -= 1
                if self._active == 0:
                    self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self, _wait_calls: Optional[float] = None) -> None:
        """Destroys the bridge: running turns end (their streams raise StreamCancelled), Discord
        sessions close, the store is flushed. Waits for calls running in other threads first.
        Idempotent."""
        with self._cond:
            first = not self._closed
            self._closed = True
            if first:
                deadline = None if _wait_calls is None else time.monotonic() + _wait_calls
                while self._active:
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        # Destroying now would race with those calls (forbidden by the header).
                        self._destroyed.set()
                        _warn(f"cozebridge: a bridge was not destroyed at exit: {self._active} call(s) "
                              "were still running in other threads")
                        self._handle = None
                        return
                    self._cond.wait(left)
            handle, self._handle = self._handle, None
        if not first:
            self._destroyed.wait()
            return
        try:
            if handle is not None:
                status = _lib().coze_bridge_destroy(handle)
                if status == _ffi.COZE_EREENTRANT:
                    # Only reachable when the garbage collector finalizes us on a delivery thread
                    # of this very bridge: destroy from a thread of our own instead.
                    threading.Thread(target=_lib().coze_bridge_destroy, args=(handle,),
                                     name="cozebridge-destroy", daemon=False).start()
                elif status != _ffi.COZE_OK:
                    raise _last_error(status)
        finally:
            _open_bridges.discard(self)
            self._destroyed.set()

    def __enter__(self) -> "Bridge":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if not self._closed:
                self.close()
        except BaseException:  # noqa: BLE001 - never from a finalizer
            pass

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<cozebridge.Bridge {state} at {id(self):#x}>"

    # -- readiness and configuration --------------------------------------------------------

    def wait_ready(self, timeout: Optional[float] = 30.0) -> None:
        """Waits until every bot's Discord session is ready (None: without limit).

        Raises CozeTimeoutError when the timeout passes first or a bot stopped for good.
        """
        ms = _milliseconds(timeout, "timeout", none=_ffi.INT_MAX)
        with self._use() as handle:
            _check(_lib().coze_bridge_wait_ready(handle, ms))

    def config_json(self, section: Optional[str] = None) -> Any:
        """The configuration (or its top-level key ``section``) as parsed JSON. Holds tokens."""
        lib = _lib()
        return json.loads(self._read_string(
            lambda out, handle: lib.coze_bridge_config_json(out, handle, _encode_opt(section, "section"))))

    def plugins(self) -> List[Any]:
        """The configuration's ``Plugins:`` entries, normalised: name, path, enabled, settings."""
        return json.loads(self._read_string(_lib().coze_bridge_plugin_list_json))

    def statistics(self) -> Any:
        """Monitoring counters per bot (REST attempts and 429s, gateway connections, resumes…)."""
        return json.loads(self._read_string(_lib().coze_bridge_statistics_json))

    def find_conversation(self, history: Sequence[Tuple[str, str]], key: Optional[str] = None) -> Optional[str]:
        """The name of the conversation whose completed turns are exactly ``history`` (a list of
        (prompt, answer) pairs), or None: how a resent OpenAI-style dialogue finds its conversation."""
        prompts = (c_char_p * max(1, len(history)))(*[_encode(p, "prompt") for p, _ in history])
        answers = (c_char_p * max(1, len(history)))(*[_encode(a, "answer") for _, a in history])
        lib = _lib()
        try:
            return self._read_string(lambda out, handle: lib.coze_conversation_find_by_history(
                out, handle, _encode_opt(key, "key"), prompts, answers, len(history)))
        except NotFoundError:
            return None

    def _read_string(self, fetch) -> str:
        """Calls `fetch(out, handle)` for a library-allocated string and frees it with coze_free."""
        out = c_void_p()
        lib = _lib()
        with self._use() as handle:
            _check(fetch(byref(out), handle))
        try:
            return ctypes.string_at(out.value).decode("utf-8") if out.value else "null"
        finally:
            lib.coze_free(out)

    # -- turns --------------------------------------------------------------------------------

    def send(
        self,
        prompt: str,
        conversation: str,
        key: Optional[str] = None,
        images: Sequence[ImageInput] = (),
        timeout: Optional[float] = None,
    ) -> Answer:
        """Sends a prompt and waits for the whole answer.

        ``key`` is the access key (None or "" for the open key); the conversation is created on
        first use. ``images`` are http(s) URLs, data URIs or base64 text, or raw bytes (sent as
        base64). ``timeout`` in seconds; None (or 0) waits until the turn ends. When the timeout
        passes first (CozeTimeoutError) the turn still completes and is recorded.
        """
        p = _Prompt(prompt, conversation, key, images)
        ms = _milliseconds(timeout, "timeout")
        out = POINTER(_ffi.coze_answer)()
        lib = _lib()
        with self._use() as handle:
            _check(lib.coze_send(byref(out), handle, byref(p.struct), ms))
        try:
            return _answer(out)
        finally:
            lib.coze_answer_free(out)

    def stream(
        self,
        prompt: str,
        conversation: str,
        key: Optional[str] = None,
        images: Sequence[ImageInput] = (),
        timeout: Optional[float] = None,
    ) -> "Stream":
        """Starts a turn; iterate the result for Delta, Correction, ImageEvent, Suggestions and
        finally Done. An error of the turn is raised by the iterator. ``timeout`` (seconds) bounds
        the whole stream: when it passes the stream is cancelled and CozeTimeoutError raised."""
        return Stream(self, _Prompt(prompt, conversation, key, images), timeout)

    def astream(
        self,
        prompt: str,
        conversation: str,
        key: Optional[str] = None,
        images: Sequence[ImageInput] = (),
        timeout: Optional[float] = None,
    ) -> "AsyncStream":
        """As :meth:`stream`, as an async iterator for the running asyncio loop."""
        loop = asyncio.get_running_loop()
        return AsyncStream(self, _Prompt(prompt, conversation, key, images), timeout, loop)

    def _start_stream(self, prompt: _Prompt, sink: Sink) -> Tuple[int, int]:
        token = _register(sink)
        out = c_void_p()
        try:
            with self._use() as handle:
                status = _lib().coze_stream_start(byref(out), handle, byref(prompt.struct), byref(_CALLBACKS),
                                                  c_void_p(token))
                if status != _ffi.COZE_OK:
                    raise _last_error(status)
        except BaseException:
            _unregister(token)  # nothing was started: no callback will run, not even userdata_free
            raise
        if not out.value:
            raise InternalError(_ffi.COZE_EINTERNAL, "coze_stream_start returned COZE_OK without a stream")
        return out.value, token

    # -- conversations ------------------------------------------------------------------------

    def create_conversation(self, name: str, key: Optional[str] = None) -> None:
        """Creates a conversation (and its Discord channel). ExistsError if the name is taken."""
        with self._use() as handle:
            _check(_lib().coze_conversation_create(handle, _encode_opt(key, "key"), _encode(name, "name")))

    def rename_conversation(self, old: str, new: str, key: Optional[str] = None) -> None:
        """Renames a conversation. NotFoundError / ExistsError (the new name is taken)."""
        with self._use() as handle:
            _check(_lib().coze_conversation_rename(
                handle, _encode_opt(key, "key"), _encode(old, "old"), _encode(new, "new")))

    def delete_conversation(self, name: str, key: Optional[str] = None) -> None:
        """Deletes a conversation and its Discord channel. NotFoundError if there is none."""
        with self._use() as handle:
            _check(_lib().coze_conversation_delete(handle, _encode_opt(key, "key"), _encode(name, "name")))

    def conversation_exists(self, name: str, key: Optional[str] = None) -> bool:
        out = c_int(0)
        with self._use() as handle:
            _check(_lib().coze_conversation_exists(byref(out), handle, _encode_opt(key, "key"), _encode(name, "name")))
        return bool(out.value)

    def conversations(self, key: Optional[str] = None) -> List[Conversation]:
        """Every conversation of the access key, oldest first."""
        lib = _lib()
        return self._read_list(
            _ffi.coze_conversation_list,
            lambda out, handle: lib.coze_conversation_list_get(out, handle, _encode_opt(key, "key")),
            lib.coze_conversation_list_free,
            lambda c: Conversation(
                name=_text(c.name), channel_id=_text(c.channel_id), guild_id=_text(c.guild_id),
                kind=_text(c.kind), bot=_text(c.bot), created_at_ms=int(c.created_at_ms),
                last_used_at_ms=int(c.last_used_at_ms), completed_turns=int(c.completed_turns),
            ),
        )

    def _read_list(self, struct, fetch, free, convert) -> list:
        """Calls `fetch(out, handle)` for a library-allocated list of `struct`, converts its items
        with `convert` and frees it with `free`."""
        out = POINTER(struct)()
        with self._use() as handle:
            _check(fetch(byref(out), handle))
        try:
            items = out.contents
            return [convert(items.items[i]) for i in range(items.count)] if items.items else []
        finally:
            free(out)

    # -- keepalive and status ------------------------------------------------------------------

    def keepalive(self, key: Optional[str] = None) -> List[KeepaliveResult]:
        """Sends the keepalive prompt now to every bot of ``key`` ("" is the open key), or with
        None to every bot whose Coze bot has been silent too long. Blocks until every answer."""
        lib = _lib()
        return self._read_list(
            _ffi.coze_keepalive_report,
            lambda out, handle: lib.coze_keepalive(out, handle, _encode_opt(key, "key")),
            lib.coze_keepalive_report_free,
            lambda r: KeepaliveResult(
                access_key=_text(r.access_key), bot=_text(r.bot), conversation=_text(r.conversation),
                status=int(r.status), message=_text(r.message),
            ),
        )

    def status(self) -> List[BotStatus]:
        """Every configured bot's health, in configuration order."""
        lib = _lib()
        return self._read_list(
            _ffi.coze_bot_status_list,
            lib.coze_bot_status_get,
            lib.coze_bot_status_list_free,
            lambda s: BotStatus(
                access_key=_text(s.access_key), identity=_text(s.identity), sender_mode=_text(s.sender_mode),
                state=int(s.state), detail=_text(s.detail), in_flight_turns=int(s.in_flight_turns),
                available=bool(s.available), quota_exhausted_until_ms=int(s.quota_exhausted_until_ms),
                last_coze_activity_ms=int(s.last_coze_activity_ms),
            ),
        )

def _warn(message: str) -> None:
    try:
        print(message, file=sys.stderr)
    except BaseException:  # noqa: BLE001
        pass


@atexit.register
def _close_open_bridges() -> None:
    """Destroys every bridge still open before the interpreter finalizes: afterwards no stream
    callback can start, so none can try to take the GIL of a finalizing interpreter."""
    for bridge in list(_open_bridges):
        try:
            bridge.close(_wait_calls=ATEXIT_CALL_WAIT)
        except BaseException as e:  # noqa: BLE001
            _warn(f"cozebridge: closing a bridge at exit failed: {e!r}")


# --------------------------------------------------------------------------------------------
# Streams
# --------------------------------------------------------------------------------------------


class _StreamCore:
    """The stream handle, its cancellation and the translation of queued items into events."""

    def __init__(self, bridge: Bridge, timeout: Optional[float]):
        self._bridge = bridge  # keeps the bridge (and so its callbacks) alive while streaming
        self._lock = threading.Lock()
        self._handle: Optional[int] = None
        self._busy = 0  # coze_stream_wait calls in progress (the handle is freed after them)
        self._free_pending = False
        self._finished = False
        self._cancel_requested = False
        self._closed_by_user = False
        self._token = 0
        self.answer: Optional[Answer] = None
        self.error: Optional[CozeError] = None
        if timeout is not None:
            _milliseconds(timeout, "timeout")  # validates
        self._deadline = None if timeout is None or timeout == 0 else time.monotonic() + float(timeout)

    # -- handle -------------------------------------------------------------------------------

    def _release(self) -> None:
        """Gives up the handle (coze_stream_free also cancels a stream that has not ended)."""
        with self._lock:
            handle = self._handle
            if handle is None:
                return
            if self._busy:
                self._free_pending = True
                return
            self._handle = None
        try:
            _lib().coze_stream_free(handle)
        except BaseException:  # noqa: BLE001 - interpreter shutdown
            pass

    def cancel(self) -> None:
        """Stops delivery: the iterator skips what is still queued and ends with StreamCancelled
        (or with Done / the error if the turn had already ended). The turn itself still completes
        on Discord and is recorded. Harmless to call twice or after the end."""
        with self._lock:
            self._cancel_requested = True
            handle = self._handle
            if handle is not None:
                _lib().coze_stream_cancel(handle)

    @property
    def finished(self) -> bool:
        return self._finished

    def wait(self, timeout: Optional[float] = None) -> int:
        """Blocks until the library delivered the stream's last callback and returns
        coze_stream_wait()'s status: 0 after Done, else the error's code, or COZE_ETIMEOUT when
        ``timeout`` (seconds; None waits without limit) passed first. Consumes no event."""
        ms = 0 if timeout is None else max(1, _milliseconds(timeout, "timeout"))
        with self._lock:
            handle = self._handle
            if handle is None:
                if self.error is not None:
                    return self.error.code
                return _ffi.COZE_OK if self.answer is not None else _ffi.COZE_ECANCELLED
            self._busy += 1
        try:
            status = _lib().coze_stream_wait(handle, ms)
            if status == _ffi.COZE_EREENTRANT:
                raise _last_error(status)
            return int(status)
        finally:
            with self._lock:
                self._busy -= 1
                free = self._free_pending and not self._busy
                if free:
                    self._free_pending = False
            if free:
                self._release()

    def _finish(self) -> None:
        self._finished = True
        self._release()

    def _timed_out(self) -> CozeError:
        self.cancel()
        self._finish()
        err = CozeTimeoutError(_ffi.COZE_ETIMEOUT, "the stream's timeout passed before its end; it was cancelled")
        self.error = err
        return err

    def _remaining(self) -> Optional[float]:
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - time.monotonic())

    def _translate(self, item: tuple) -> Optional[Event]:
        """The event for a queued item; None to skip it. Raises the error of an error terminal."""
        if self._closed_by_user:  # close() from another thread while this one waited
            self._finished = True
            return None
        kind = item[0]
        if kind == "done":
            self.answer = item[1]
            self._finish()
            return Done(item[1])
        if kind == "error":
            self._finish()
            self.error = error_for(item[1], item[2])
            raise self.error
        if kind == "end":  # userdata_free without a terminal first: a contract violation
            self._finish()
            self.error = InternalError(_ffi.COZE_EINTERNAL,
                                       "the stream ended (userdata_free) without on_done or on_error")
            raise self.error
        if self._cancel_requested:
            return None
        if kind == "delta":
            return Delta(item[1])
        if kind == "correction":
            return Correction(item[1])
        if kind == "image":
            return ImageEvent(item[1])
        if kind == "suggestions":
            return Suggestions(item[1])
        return None

    def _close_handle(self) -> None:
        self._closed_by_user = True
        if not self._finished:
            self.cancel()
            self._finished = True
        self._release()

    def __del__(self) -> None:
        try:
            self._close_handle()
        except BaseException:  # noqa: BLE001
            pass


class Stream(_StreamCore):
    """A streamed turn as a synchronous iterator of events (see Bridge.stream).

    Events arrive through a queue.Queue filled by the library's delivery thread. Use it in a
    ``with`` block: leaving the block early (break, exception) cancels the stream.
    """

    def __init__(self, bridge: Bridge, prompt: _Prompt, timeout: Optional[float]):
        super().__init__(bridge, timeout)
        self._queue: "queue.Queue[tuple]" = queue.Queue()
        self._handle, self._token = bridge._start_stream(prompt, self._queue.put)

    def __iter__(self) -> "Stream":
        return self

    def __next__(self) -> Event:
        while True:
            if self._finished:
                raise StopIteration
            remaining = self._remaining()
            try:
                item = self._queue.get(timeout=remaining) if remaining is not None else self._queue.get()
            except queue.Empty:
                raise self._timed_out() from None
            event = self._translate(item)
            if event is not None:
                return event

    def close(self) -> None:
        """Cancels the stream if it is still running and gives up its handle; iteration stops.
        Idempotent."""
        self._close_handle()

    def __enter__(self) -> "Stream":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def result(self) -> Answer:
        """Consumes the remaining events and returns the answer (raises the stream's error)."""
        for _ in self:
            pass
        if self.answer is None:
            raise self.error or ClosedError(_ffi.COZE_ECANCELLED, "the stream was closed before its answer")
        return self.answer


class AsyncStream(_StreamCore):
    """A streamed turn as an asyncio async iterator (see Bridge.astream).

    The library's delivery thread hands events to the loop with call_soon_threadsafe. The stream
    is cancelled when the iterator is closed (aclose(), ``async with`` exit), garbage-collected,
    or when the task awaiting it is cancelled.
    """

    def __init__(self, bridge: Bridge, prompt: _Prompt, timeout: Optional[float],
                 loop: asyncio.AbstractEventLoop):
        super().__init__(bridge, timeout)
        self._loop = loop
        self._queue: "asyncio.Queue[tuple]" = asyncio.Queue()
        q = self._queue

        def sink(item: tuple) -> None:
            try:
                loop.call_soon_threadsafe(q.put_nowait, item)
            except RuntimeError:
                pass  # the loop is closed: nobody will read this stream any more

        self._handle, self._token = bridge._start_stream(prompt, sink)

    def __aiter__(self) -> "AsyncStream":
        return self

    async def __anext__(self) -> Event:
        while True:
            if self._finished:
                raise StopAsyncIteration
            remaining = self._remaining()
            try:
                if remaining is None:
                    item = await self._queue.get()
                else:
                    try:
                        item = await asyncio.wait_for(self._queue.get(), remaining)
                    except asyncio.TimeoutError:
                        raise self._timed_out() from None
            except asyncio.CancelledError:
                self._close_handle()  # the consuming task was cancelled
                raise
            event = self._translate(item)
            if event is not None:
                return event

    async def aclose(self) -> None:
        """Cancels the stream if it is still running and gives up its handle."""
        self._close_handle()

    def close(self) -> None:
        self._close_handle()

    async def __aenter__(self) -> "AsyncStream":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self._close_handle()

    async def result(self) -> Answer:
        async for _ in self:
            pass
        if self.answer is None:
            raise self.error or ClosedError(_ffi.COZE_ECANCELLED, "the stream was closed before its answer")
        return self.answer
