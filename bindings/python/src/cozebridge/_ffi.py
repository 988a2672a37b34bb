"""The C contract of libcozebridge (include/cozebridge.h), mirrored with ctypes.

Everything here is a one-to-one copy of the header: the structs (same members, same order, same
C types), the callback types and the prototype of every function. Nothing else belongs here.

The library is loaded lazily by :func:`library` so that ``import cozebridge`` works on a machine
without it; the first call that needs it raises :class:`LibraryNotFoundError` with the places that
were tried.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char_p,
    c_int,
    c_int64,
    c_size_t,
    c_void_p,
)
from typing import Optional

# --------------------------------------------------------------------------------------------
# Constants (the header's macros)
# --------------------------------------------------------------------------------------------

COZE_VERSION_MAJOR = 0
COZE_VERSION_MINOR = 1
COZE_VERSION_PATCH = 0
COZE_VERSION_STRING = "0.1.0"
COZE_VERSION_NUMBER = COZE_VERSION_MAJOR * 10000 + COZE_VERSION_MINOR * 100 + COZE_VERSION_PATCH
COZE_ABI_VERSION = 1

COZE_OK = 0
COZE_EINVAL = 1
COZE_ECONFIG = 2
COZE_ENOKEY = 3
COZE_ENOTFOUND = 4
COZE_EEXISTS = 5
COZE_EUNAVAILABLE = 6
COZE_EPROMPT = 7
COZE_EDISCORD = 8
COZE_ENOREPLY = 9
COZE_EQUOTA = 10
COZE_ECOZE = 11
COZE_ETIMEOUT = 12
COZE_EGONE = 13
COZE_ECANCELLED = 14
COZE_ESTORE = 15
COZE_ECLOSED = 16
COZE_EREENTRANT = 17
COZE_EINTERNAL = 18

COZE_BOT_CONNECTING = 0
COZE_BOT_READY = 1
COZE_BOT_STOPPED = 2

#: The largest value an ``int`` timeout in milliseconds can take.
INT_MAX = 2**31 - 1

# --------------------------------------------------------------------------------------------
# Structs
# --------------------------------------------------------------------------------------------


class coze_bridge_options(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("store_path", c_char_p),
        ("legacy_import_directory", c_char_p),
        ("ready_timeout_ms", c_int),
        ("first_reply_timeout_ms", c_int),
    ]


class coze_prompt(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("access_key", c_char_p),
        ("conversation", c_char_p),
        ("text", c_char_p),
        ("images", POINTER(c_char_p)),
        ("image_count", c_size_t),
    ]


class coze_image(Structure):
    _fields_ = [
        ("url", c_char_p),
        ("source", c_char_p),
        ("filename", c_char_p),
        ("content_type", c_char_p),
        ("width", c_int),
        ("height", c_int),
    ]


class coze_answer(Structure):
    _fields_ = [
        # `text` is read with string_at(text, text_length), hence c_void_p rather than c_char_p
        # (which would stop at an embedded NUL).
        ("text", c_void_p),
        ("text_length", c_size_t),
        ("images", POINTER(coze_image)),
        ("image_count", c_size_t),
        ("suggestions", POINTER(c_char_p)),
        ("suggestion_count", c_size_t),
        ("completion", c_char_p),
    ]


# Callback types. Text arguments are c_void_p (read with string_at and the given length) so that
# ctypes never guesses a length from a NUL.
ON_DELTA = CFUNCTYPE(None, c_void_p, c_size_t, c_void_p)
ON_CORRECTION = CFUNCTYPE(None, c_void_p, c_size_t, c_void_p)
ON_IMAGE = CFUNCTYPE(None, POINTER(coze_image), c_void_p)
ON_SUGGESTIONS = CFUNCTYPE(None, POINTER(c_char_p), c_size_t, c_void_p)
ON_DONE = CFUNCTYPE(None, POINTER(coze_answer), c_void_p)
ON_ERROR = CFUNCTYPE(None, c_int, c_char_p, c_void_p)
USERDATA_FREE = CFUNCTYPE(None, c_void_p)


class coze_stream_callbacks(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("on_delta", ON_DELTA),
        ("on_correction", ON_CORRECTION),
        ("on_image", ON_IMAGE),
        ("on_suggestions", ON_SUGGESTIONS),
        ("on_done", ON_DONE),
        ("on_error", ON_ERROR),
        ("userdata_free", USERDATA_FREE),
    ]


class coze_conversation(Structure):
    _fields_ = [
        ("name", c_char_p),
        ("channel_id", c_char_p),
        ("guild_id", c_char_p),
        ("kind", c_char_p),
        ("bot", c_char_p),
        ("created_at_ms", c_int64),
        ("last_used_at_ms", c_int64),
        ("completed_turns", c_int64),
    ]


class coze_conversation_list(Structure):
    _fields_ = [
        ("count", c_size_t),
        ("items", POINTER(coze_conversation)),
    ]


class coze_keepalive_result(Structure):
    _fields_ = [
        ("access_key", c_char_p),
        ("bot", c_char_p),
        ("conversation", c_char_p),
        ("status", c_int),
        ("message", c_char_p),
    ]


class coze_keepalive_report(Structure):
    _fields_ = [
        ("count", c_size_t),
        ("items", POINTER(coze_keepalive_result)),
    ]


class coze_bot_status(Structure):
    _fields_ = [
        ("access_key", c_char_p),
        ("identity", c_char_p),
        ("sender_mode", c_char_p),
        ("state", c_int),
        ("detail", c_char_p),
        ("in_flight_turns", c_int),
        ("available", c_int),
        ("quota_exhausted_until_ms", c_int64),
        ("last_coze_activity_ms", c_int64),
    ]


class coze_bot_status_list(Structure):
    _fields_ = [
        ("count", c_size_t),
        ("items", POINTER(coze_bot_status)),
    ]


# Opaque handles are plain pointers.
coze_bridge_p = c_void_p
coze_stream_p = c_void_p

# --------------------------------------------------------------------------------------------
# Prototypes: (name, restype, argtypes), in header order
# --------------------------------------------------------------------------------------------

_PROTOTYPES = [
    ("coze_version", c_char_p, []),
    ("coze_version_number", c_int, []),
    ("coze_strerror", c_char_p, [c_int]),
    ("coze_last_error", c_char_p, []),
    ("coze_last_error_code", c_int, []),
    ("coze_free", None, [c_void_p]),
    ("coze_bridge_create_from_file", c_int,
     [POINTER(coze_bridge_p), c_char_p, POINTER(coze_bridge_options)]),
    ("coze_bridge_create_from_yaml", c_int,
     [POINTER(coze_bridge_p), c_char_p, POINTER(coze_bridge_options)]),
    ("coze_bridge_wait_ready", c_int, [coze_bridge_p, c_int]),
    ("coze_bridge_config_json", c_int, [POINTER(c_void_p), coze_bridge_p, c_char_p]),
    ("coze_bridge_plugin_list_json", c_int, [POINTER(c_void_p), coze_bridge_p]),
    ("coze_bridge_statistics_json", c_int, [POINTER(c_void_p), coze_bridge_p]),
    ("coze_bridge_destroy", c_int, [coze_bridge_p]),
    ("coze_send", c_int, [POINTER(POINTER(coze_answer)), coze_bridge_p, POINTER(coze_prompt), c_int]),
    ("coze_answer_free", None, [POINTER(coze_answer)]),
    ("coze_stream_start", c_int,
     [POINTER(coze_stream_p), coze_bridge_p, POINTER(coze_prompt), POINTER(coze_stream_callbacks), c_void_p]),
    ("coze_stream_cancel", c_int, [coze_stream_p]),
    ("coze_stream_wait", c_int, [coze_stream_p, c_int]),
    ("coze_stream_free", None, [coze_stream_p]),
    ("coze_conversation_create", c_int, [coze_bridge_p, c_char_p, c_char_p]),
    ("coze_conversation_rename", c_int, [coze_bridge_p, c_char_p, c_char_p, c_char_p]),
    ("coze_conversation_delete", c_int, [coze_bridge_p, c_char_p, c_char_p]),
    ("coze_conversation_exists", c_int, [POINTER(c_int), coze_bridge_p, c_char_p, c_char_p]),
    ("coze_conversation_find_by_history", c_int,
     [POINTER(c_void_p), coze_bridge_p, c_char_p, POINTER(c_char_p), POINTER(c_char_p), c_size_t]),
    ("coze_conversation_list_get", c_int, [POINTER(POINTER(coze_conversation_list)), coze_bridge_p, c_char_p]),
    ("coze_conversation_list_free", None, [POINTER(coze_conversation_list)]),
    ("coze_keepalive", c_int, [POINTER(POINTER(coze_keepalive_report)), coze_bridge_p, c_char_p]),
    ("coze_keepalive_report_free", None, [POINTER(coze_keepalive_report)]),
    ("coze_bot_status_get", c_int, [POINTER(POINTER(coze_bot_status_list)), coze_bridge_p]),
    ("coze_bot_status_list_free", None, [POINTER(coze_bot_status_list)]),
]

#: Every function of the header, by name (the tests check the library exports all of them).
FUNCTION_NAMES = tuple(name for name, _, _ in _PROTOTYPES)


class LibraryNotFoundError(ImportError):
    """libcozebridge could not be loaded; the message lists every place that was tried."""


_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None
_lib_path: Optional[str] = None


def _candidates() -> list[str]:
    env = os.environ.get("COZEBRIDGE_LIBRARY")
    if env:
        # An explicit path is the only candidate: silently loading another copy would hide a typo.
        return [env]
    found = []
    name = ctypes.util.find_library("cozebridge")
    if name:
        found.append(name)
    found += ["libcozebridge.so.1", "libcozebridge.so"]
    return found


def _declare(lib: ctypes.CDLL, path: str) -> None:
    missing = []
    for name, restype, argtypes in _PROTOTYPES:
        try:
            fn = getattr(lib, name)
        except AttributeError:
            missing.append(name)
            continue
        fn.restype = restype
        fn.argtypes = argtypes
    if missing:
        raise LibraryNotFoundError(
            f"{path} is not a complete libcozebridge (ABI {COZE_ABI_VERSION}): it lacks "
            + ", ".join(missing)
        )


def library() -> ctypes.CDLL:
    """Loads libcozebridge once (COZEBRIDGE_LIBRARY, then the system's search path) and returns it.

    ctypes.CDLL (not PyDLL) is used on purpose: it releases the GIL for the duration of every call,
    so blocking calls (send, wait_ready, destroy...) never stall other Python threads, and the
    library's delivery threads can take the GIL to run stream callbacks meanwhile.
    """
    global _lib, _lib_path
    lib = _lib
    if lib is not None:
        return lib
    with _lock:
        if _lib is not None:
            return _lib
        errors = []
        for candidate in _candidates():
            try:
                # Never dlclose()d: Swift images cannot be unloaded safely.
                loaded = ctypes.CDLL(candidate)
            except OSError as e:
                errors.append(f"{candidate}: {e}")
                continue
            _declare(loaded, candidate)
            _lib, _lib_path = loaded, candidate
            return loaded
        hint = ("set COZEBRIDGE_LIBRARY to the full path of libcozebridge.so"
                if not os.environ.get("COZEBRIDGE_LIBRARY") else "check COZEBRIDGE_LIBRARY")
        raise LibraryNotFoundError("cannot load libcozebridge (" + "; ".join(errors) + "); " + hint)


def library_path() -> Optional[str]:
    """The name or path libcozebridge was loaded from, or None before it is loaded."""
    return _lib_path
