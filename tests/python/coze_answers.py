"""The simulated Coze bot's words, computed in Python (a port of the emulator's
Sources/DiscordEmulator/CozeAnswerGenerator.swift and CozePromptText, for prompts without files).

Tests use it to know the exact answer, suggestions and streamed chunks independently of the code
under test. The vocabulary below must stay identical to the Swift `Words` enum.
"""

from __future__ import annotations

from typing import List, Optional

MASK = (1 << 64) - 1

MEMORY_QUESTION = "what did I say before?"
MEMORY_QUOTE_LIMIT = 1500
QUOTA_TEXT = "You have exceeded the daily limit for sending messages to the bot. Please try again later."

TOPICS = [
    "the garden", "your project", "the weekend trip", "a healthy breakfast", "the new schedule",
    "learning a language", "the household budget", "your presentation", "the team meeting",
    "a morning routine", "the reading list", "the moving plan",
]
INTROS = [
    "Here are a few thoughts about {t}:",
    "Good question! When it comes to {t}, a few things help:",
    "Thanks for asking about {t}. I would suggest this:",
    "Let me help you with {t}. Here is a simple plan:",
    "There are several ways to approach {t}:",
]
VERBS = [
    "Start with", "Think about", "Focus on", "Keep track of", "Write down", "Review", "Compare",
    "Share", "Prepare", "Check",
]
OBJECTS = [
    "the main goal", "a simple example", "small steps", "the important details", "a clear outline",
    "the available time", "your notes", "the feedback you get", "a short checklist", "the costs involved",
    "the first draft", "a backup option",
]
QUALIFIERS = [
    "before anything else", "every few days", "with a little patience", "as early as possible",
    "one step at a time", "when you have a quiet moment", "to avoid surprises later",
    "so that nothing is missed", "together with a friend", "at the end of each week",
]
CLOSINGS = [
    "I hope this helps with {t}.",
    "Let me know if you would like more details.",
    "Feel free to ask a follow-up question.",
    "Small, steady progress usually works best.",
    "Most people find that this makes {t} much easier.",
    "You can adjust these steps to fit your situation.",
]
SUGGESTIONS = [
    "Tell me more about {t}",
    "Can you give me an example?",
    "What should I do first?",
    "What are common mistakes with {t}?",
    "Can you summarize that in one sentence?",
    "Why does that matter?",
    "What would you recommend next?",
    "Are there any alternatives?",
    "How can I explain {t} to a friend?",
]


class SplitMix64:
    def __init__(self, state: int):
        self.state = state & MASK

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)


def fnv1a64(text: str) -> int:
    h = 0xCBF29CE484222325
    for byte in text.encode("utf-8"):
        h ^= byte
        h = (h * 0x100000001B3) & MASK
    return h


def generator(seed: int, text: str) -> SplitMix64:
    seeding = SplitMix64(seed)
    return SplitMix64(seeding.next() ^ fnv1a64(text))


# -- CozePromptText ------------------------------------------------------------------------

_MARKER = b"[scenario:"


def _is_name_byte(b: int) -> bool:
    return (0x61 <= b <= 0x7A) or (0x30 <= b <= 0x39) or b in (0x2D, 0x5F)


def _marker_ranges(data: bytes) -> List[tuple]:
    found = []
    i = 0
    n = len(_MARKER)
    while i + n < len(data):
        if data[i:i + n] != _MARKER:
            i += 1
            continue
        end = i + n
        while end < len(data) and _is_name_byte(data[end]):
            end += 1
        if end > i + n and end < len(data) and data[end] == 0x5D:
            found.append((i, end + 1, data[i + n:end].decode()))
            i = end + 1
        else:
            i += 1
    return found


def _mention_end(data: bytes, start: int) -> Optional[int]:
    if not (start + 3 < len(data) and data[start] == 0x3C and data[start + 1] == 0x40):
        return None
    i = start + 2
    if data[i] == 0x21:
        i += 1
    digits = i
    while i < len(data) and 0x30 <= data[i] <= 0x39:
        i += 1
    if i > digits and i < len(data) and data[i] == 0x3E:
        return i + 1
    return None


def stripped(text: str) -> str:
    """Mentions and scenario markers removed, whitespace runs collapsed, trimmed."""
    data = text.encode("utf-8")
    markers = _marker_ranges(data)
    kept = bytearray()
    i = 0
    m = 0
    while i < len(data):
        if m < len(markers) and markers[m][0] == i:
            i = markers[m][1]
            m += 1
            kept.append(0x20)
            continue
        end = _mention_end(data, i)
        if end is not None:
            i = end
            kept.append(0x20)
            continue
        kept.append(data[i])
        i += 1
    return " ".join(kept.decode("utf-8", "replace").split())


def marked_scenario(text: str, known=("plain", "long", "image-embed", "image-attachment", "image-markdown",
                                       "no-suggestions", "rewrite", "quota", "slow", "silent")) -> Optional[str]:
    for _, _, name in _marker_ranges(text.encode("utf-8")):
        if name in known:
            return name
    return None


# -- CozeAnswerGenerator -------------------------------------------------------------------


def _pick(words: List[str], r: SplitMix64) -> str:
    return words[r.next() % len(words)]


def _pick_distinct(count: int, words: List[str], r: SplitMix64) -> List[str]:
    pool = list(words)
    for index in range(count):
        other = index + r.next() % (len(pool) - index)
        pool[index], pool[other] = pool[other], pool[index]
    return pool[:count]


def _body(r: SplitMix64) -> str:
    topic = _pick(TOPICS, r)
    intro = _pick(INTROS, r).replace("{t}", topic)
    verbs = _pick_distinct(3, VERBS, r)
    objects = _pick_distinct(3, OBJECTS, r)
    qualifiers = _pick_distinct(3, QUALIFIERS, r)
    lines = [intro]
    for item in range(3):
        lines.append(f"{item + 1}. {verbs[item]} {objects[item]} {qualifiers[item]}.")
    closing_count = 1 + r.next() % 2
    closings = _pick_distinct(closing_count, CLOSINGS, r)
    lines.append(" ".join(c.replace("{t}", topic) for c in closings))
    return "\n".join(lines)


def memory_answer(previous_prompt: Optional[str]) -> str:
    if previous_prompt is None:
        return "You have not said anything before."
    quoted = stripped(previous_prompt)
    if len(quoted) > MEMORY_QUOTE_LIMIT:
        quoted = quoted[:MEMORY_QUOTE_LIMIT] + "\u2026"
    return f'You said before: "{quoted}".'


def answer(prompt: str, previous_prompt: Optional[str] = None, seed: int = 1) -> str:
    """The answer to a prompt without files (the bridge's mention is stripped like any other)."""
    question = stripped(prompt)
    if MEMORY_QUESTION.lower() in question.lower():
        return memory_answer(previous_prompt)
    return _body(generator(seed, question))


def suggestions(answer_text: str, seed: int = 1) -> List[str]:
    r = generator(seed, "suggest\0" + answer_text)
    topic = next((t for t in TOPICS if t in answer_text), "this")
    return [s.replace("{t}", topic)[:80] for s in _pick_distinct(3, SUGGESTIONS, r)]


def chunks(answer_text: str, count: int) -> List[str]:
    """The cumulative prefixes the answer is streamed in (ASCII whitespace rules suffice here)."""
    word_ends = []
    in_word = False
    for index, ch in enumerate(answer_text):
        is_space = ch.isspace()
        if in_word and is_space:
            word_ends.append(index)
        in_word = not is_space
    if in_word:
        word_ends.append(len(answer_text))
    if not word_ends:
        return [answer_text]
    total = len(word_ends)
    parts = min(max(count, 1), total)
    result = []
    for part in range(1, parts + 1):
        words = (part * total + parts - 1) // parts
        result.append(answer_text if part == parts else answer_text[:word_ends[words - 1]])
    return result


def image_filename(answer_text: str, seed: int = 1) -> str:
    r = generator(seed, "image\0" + answer_text)
    return f"coze-{r.next():016x}.png"
