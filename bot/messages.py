"""The one message model every channel speaks, inbound and outbound."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bot.conversation_ids import conversation_id


def citizen_words(text: str) -> str:
    """The text a citizen typed or said; empty for a pressed button.

    Rasa receives a button as its payload ("/ask_fee{...}"): searching or recording that
    string as if the citizen had written it would match nothing or mislead an operator.
    """
    return "" if text.startswith("/") else text


@dataclass(frozen=True)
class Button:
    title: str
    payload: str

    def to_json(self) -> dict[str, str]:
        return {"title": self.title, "payload": self.payload}


@dataclass(frozen=True)
class InboundMessage:
    """What a citizen sent, whatever the platform.

    `payload` is set when the citizen pressed a button (or answered a numbered option):
    it is what the assistant receives instead of the text.
    """

    channel: str
    sender: str
    text: str = ""
    payload: str | None = None
    platform_message_id: str | None = None
    timestamp: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def conversation_id(self) -> str:
        return conversation_id(self.channel, self.sender)


@dataclass(frozen=True)
class BotReply:
    """One message of the assistant: text, optional buttons, optional image or custom data."""

    text: str = ""
    buttons: tuple[Button, ...] = ()
    image: str | None = None
    custom: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"text": self.text}
        if self.buttons:
            body["buttons"] = [button.to_json() for button in self.buttons]
        if self.image:
            body["image"] = self.image
        if self.custom:
            body["custom"] = self.custom
        return body

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> BotReply:
        buttons = tuple(
            Button(str(b.get("title", "")), str(b.get("payload", "")))
            for b in body.get("buttons") or []
            if isinstance(b, dict)
        )
        return cls(
            text=str(body.get("text") or ""),
            buttons=buttons,
            image=body.get("image") or None,
            custom=body.get("custom") or None,
        )
