"""Plain Python values copied out of the library's structs, and the events of a stream."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

from . import _ffi

BOT_CONNECTING = _ffi.COZE_BOT_CONNECTING
BOT_READY = _ffi.COZE_BOT_READY
BOT_STOPPED = _ffi.COZE_BOT_STOPPED

_STATE_NAMES = {BOT_CONNECTING: "connecting", BOT_READY: "ready", BOT_STOPPED: "stopped"}


@dataclass
class Image:
    """An image of an answer (coze_image). A Discord attachment URL expires: download it soon."""

    url: str
    #: "embed", "attachment" or "markdown"
    source: str
    filename: Optional[str] = None
    content_type: Optional[str] = None
    #: pixel size, 0 when unknown
    width: int = 0
    height: int = 0


@dataclass
class Answer:
    """A complete answer (coze_answer)."""

    text: str
    images: List[Image] = field(default_factory=list)
    suggestions: List[str] = field(default_factory=list)
    #: how the end was detected: "suggestions" or "idle"
    completion: str = ""


@dataclass
class Conversation:
    """One conversation of an access key (coze_conversation)."""

    name: str
    channel_id: str
    guild_id: str
    #: "channel" or "thread"
    kind: str
    #: the identity of the bot that holds it
    bot: str
    created_at_ms: int
    last_used_at_ms: int
    completed_turns: int


@dataclass
class KeepaliveResult:
    """What one keepalive prompt did (coze_keepalive_result)."""

    access_key: str
    bot: str
    conversation: str
    #: 0 (COZE_OK) when Coze answered, else the turn's COZE_E* status
    status: int
    #: the answer's text (status 0) or the error's explanation
    message: str

    @property
    def ok(self) -> bool:
        return self.status == _ffi.COZE_OK


@dataclass
class BotStatus:
    """The health of one configured bot (coze_bot_status)."""

    access_key: str
    identity: str
    #: "bot" or "user": who posts the prompts
    sender_mode: str
    #: BOT_CONNECTING, BOT_READY or BOT_STOPPED
    state: int
    detail: str
    in_flight_turns: int
    available: bool
    quota_exhausted_until_ms: int
    last_coze_activity_ms: int

    @property
    def state_name(self) -> str:
        return _STATE_NAMES.get(self.state, f"state {self.state}")

    @property
    def ready(self) -> bool:
        return self.state == BOT_READY


# --------------------------------------------------------------------------------------------
# Stream events
# --------------------------------------------------------------------------------------------


class Event:
    """Base class of everything a stream yields."""

    __slots__ = ()


@dataclass
class Delta(Event):
    """New text to append to what was shown."""

    text: str


@dataclass
class Correction(Event):
    """Coze rewrote text already shown: replace everything shown so far with ``full_text``."""

    full_text: str


@dataclass
class ImageEvent(Event):
    """An image of the answer, once per URL, as soon as it is complete."""

    image: Image


@dataclass
class Suggestions(Event):
    """The suggestion buttons, right before Done."""

    suggestions: List[str]


@dataclass
class Done(Event):
    """The answer is complete; always the last event of a successful stream."""

    answer: Answer
