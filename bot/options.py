"""Buttons on channels without buttons: numbered options and short callback keys.

SMS, phone keypads and plain-text chats show buttons as "1. ...", "2. ..."; the options
offered last are remembered per conversation so that a reply "1" becomes the first
button's payload. Platforms with a small callback field (Telegram: 64 bytes) get a short
key for long payloads, resolved here.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError

from bot.messages import Button
from bot.storage.db import Database
from bot.storage.models import ButtonPayload, OfferedOptions, utcnow

_OPTION_REPLY = re.compile(r"^\s*(?:số\s*|so\s*|phím\s*|phim\s*)?(\d{1,2})\s*[.)]?\s*$", re.IGNORECASE)
KEY_PREFIX = "k:"


def remember_options(db: Database, conversation_id: str, buttons: Sequence[Button]) -> None:
    """Store the buttons just shown (replacing earlier ones); no buttons clears them."""
    with db.session() as session:
        row = session.get(OfferedOptions, conversation_id)
        if not buttons:
            if row is not None:
                session.delete(row)
            return
        options = json.dumps([button.to_json() for button in buttons], ensure_ascii=False)
        if row is None:
            session.add(OfferedOptions(conversation_id=conversation_id, options_json=options))
        else:
            row.options_json, row.offered_at = options, utcnow()


def offered_options(db: Database, conversation_id: str) -> list[Button]:
    """The options last offered to a conversation, in the order they were numbered."""
    with db.session() as session:
        row = session.get(OfferedOptions, conversation_id)
        items = json.loads(row.options_json) if row is not None else []
    return [Button(str(item.get("title", "")), str(item.get("payload", ""))) for item in items]


def resolve_option(db: Database, conversation_id: str, text: str) -> str | None:
    """The payload of option N when the citizen replied just "N" to a numbered list."""
    match = _OPTION_REPLY.match(text)
    if not match:
        return None
    options = offered_options(db, conversation_id)
    index = int(match.group(1)) - 1
    return options[index].payload if 0 <= index < len(options) else None


def short_payload(db: Database, payload: str, limit: int) -> str:
    """`payload` itself when it fits in `limit` bytes, else a stored short key for it."""
    if len(payload.encode()) <= limit and not payload.startswith(KEY_PREFIX):
        return payload
    key = hashlib.sha256(payload.encode()).hexdigest()[:24]
    try:
        with db.session() as session:
            if session.get(ButtonPayload, key) is None:
                session.add(ButtonPayload(key=key, payload=payload))
    except IntegrityError:
        pass  # stored meanwhile by a concurrent request: same key, same payload
    return KEY_PREFIX + key


def expand_payload(db: Database, data: str) -> str | None:
    """The payload behind callback data produced by `short_payload` (None if unknown)."""
    if not data.startswith(KEY_PREFIX):
        return data
    with db.session() as session:
        row = session.get(ButtonPayload, data.removeprefix(KEY_PREFIX))
        return row.payload if row is not None else None
