"""Web chat: Rasa's REST format on the gateway, and a small chat page to try the assistant.

`POST /webhooks/rest/webhook` takes `{"sender": ..., "message": ...}` and returns the
list of bot messages, exactly like Rasa's own REST channel, so existing Rasa web-chat
widgets work against the gateway unchanged, but every message goes through the gateway's
pipeline (inbox, ordering, routing).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, Field

from bot.channel import Channel
from bot.messages import BotReply, InboundMessage
from bot.outbox import PermanentDeliveryError
from bot.pipeline import Pipeline
from bot.settings import Settings
from bot.storage.db import Database

NAME = "web"
_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"), autoescape=select_autoescape()
)


class RestMessage(BaseModel):
    """Rasa's REST channel input."""

    sender: str = Field(min_length=1, max_length=128)
    message: str | None = Field(default="", max_length=100_000)
    metadata: dict[str, Any] = Field(default_factory=dict)


class WebchatAdapter:
    """Replies travel in the HTTP response; there is no way to push one later."""

    name = NAME
    numbered_options = False
    delivers_later = False

    def render(self, replies: Sequence[BotReply]) -> list[dict]:
        return [reply.to_json() for reply in replies]

    async def deliver(self, recipient: str, body: dict) -> None:
        raise PermanentDeliveryError("web chat replies are returned in the HTTP response; nothing to push")


def _router(pipeline: Pipeline) -> APIRouter:
    router = APIRouter(tags=["web chat"])

    @router.post("/webhooks/rest/webhook")
    async def rest_webhook(body: RestMessage) -> list[dict[str, Any]]:
        """Rasa REST format in, list of bot messages out."""
        message_id = body.metadata.get("message_id")
        if message_id is not None and not isinstance(message_id, str | int):
            raise HTTPException(400, "metadata.message_id must be a string or a number")
        replies = await pipeline.answer(
            InboundMessage(
                channel=NAME,
                sender=body.sender,
                text=body.message or "",
                # A client's message ids are its own (often a per-tab counter): scoped to the sender.
                platform_message_id=f"{body.sender}:{message_id}" if message_id is not None else None,
                metadata={"content_type": "text"},
            )
        )
        return [{"recipient_id": body.sender, **reply.to_json()} for reply in replies or []]

    @router.get("/chat", response_class=HTMLResponse)
    async def chat_page() -> str:
        """A minimal chat page served by the gateway, for trying the assistant in a browser."""
        return _TEMPLATES.get_template("chat.html").render()

    return router


def channel(settings: Settings, db: Database) -> Channel:
    return Channel(WebchatAdapter(), _router)
