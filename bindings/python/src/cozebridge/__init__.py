"""cozebridge: Python bindings (ctypes) for libcozebridge, a bridge to a Coze bot on Discord.

    import cozebridge

    with cozebridge.Bridge("Config.yml", ready_timeout=30) as bridge:
        print(bridge.send("Hello!", "my-conversation").text)

The library is found through the environment variable COZEBRIDGE_LIBRARY (a full path), else
the system's search path (libcozebridge.so.1). It is loaded on first use; ``load_library()``
loads it now and raises LibraryNotFoundError if it cannot.
"""

from __future__ import annotations

from . import _ffi
from ._ffi import (
    COZE_ABI_VERSION as ABI_VERSION,
    COZE_VERSION_NUMBER as HEADER_VERSION_NUMBER,
    COZE_VERSION_STRING as HEADER_VERSION,
    LibraryNotFoundError,
    library_path,
)
from .bridge import AsyncStream, Bridge, Stream, strerror, version, version_number
from .errors import (
    ClosedError,
    ConfigError,
    CozeError,
    CozeReportedError,
    CozeTimeoutError,
    DiscordError,
    ERRORS_BY_CODE,
    ExistsError,
    GoneError,
    InternalError,
    InvalidArgumentError,
    NoReplyError,
    NotFoundError,
    PromptError,
    QuotaError,
    ReentrantError,
    StoreError,
    StreamCancelled,
    UnavailableError,
    UnknownKeyError,
    error_for,
)
from .types import (
    BOT_CONNECTING,
    BOT_READY,
    BOT_STOPPED,
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

__version__ = "0.1.0"

# Status codes, as in cozebridge.h.
OK = _ffi.COZE_OK
EINVAL = _ffi.COZE_EINVAL
ECONFIG = _ffi.COZE_ECONFIG
ENOKEY = _ffi.COZE_ENOKEY
ENOTFOUND = _ffi.COZE_ENOTFOUND
EEXISTS = _ffi.COZE_EEXISTS
EUNAVAILABLE = _ffi.COZE_EUNAVAILABLE
EPROMPT = _ffi.COZE_EPROMPT
EDISCORD = _ffi.COZE_EDISCORD
ENOREPLY = _ffi.COZE_ENOREPLY
EQUOTA = _ffi.COZE_EQUOTA
ECOZE = _ffi.COZE_ECOZE
ETIMEOUT = _ffi.COZE_ETIMEOUT
EGONE = _ffi.COZE_EGONE
ECANCELLED = _ffi.COZE_ECANCELLED
ESTORE = _ffi.COZE_ESTORE
ECLOSED = _ffi.COZE_ECLOSED
EREENTRANT = _ffi.COZE_EREENTRANT
EINTERNAL = _ffi.COZE_EINTERNAL


def load_library():
    """Loads libcozebridge now (raises LibraryNotFoundError) and returns the ctypes.CDLL."""
    return _ffi.library()


__all__ = [
    "ABI_VERSION", "HEADER_VERSION", "HEADER_VERSION_NUMBER", "LibraryNotFoundError", "library_path",
    "load_library", "version", "version_number", "strerror",
    "Bridge", "Stream", "AsyncStream",
    "Answer", "Image", "Conversation", "KeepaliveResult", "BotStatus",
    "BOT_CONNECTING", "BOT_READY", "BOT_STOPPED",
    "Event", "Delta", "Correction", "ImageEvent", "Suggestions", "Done",
    "CozeError", "InvalidArgumentError", "ConfigError", "UnknownKeyError", "NotFoundError",
    "ExistsError", "UnavailableError", "PromptError", "DiscordError", "NoReplyError", "QuotaError",
    "CozeReportedError", "CozeTimeoutError", "GoneError", "StreamCancelled", "StoreError",
    "ClosedError", "ReentrantError", "InternalError", "ERRORS_BY_CODE", "error_for",
    "OK", "EINVAL", "ECONFIG", "ENOKEY", "ENOTFOUND", "EEXISTS", "EUNAVAILABLE", "EPROMPT",
    "EDISCORD", "ENOREPLY", "EQUOTA", "ECOZE", "ETIMEOUT", "EGONE", "ECANCELLED", "ESTORE",
    "ECLOSED", "EREENTRANT", "EINTERNAL",
]
