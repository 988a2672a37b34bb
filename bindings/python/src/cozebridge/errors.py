"""Exceptions: one class per COZE_E* status code of cozebridge.h."""

from __future__ import annotations

import builtins
from typing import Dict, Type

from . import _ffi


class CozeError(Exception):
    """A libcozebridge failure.

    ``code`` is the COZE_E* status (an int) and ``message`` the library's explanation
    (coze_last_error(), or the message given to on_error for a stream).
    """

    #: The status code this class stands for (CozeError itself: any code without a subclass).
    status: int = -1

    def __init__(self, code: int, message: str = ""):
        self.code = int(code)
        self.message = message or ""
        super().__init__(self.code, self.message)

    @property
    def name(self) -> str:
        """The code's constant name, e.g. "COZE_ENOKEY" ("COZE_E?" for an unknown code)."""
        return _NAMES.get(self.code, f"COZE_E?{self.code}")

    def __str__(self) -> str:
        if self.message:
            return f"{self.message} [{self.name}]"
        return self.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code}, message={self.message!r})"


class InvalidArgumentError(CozeError, ValueError):
    """COZE_EINVAL: a NULL, empty or malformed argument."""
    status = _ffi.COZE_EINVAL


class ConfigError(CozeError):
    """COZE_ECONFIG: the configuration was refused; the message names file, line and key."""
    status = _ffi.COZE_ECONFIG


class UnknownKeyError(CozeError, LookupError):
    """COZE_ENOKEY: no configured bot has this access key."""
    status = _ffi.COZE_ENOKEY


class NotFoundError(CozeError, LookupError):
    """COZE_ENOTFOUND: the access key has no conversation (or the configuration no key) of this name."""
    status = _ffi.COZE_ENOTFOUND


class ExistsError(CozeError):
    """COZE_EEXISTS: the access key already has a conversation of this name."""
    status = _ffi.COZE_EEXISTS


class UnavailableError(CozeError):
    """COZE_EUNAVAILABLE: no bot can take the turn (offline, bad token, quota spent, removed)."""
    status = _ffi.COZE_EUNAVAILABLE


class PromptError(CozeError, ValueError):
    """COZE_EPROMPT: the prompt cannot be sent (e.g. a malformed image data URI)."""
    status = _ffi.COZE_EPROMPT


class DiscordError(CozeError):
    """COZE_EDISCORD: Discord refused a request (the message has the HTTP status and code)."""
    status = _ffi.COZE_EDISCORD


class NoReplyError(CozeError):
    """COZE_ENOREPLY: the Coze bot never answered."""
    status = _ffi.COZE_ENOREPLY


class QuotaError(CozeError):
    """COZE_EQUOTA: Coze answered with its quota / daily-limit text."""
    status = _ffi.COZE_EQUOTA


class CozeReportedError(CozeError):
    """COZE_ECOZE: Coze answered with one of its error texts instead of an answer."""
    status = _ffi.COZE_ECOZE


class CozeTimeoutError(CozeError, builtins.TimeoutError):
    """COZE_ETIMEOUT: the caller's timeout, or the reply's idle or overall timeout, passed.

    Also a builtin :class:`TimeoutError`, so ``except TimeoutError`` catches it.
    """
    status = _ffi.COZE_ETIMEOUT


class GoneError(CozeError):
    """COZE_EGONE: a message or the channel of the turn was deleted during it."""
    status = _ffi.COZE_EGONE


class StreamCancelled(CozeError):
    """COZE_ECANCELLED: the stream was cancelled, or its bridge destroyed.

    Deliberately *not* an :class:`asyncio.CancelledError`: it ends one stream, not the task.
    """
    status = _ffi.COZE_ECANCELLED


class StoreError(CozeError):
    """COZE_ESTORE: the conversation store (SQLite) failed."""
    status = _ffi.COZE_ESTORE


class ClosedError(CozeError):
    """COZE_ECLOSED: the bridge is being destroyed, or was closed."""
    status = _ffi.COZE_ECLOSED


class ReentrantError(CozeError):
    """COZE_EREENTRANT: called from a callback where that would deadlock."""
    status = _ffi.COZE_EREENTRANT


class InternalError(CozeError):
    """COZE_EINTERNAL: a bug in libcozebridge; the message says where. Please report it."""
    status = _ffi.COZE_EINTERNAL


_NAMES: Dict[int, str] = {
    _ffi.COZE_OK: "COZE_OK",
    _ffi.COZE_EINVAL: "COZE_EINVAL",
    _ffi.COZE_ECONFIG: "COZE_ECONFIG",
    _ffi.COZE_ENOKEY: "COZE_ENOKEY",
    _ffi.COZE_ENOTFOUND: "COZE_ENOTFOUND",
    _ffi.COZE_EEXISTS: "COZE_EEXISTS",
    _ffi.COZE_EUNAVAILABLE: "COZE_EUNAVAILABLE",
    _ffi.COZE_EPROMPT: "COZE_EPROMPT",
    _ffi.COZE_EDISCORD: "COZE_EDISCORD",
    _ffi.COZE_ENOREPLY: "COZE_ENOREPLY",
    _ffi.COZE_EQUOTA: "COZE_EQUOTA",
    _ffi.COZE_ECOZE: "COZE_ECOZE",
    _ffi.COZE_ETIMEOUT: "COZE_ETIMEOUT",
    _ffi.COZE_EGONE: "COZE_EGONE",
    _ffi.COZE_ECANCELLED: "COZE_ECANCELLED",
    _ffi.COZE_ESTORE: "COZE_ESTORE",
    _ffi.COZE_ECLOSED: "COZE_ECLOSED",
    _ffi.COZE_EREENTRANT: "COZE_EREENTRANT",
    _ffi.COZE_EINTERNAL: "COZE_EINTERNAL",
}

#: status code -> exception class
ERRORS_BY_CODE: Dict[int, Type[CozeError]] = {
    cls.status: cls
    for cls in (
        InvalidArgumentError, ConfigError, UnknownKeyError, NotFoundError, ExistsError,
        UnavailableError, PromptError, DiscordError, NoReplyError, QuotaError, CozeReportedError,
        CozeTimeoutError, GoneError, StreamCancelled, StoreError, ClosedError, ReentrantError,
        InternalError,
    )
}


def error_for(code: int, message: str = "") -> CozeError:
    """The exception for a status code (CozeError itself for a code this module does not know)."""
    return ERRORS_BY_CODE.get(int(code), CozeError)(code, message)
