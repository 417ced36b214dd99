"""Text rendering shared by channels: splitting long text, numbering options, plain text."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.messages import BotReply, Button

_SENTENCE_END = re.compile(r"(?<=[^\d\s][.!?…;])\s+")  # not after "1." of a numbered line


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at line or sentence ends, then at spaces.

    Lines stay lines; only a single word longer than the limit is cut mid-word.
    """
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    pieces: list[str] = []
    current = ""
    for line in text.splitlines():
        for position, unit in enumerate(_units(line, limit)):
            separator = "\n" if position == 0 else " "
            candidate = f"{current}{separator}{unit}" if current else unit
            if len(candidate) <= limit:
                current = candidate
                continue
            if current:
                pieces.append(current)
            current = unit
    if current:
        pieces.append(current)
    return pieces


def _units(line: str, limit: int) -> list[str]:
    """The sentences of a line; a sentence longer than `limit` is broken at spaces."""
    units: list[str] = []
    for part in _SENTENCE_END.split(line):
        rest = part.strip()
        while len(rest) > limit:
            cut = rest.rfind(" ", 0, limit + 1)
            cut = cut if cut > 0 else limit
            units.append(rest[:cut].strip())
            rest = rest[cut:].strip()
        if rest:
            units.append(rest)
    return units


def all_buttons(replies: Sequence[BotReply]) -> list[Button]:
    """The buttons of a turn, in order: option N is the N-th button of the turn."""
    return [button for reply in replies for button in reply.buttons]


def numbered_options(buttons: Sequence[Button], start: int = 1) -> list[str]:
    return [f"{number}. {button.title}" for number, button in enumerate(buttons, start=start)]


def as_plain_text(replies: Sequence[BotReply]) -> list[str]:
    """Each reply as text with its buttons as numbered lines (numbering runs across the turn)."""
    texts: list[str] = []
    number = 1
    for reply in replies:
        lines = [reply.text] if reply.text else []
        if reply.buttons:
            lines += numbered_options(reply.buttons, start=number)
            number += len(reply.buttons)
        if lines:
            texts.append("\n".join(lines))
    return texts
